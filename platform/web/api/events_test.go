package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

func TestInboundEventScenarios(t *testing.T) {
	e := webtest.New(t)
	ce := []string{"Content-Type", "application/cloudevents+json"}
	batch := []string{"Content-Type", "application/cloudevents-batch+json"}
	binary := func(id string) []string {
		return []string{"Content-Type", "application/json", "ce-specversion", "1.0", "ce-id", id, "ce-source", "/analytics", "ce-type", "gov.uk.border.target.raised"}
	}
	e.Scenarios(t, []webtest.Scenario{
		{Name: "one event, structured", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised", "data": {"targetRef": "TGT-1"}}`,
			Want: []string{`"accepted":1`, `"duplicates":0`, `"delivered":0`}},
		{Name: "the same again is a duplicate", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised", "data": {"targetRef": "TGT-1"}}`,
			Want: []string{`"accepted":0`, `"duplicates":1`}},
		{Name: "another sender's same source and id is theirs", As: "admin", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised"}`,
			Want: []string{`"accepted":1`, `"duplicates":0`}},
		{Name: "binary mode", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: binary("t-2"), Status: 202,
			Body: `{"targetRef": "TGT-2"}`, Want: []string{`"accepted":1`}},
		{Name: "a batch, one a duplicate within it", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 202,
			Body: `[{"specversion": "1.0", "id": "t-3", "source": "/analytics", "type": "t"}, {"specversion": "1.0", "id": "t-4", "source": "/analytics", "type": "t"},
				{"specversion": "1.0", "id": "t-3", "source": "/analytics", "type": "t"}]`,
			Want: []string{`"accepted":2`, `"duplicates":1`}},
		{Name: "no id", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/id"},
			Body: `{"specversion": "1.0", "source": "/analytics", "type": "t"}`, Want: []string{"id: MUST be a non-empty string"}},
		{Name: "no id, source or type", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400,
			Pointers: []string{"/id", "/source", "/type"}, Body: `{"specversion": "1.0"}`},
		{Name: "a wrong specversion", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/specversion"},
			Body: `{"specversion": "0.9", "id": "x", "source": "/analytics", "type": "t"}`},
		{Name: "binary mode without ce-id", As: "integrator", Method: "POST", Path: "/api/v1/events", Status: 400, Pointers: []string{"/id"},
			Header: []string{"Content-Type", "application/json", "ce-specversion", "1.0", "ce-source", "/analytics", "ce-type", "t"}, Body: `{}`},
		{Name: "binary mode whose data is not JSON", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: binary("t-9"), Status: 400,
			Pointers: []string{"/data"}, Body: `targetRef=TGT-9`},
		{Name: "plain JSON without ce- headers", As: "integrator", Method: "POST", Path: "/api/v1/events", Status: 400, Body: `{"id": "x"}`,
			Want: []string{"binary mode"}},
		{Name: "a batch that is not an array", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 400, Pointers: []string{""},
			Body: `{"specversion": "1.0", "id": "x", "source": "/analytics", "type": "t"}`, Want: []string{"JSON array"}},
		{Name: "a bad event in a batch: nothing kept", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 400,
			Pointers: []string{"/1/id"}, Body: `[{"specversion": "1.0", "id": "t-5", "source": "/analytics", "type": "t"}, {"specversion": "1.0", "source": "/analytics", "type": "t"}]`},
		{Name: "data that is not JSON for a JSON datacontenttype", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400,
			Pointers: []string{"/datacontenttype"}, Body: `{"specversion": "1.0", "id": "x", "source": "/analytics", "type": "t", "datacontenttype": "text/plain", "data": "hello"}`},
		{Name: "an oversized event", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/data"},
			Body: `{"specversion": "1.0", "id": "big", "source": "/analytics", "type": "t", "data": "` + strings.Repeat("x", 300<<10) + `"}`},
		{Name: "another specversion", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/specversion"},
			Body: `{"specversion": "0.3", "id": "old", "source": "/analytics", "type": "t"}`, Want: []string{"COP takes CloudEvents 1.0"}},
		{Name: "data holding a NUL", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/data"},
			Body: `{"specversion": "1.0", "id": "nul", "source": "/analytics", "type": "t", "data": {"note": "a\u0000b"}}`},
		{Name: "an officer may not send events", As: "officer", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 403,
			Body: `{"specversion": "1.0", "id": "o-1", "source": "/analytics", "type": "t"}`},
		{Name: "another media type", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: []string{"Content-Type", "text/plain"}, Status: 415, Body: `x`},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 401,
			Body: `{"specversion": "1.0", "id": "t-6", "source": "/analytics", "type": "t"}`},
	})
	var kept int
	if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound_events WHERE id = 't-5'`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("a refused batch kept %d of its events (%v)", kept, err)
	}
	var data string
	if err := e.Pool.QueryRow(context.Background(), `SELECT data::text FROM inbound_events WHERE id = 't-2' AND sender = 'dev-integrator'`).Scan(&data); err != nil ||
		data != `{"targetRef": "TGT-2"}` {
		t.Errorf("the binary event's data: %q (%v)", data, err)
	}
}

// The same event sent five times at once is kept once.
func TestTheSameEventAtOnceIsKeptOnce(t *testing.T) {
	e := webtest.New(t)
	tok := e.Token("integrator")
	var reqs []*http.Request
	for range 5 {
		reqs = append(reqs, e.Request("POST", "/api/v1/events", tok, map[string]any{"specversion": "1.0", "id": "race-1", "source": "/analytics", "type": "t"},
			"Content-Type", "application/cloudevents+json"))
	}
	accepted, duplicates := 0, 0
	for _, r := range e.Race(reqs...) {
		var res struct{ Accepted, Duplicates int }
		if r.Status != 202 || json.Unmarshal([]byte(r.Body), &res) != nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		accepted += res.Accepted
		duplicates += res.Duplicates
	}
	if accepted != 1 || duplicates != 4 {
		t.Errorf("accepted %d, duplicates %d; want 1 and 4", accepted, duplicates)
	}
}
