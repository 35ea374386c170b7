package ui

import (
	"strings"
	"testing"
)

func TestNotificationLinksCannotRunScript(t *testing.T) {
	for link, kept := range map[string]bool{
		"/cases/VEH-20261121-1":      true,
		"https://casework.example/1": true,
		"javascript:alert(1)":        false,
		"//evil.example/":            false,
		"http://plain.example/":      false,
		"data:text/html,hi":          false,
	} {
		h := string(noticeBody(Notice{ID: "n1", Title: "<b>T</b>", Link: link}, Frame{CSRF: "tok", Return: "/"}))
		if got := strings.Contains(h, `href=`); got != kept {
			t.Errorf("link %q kept=%v, want %v", link, got, kept)
		}
		if strings.Contains(h, "<b>T</b>") || !strings.Contains(h, "&lt;b&gt;T&lt;/b&gt;") {
			t.Errorf("the title is not escaped: %s", h)
		}
	}
}

// A long text is listed whole unless it has problems, when only the lines
// near them are kept.
func TestListingKeepsLongTextsWhole(t *testing.T) {
	text := strings.Repeat("line\n", 1000)
	if got := len(Listing(text, nil)); got != 1000 {
		t.Errorf("without problems, %d of 1000 lines", got)
	}
	near := Listing(text, []AuthorProblem{{Line: 500, Message: "wrong"}})
	if len(near) != 7 || near[0].N != 497 || !near[0].Gap || near[3].Problems[0] != "wrong" {
		t.Errorf("with a problem on line 500: %+v", near)
	}
}
