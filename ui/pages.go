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
	"net/url"
	"strings"
	"time"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/auth"
)

//go:embed templates/*.html
var files embed.FS

// Pages holds the parsed templates.
type Pages struct {
	pages      map[string]*template.Template
	components *template.Template
}

// Frame is what every page's layout needs besides the page's own data.
type Frame struct {
	Principal *auth.Principal // nil when signed out
	CSRF      string          // the session's token; empty for bearer-token callers
	Nonce     string          // this response's Content-Security-Policy nonce
	Nav       string          // the current service navigation item's href
	// SessionEnds is when the browser session ends unless used again; the
	// page warns before then.
	SessionEnds time.Time
	// Notices are the signed-in user's newest unread notifications, shown
	// as banners on the task list and case pages (not in a form).
	Notices []Notice
	// Unread counts the signed-in user's unread notifications, for the
	// service navigation.
	Unread int
	// Return is this page's own path, where "mark as read" comes back to.
	Return string
	// Reports: the signed-in user may read a report (the navigation links them).
	Reports bool
	// Author: the signed-in user may author definitions (the navigation
	// links the authoring pages).
	Author bool
	// Operate: the signed-in user may operate instances (the operating
	// pages).
	Operate bool
	// Lang is the language the page is in ("en", "cy"); Here is the page's
	// own address, which the language toggle links to in each language.
	Lang string
	Here string
}

// Words are COP's own words in the page's language.
func (f Frame) Words() lang.Words { return lang.For(f.Lang) }

// T is one message of the catalogue in the page's language, its
// placeholders given as name/value pairs.
func (f Frame) T(id string, pairs ...any) string { return f.Words().T(id, pairs...) }

// N is a message in the plural form count takes in the page's language.
func (f Frame) N(id string, count int, pairs ...any) string { return f.Words().N(id, count, pairs...) }

// HTMLLang is the page's lang attribute.
func (f Frame) HTMLLang() string {
	if f.Lang == lang.Welsh {
		return "cy"
	}
	return "en-GB"
}

// LanguageLink is one entry of the language toggle.
type LanguageLink struct {
	Lang, Name, Hidden, Href string
	Current                  bool
}

// Languages is the language toggle: this page in each language COP
// speaks, each named in its own language.
func (f Frame) Languages() []LanguageLink {
	names := map[string]string{lang.English: "English", lang.Welsh: "Cymraeg"}
	hidden := map[string]string{lang.English: "layout.inEnglish", lang.Welsh: "layout.inWelsh"}
	var out []LanguageLink
	for _, l := range lang.Supported {
		out = append(out, LanguageLink{Lang: l, Name: names[l], Hidden: lang.For(l).T(hidden[l]), Href: withLang(f.Here, l),
			Current: lang.Parse(f.Lang) == l})
	}
	return out
}

