package ui

import (
	"embed"
	"io/fs"
	"strings"
)

// static holds GOV.UK Frontend's built CSS, JavaScript, fonts and images
// (`make assets`); before they are built it holds only a README, so `go
// build` still works and pages come unstyled.
//
//go:embed all:static
var static embed.FS

// own holds COP's few additions to GOV.UK Frontend (cop/cop.css, cop/cop.js),
// kept in the repository rather than built.
//
//go:embed cop
var own embed.FS

// Assets is the tree served under /assets/: COP's own files under cop/,
// GOV.UK Frontend's everywhere else.
func Assets() fs.FS {
	built, _ := fs.Sub(static, "static")
	return overlay{own: own, built: built}
}

type overlay struct{ own, built fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if strings.HasPrefix(name, "cop/") {
		return o.own.Open(name)
	}
	return o.built.Open(name)
}
