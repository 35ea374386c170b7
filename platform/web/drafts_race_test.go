package web_test

import (
	"net/http"
	"testing"

	"cop/platform/web/webtest"
)

// Several submits of one draft at once, with no Idempotency-Key (a double
// click from a client that sends none): one makes the submission, the
// others are told the draft was already submitted, and the draft makes
// exactly one case.
func TestConcurrentDraftSubmitsMakeOneSubmission(t *testing.T) {
	e := webtest.New(t)
	officer := e.Token("officer")
	webtest.RegisterArrival(e, e.Token("author"))
	for round := range 3 {
		var d struct{ ID string }
		e.Must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": webtest.ValidArrival}, &d)
		var reqs []*http.Request
		for range 4 {
			reqs = append(reqs, e.Request("POST", "/api/v1/drafts/"+d.ID+"/submit", officer, nil))
		}
		created := 0
		for _, r := range e.Race(reqs...) {
			switch r.Status {
			case http.StatusCreated:
				created++
			case http.StatusConflict, http.StatusNotFound: // lost the race, or came after the draft was gone
			default:
				t.Errorf("round %d: %d %s", round, r.Status, r.Body)
			}
		}
		var subs int
		if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions`).Scan(&subs); err != nil {
			t.Fatal(err)
		}
		if created != 1 || subs != round+1 {
			t.Fatalf("round %d: %d answered 201, %d submissions in all; want one more each round", round, created, subs)
		}
	}
}
