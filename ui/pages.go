// Package ui renders COP's server-side pages with html/template (escaping
// every value). The GOV.UK Design System pages arrive with the officer UI
// issue; until then these are plain, accessible HTML pages.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"io"

	"cop/platform/auth"
)

//go:embed templates/*.html
var files embed.FS

// Pages holds the parsed templates.
type Pages struct {
	pages map[string]*template.Template
}

// HomeData is the signed-in landing page.
type HomeData struct {
	Principal *auth.Principal
	CSRF      string // empty for bearer-token callers, who have no session to end
}

// ErrorData is an error page.
type ErrorData struct {
	Title  string
	Detail string
	SignIn bool // offer a link to sign in again
}

// New parses every page with the shared layout.
func New() *Pages {
	p := &Pages{pages: map[string]*template.Template{}}
	for _, name := range []string{"home", "error", "signed-out"} {
		p.pages[name] = template.Must(template.ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// Render writes page name with data.
func (p *Pages) Render(w io.Writer, name string, data any) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("no page named %q", name)
	}
	return t.ExecuteTemplate(w, "layout", data)
}
