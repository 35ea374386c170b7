package web_test

import (
	"net/http"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// A control character in an answer, a draft or any JSON body is refused
// with a 422 at its pointer; none reaches the database (where U+0000
// would have been a 500).
func TestControlCharactersAreRefusedWhereTheyAre(t *testing.T) {
	e := webtest.New(t)
	officer := e.Token("officer")
	webtest.RegisterArrival(e, e.Token("author"))
	for _, c := range []struct {
		name, method, path, body, pointer string
	}{
		{"a NUL in an answer", "POST", "/api/v1/forms/arrival-report/submissions",
			`{"arrivalDate": "2026-11-20", "port": "GBDVR", "traveller": {"fullName": "Ann\u0000Example"}, "searched": false}`, "/traveller/fullName"},
		{"a bell in a draft", "POST", "/api/v1/forms/arrival-report/drafts", `{"data": {"traveller": {"fullName": "Ann\u0007"}}}`, "/traveller/fullName"},
		{"a NUL in a field name", "POST", "/api/v1/forms/arrival-report/drafts", `{"data": {"a\u0000": 1}}`, "/a\x00"},
		{"a NUL in an event", "POST", "/api/v1/instances/x/events", `{"specversion": "1.0", "id": "1", "source": "/t", "type": "t", "data": {"note": ["ok", "x\u0000"]}}`, "/data/note/1"},
	} {
		resp, body := e.Do(nil, c.method, c.path, officer, strings.NewReader(c.body))
		p := webtest.ProblemOf(t, resp, body, http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer || !strings.Contains(p.Errors[0].Message, "U+00") {
			t.Errorf("%s: %s", c.name, body)
		}
	}
	for _, table := range []string{"submissions", "drafts"} {
		var n int
		if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d %s stored (%v)", n, table, err)
		}
	}
	// Tabs and line breaks are text.
	e.Must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{"traveller": map[string]any{"fullName": "Ann\tExample\r\n"}}}, nil)
}
