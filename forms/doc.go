// Package forms will hold form definitions: JSON Schema 2020-12 compilation,
// validation and the rendering model (pure Go, no HTTP or SQL), see the
// forms issue.
package forms