// withLang is an address with its lang query parameter set to l.
func withLang(here, l string) string {
	u, err := url.Parse(here)
	if err != nil || here == "" {
		return "?lang=" + l
	}
	q := u.Query()
	q.Set("lang", l)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// Notice is one in-app notification in the banner.
type Notice struct {
	ID, Title, Body, Link string
}

// ErrorData is an error page.
type ErrorData struct {
	Title  string
	Detail string
	SignIn bool   // offer a link to sign in again
	Return string // where signing in again returns to
}

// navigation is the service navigation: where a signed-in user may go.
var navigation = []struct{ Href, Text string }{
	{"/", "nav.home"},
	{"/start", "nav.start"},
	{"/cases", "nav.cases"},
	{"/notifications", "nav.notifications"},
	{"/reports", "nav.reports"},
	{"/author", "nav.author"},
	{"/operate", "nav.operate"},
}

// pageNames are the pages, each a file in templates/.
var pageNames = []string{"tasks", "task", "start", "form-start", "form-page", "check-answers", "saved",
	"confirmation", "case", "cases", "notifications", "error", "signed-out", "reports", "report",
	"author", "author-upload", "author-import", "author-staged", "author-versions", "author-version", "author-diff", "preview-done", "preview-start", "operate", "operate-instance"}

// New parses every page with the shared layout and the components.
func New() *Pages {
	p := &Pages{pages: map[string]*template.Template{}}
	p.components = parseComponents(template.New("components"))
	funcs := template.FuncMap{
		"fields":          p.FieldsIn,
		"errorList":       ErrorList,
		"when":            when,
		"whenISO":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"taskCard":        taskCard,
		"noticeBody":      noticeBody,
		"sessionEnds":     func(t time.Time) string { return t.In(london).Format("3:04pm") },
		"inc":             func(n int) int { return n + 1 },
		"safeLink":        safeLink,
		"list":            func(items ...any) []any { return items },
		"authorErrors":    authorErrors,
		"authorTextError": authorTextError,
		"versionItems":    versionItems,
		"statusTag":       statusTag,
	}
	for _, name := range pageNames {
		t := parseComponents(template.New(name)).Funcs(funcs)
		p.pages[name] = template.Must(t.ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// Fields draws fields of the rendering model with GOV.UK's components.
func (p *Pages) Fields(fs []forms.Field) (template.HTML, error) {
	return p.FieldsIn(fs, lang.English)
}

// FieldsIn draws fields with COP's own words ("Day", "Add another") in
// language l.
func (p *Pages) FieldsIn(fs []forms.Field, l string) (template.HTML, error) {
	return drawer{t: p.components, words: lang.For(l)}.fields(fs)
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
	opts := map[string]any{"serviceName": "COP", "serviceUrl": "/", "ariaLabel": f.T("layout.serviceInformation"),
		"menuButtonText": f.T("layout.menu")}
	if f.Principal == nil {
		return opts, nil
	}
	var items []any
	for _, n := range navigation {
		if n.Href == "/reports" && !f.Reports || n.Href == "/author" && !f.Author || n.Href == "/operate" && !f.Operate {
			continue // only for those who may read one, or author
		}
		text := f.T(n.Text)
		if n.Href == "/notifications" && f.Unread > 0 {
			text = f.N("nav.unread", f.Unread)
		}
		items = append(items, map[string]any{"href": n.Href, "text": text, "current": n.Href == f.Nav})
	}
	opts["navigation"] = items
	var end bytes.Buffer
	if err := t.ExecuteTemplate(&end, "account", f); err != nil {
		return nil, err
	}
	opts["slots"] = map[string]any{"end": end.String()}
	return opts, nil
}

// London is where COP's officers read times and dates.
var London = london

// london is where COP's officers read times.
var london = func() *time.Location {
	if l, err := time.LoadLocation("Europe/London"); err == nil {
		return l
	}
	return time.UTC
}()

// When is when for Go code: a time as GOV.UK's style guide writes it.
func When(t any) string { return when(t) }

// when shows a time as GOV.UK's style guide writes it: "21 November 2026 at 2:05pm".
func when(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return ""
		}
		v = *x
	default:
		return ""
	}
	v = v.In(london)
	return v.Format("2 January 2006") + " at " + strings.ToLower(v.Format("3:04PM"))
}

// priorityTag is the tag of a task's priority, 1 the most urgent.
func priorityTag(p int) map[string]any {
	switch p {
	case 1:
		return map[string]any{"text": "Urgent", "classes": "govuk-tag--red"}
	case 2:
		return map[string]any{"text": "High", "classes": "govuk-tag--orange"}
	case 3:
		return map[string]any{"text": "Normal", "classes": "govuk-tag--blue"}
	}
	return map[string]any{"text": "Low", "classes": "govuk-tag--grey"}
}

// noticeBody is a notification banner's content: the notification, a link
// to its case, and a button that marks it read and comes back here.
func noticeBody(n Notice, f Frame) template.HTML {
	esc := template.HTMLEscapeString
	h := `<p class="govuk-notification-banner__heading">` + esc(n.Title) + `</p>`
	if n.Body != "" {
		h += `<p class="govuk-body">` + esc(n.Body) + `</p>`
	}
	if link := safeLink(n.Link); link != "" {
		h += `<p class="govuk-body"><a class="govuk-notification-banner__link" href="` + esc(link) + `">Go to the case</a></p>`
	}
	h += `<form method="post" action="/notifications/` + esc(n.ID) + `/read">` +
		`<input type="hidden" name="csrf" value="` + esc(f.CSRF) + `">` +
		`<input type="hidden" name="return" value="` + esc(f.Return) + `">` +
		`<button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">` +
		`Mark as read<span class="govuk-visually-hidden">: ` + esc(n.Title) + `</span></button></form>`
	return template.HTML(h)
}
