// Package svgtest reads SVG documents for specs: the lane pictures of
// package lanes and the lab's charts. It parses a document with
// encoding/xml in strict mode, so a document that is not well-formed fails
// to parse, and lets a spec find elements by name and class and read the
// text a picture shows.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Element is an element of a parsed document. Its fields are set by Parse
// and never changed after.
type Element struct {
	Name     string            // the local name: "svg", "g", "text"
	Attr     map[string]string // the attributes, by local name
	Children []*Element        // the child elements, in order
	text     strings.Builder   // the character data in the element and its children
}

// Parse parses an SVG document: it must be well-formed XML whose root
// element is <svg> in the SVG namespace.
func Parse(data []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *Element
	var open []*Element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("svgtest: not well-formed: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &Element{Name: t.Name.Local, Attr: map[string]string{}}
			for _, a := range t.Attr {
				e.Attr[a.Name.Local] = a.Value
			}
			if len(open) == 0 {
				if root != nil {
					return nil, fmt.Errorf("svgtest: a second root element <%s>", e.Name)
				}
				if e.Name != "svg" || t.Name.Space != "http://www.w3.org/2000/svg" {
					return nil, fmt.Errorf("svgtest: the root element is <%s> in namespace %q, not an SVG <svg>", e.Name, t.Name.Space)
				}
				root = e
			} else {
				parent := open[len(open)-1]
				parent.Children = append(parent.Children, e)
			}
			open = append(open, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			for _, e := range open {
				e.text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("svgtest: no root element")
	}
	return root, nil
}

// Find returns e and every element under it for which match is true,
// depth first, in document order.
func (e *Element) Find(match func(*Element) bool) []*Element {
	var found []*Element
	if match(e) {
		found = append(found, e)
	}
	for _, c := range e.Children {
		found = append(found, c.Find(match)...)
	}
	return found
}

// Named returns the elements under e (e included) with the given name.
func (e *Element) Named(name string) []*Element {
	return e.Find(func(x *Element) bool { return x.Name == name })
}

// Class returns the elements under e (e included) whose class attribute
// lists class.
func (e *Element) Class(class string) []*Element {
	return e.Find(func(x *Element) bool { return slices.Contains(strings.Fields(x.Attr["class"]), class) })
}

// Text is the character data in e and its children, spaces trimmed at both
// ends.
func (e *Element) Text() string { return strings.TrimSpace(e.text.String()) }

// Texts returns the text of every <text> element under e, in order: what a
// picture says.
func (e *Element) Texts() []string {
	var texts []string
	for _, t := range e.Named("text") {
		texts = append(texts, t.Text())
	}
	return texts
}
