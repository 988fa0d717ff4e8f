package lostupdate

import "os"

//line object_test.go:1
var args = os.Args
