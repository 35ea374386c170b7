package ui

import (
	"embed"
	"io/fs"
)

// static holds GOV.UK Frontend's built CSS, JavaScript, fonts and images
// (`make assets`); before they are built it holds only a README, so `go
// build` still works and pages come unstyled.
//
//go:embed all:static
var static embed.FS

// Assets is the tree served under /assets/.
func Assets() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}
