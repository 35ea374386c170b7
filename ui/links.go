package ui

import (
	"net/url"
	"strings"
	"unicode"
)

// LocalPath reports whether s is a path on this site that a browser will
// also read as one. Browsers drop tabs and newlines from URLs and read a
// backslash as a slash, so "/\t/evil.example" and "/\evil.example" both
// lead off-site: any control character or backslash is refused, and what
// is left must parse as a path with no scheme or host.
func LocalPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}

// SafeReturn is s when it is a LocalPath, else "/": where to send a
// browser back to after sign-in or a form post.
func SafeReturn(s string) string {
	if LocalPath(s) {
		return s
	}
	return "/"
}

// safeLink keeps a link only when it stays on COP or goes to an https
// address with a host; a workflow cannot plant a javascript: link or one
// a browser would read as another site.
func safeLink(link string) string {
	if LocalPath(link) {
		return link
	}
	if strings.ContainsFunc(link, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return link
}
