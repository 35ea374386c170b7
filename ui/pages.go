// Package ui renders COP's server-side pages with html/template (escaping
// every value) in the GOV.UK page template, from GOV.UK Frontend's
// components (components.go), styled by GOV.UK Frontend's own CSS and
// JavaScript, embedded from static/ (assets.go).
package ui

import (
	"bytes"
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

// Frame is what every page's layout needs besides the page's own data.
type Frame struct {
	Principal *auth.Principal // nil when signed out
	CSRF      string          // the session's token; empty for bearer-token callers
	Nonce     string          // this response's Content-Security-Policy nonce
	Nav       string          // the current service navigation item's href
}

// HomeData is the signed-in landing page.
type HomeData struct {
	Principal *auth.Principal
}

// ErrorData is an error page.
type ErrorData struct {
	Title  string
	Detail string
	SignIn bool // offer a link to sign in again
}

// navigation is the service navigation: where a signed-in user may go.
var navigation = []struct{ Href, Text string }{
	{"/", "Your team's work"},
}

// New parses every page with the shared layout and the components.
func New() *Pages {
	p := &Pages{pages: map[string]*template.Template{}}
	for _, name := range []string{"home", "error", "signed-out"} {
		t := parseComponents(template.New(name))
		p.pages[name] = template.Must(t.ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// Render writes page name in the layout.
func (p *Pages) Render(w io.Writer, name string, f Frame, data any) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("no page named %q", name)
	}
	nav, err := p.serviceNavigation(t, f)
	if err != nil {
		return err
	}
	return t.ExecuteTemplate(w, "layout", map[string]any{"Frame": f, "Data": data, "ServiceNavigation": nav})
}

// serviceNavigation is the options of the service navigation component:
// the pages, and who is signed in with a sign-out button at the end.
func (p *Pages) serviceNavigation(t *template.Template, f Frame) (map[string]any, error) {
	opts := map[string]any{"serviceName": "COP", "serviceUrl": "/"}
	if f.Principal == nil {
		return opts, nil
	}
	var items []any
	for _, n := range navigation {
		items = append(items, map[string]any{"href": n.Href, "text": n.Text, "current": n.Href == f.Nav})
	}
	opts["navigation"] = items
	var end bytes.Buffer
	if err := t.ExecuteTemplate(&end, "account", f); err != nil {
		return nil, err
	}
	opts["slots"] = map[string]any{"end": end.String()}
	return opts, nil
}
