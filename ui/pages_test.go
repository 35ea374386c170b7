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
