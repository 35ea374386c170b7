package ui

import "testing"

// Each of these leads a browser off-site (browsers drop tabs and
// newlines, and read a backslash as a slash), or is not a path at all.
var offSite = []string{
	"", "//evil.example/x", "/\\evil.example", "/\t/evil.example",
	"/\n/evil.example", "/\r\nSet-Cookie: x=", "\\\\evil.example", "/ /evil.example",
	"javascript:alert(1)", "/\x00", "/tasks/\\..\\x", "evil.example", "/\u2028/evil.example",
}

func TestSafeReturnKeepsOnlyLocalPaths(t *testing.T) {
	for _, in := range []string{"/", "/tasks/1?x=y", "/cases/SEIZ-1#timeline", "/forms/%2F%2Fx"} {
		if got := SafeReturn(in); got != in {
			t.Errorf("SafeReturn(%q) = %q, want it kept", in, got)
		}
	}
	for _, in := range append(offSite, "https://evil.example") {
		if got := SafeReturn(in); got != "/" {
			t.Errorf("SafeReturn(%q) = %q, want /", in, got)
		}
	}
}

func TestSafeLinkKeepsLocalPathsAndHTTPS(t *testing.T) {
	for _, in := range []string{"/cases/SEIZ-1", "https://casework.example/cases/1"} {
		if got := safeLink(in); got != in {
			t.Errorf("safeLink(%q) = %q, want it kept", in, got)
		}
	}
	for _, in := range append(offSite, "http://casework.example", "https://", "https://user@evil.example", "https://evil.example\\@good.example", "data:text/html,x") {
		if got := safeLink(in); got != "" {
			t.Errorf("safeLink(%q) = %q, want it dropped", in, got)
		}
	}
}
