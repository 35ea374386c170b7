package api_test

import (
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

func TestDefinitionScenarios(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.Must(201, "POST", "/api/v1/forms", author, strings.Replace(webtest.ApprovalForm, `"seizure-approval"`, `"to-retire"`, 1), nil)
	changed := strings.Replace(webtest.ApprovalForm, "Approve a seizure", "Approve a seizure, changed", 1)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an author publishes a form", As: "author", Method: "POST", Path: "/api/v1/forms",
			Body: strings.Replace(webtest.ApprovalForm, `"seizure-approval"`, `"new-form"`, 1), Status: 201, Want: []string{`"name":"new-form"`, `"status":"active"`}},
		{Name: "the same upload again changes nothing", As: "author", Method: "POST", Path: "/api/v1/forms", Body: webtest.ApprovalForm, Status: 200},
		{Name: "other content under a version is a conflict", As: "author", Method: "POST", Path: "/api/v1/forms", Body: changed, Status: 409,
			Want: []string{"already exists with different content"}},
		{Name: "a dry run is checked, not stored", As: "author", Method: "POST", Path: "/api/v1/forms?dryRun=true",
			Body: strings.Replace(webtest.ApprovalForm, `"seizure-approval"`, `"tried"`, 1), Status: 200, Want: []string{`"status":"draft"`}},
		{Name: "an officer may not publish", As: "officer", Method: "POST", Path: "/api/v1/forms", Body: webtest.ApprovalForm, Status: 403},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/forms", Body: webtest.ApprovalForm, Status: 401},
		{Name: "not JSON", As: "author", Method: "POST", Path: "/api/v1/forms", Body: `{"name": `, Status: 400},
		{Name: "a bad name", As: "author", Method: "POST", Path: "/api/v1/forms",
			Body: strings.Replace(webtest.ApprovalForm, `"seizure-approval"`, `"Seizure Approval"`, 1), Status: 422, Pointers: []string{"/name"}},
		{Name: "a schema that names a missing term", As: "author", Method: "POST", Path: "/api/v1/forms",
			Body:   `{"name": "bad", "version": "1.0.0", "title": "Bad", "schema": {"type": "object", "properties": {"who": {"$ref": "term:nobody"}}}}`,
			Status: 422, Pointers: []string{"/schema/properties/who/$ref"}},
		{Name: "mistakes that would go unnoticed, each at its pointer", As: "author", Method: "POST", Path: "/api/v1/forms",
			Body: `{"name": "careless", "version": "1.0.0", "title": "Careless", "schema": {"type": "object", "required": ["nmae"],
				"properties": {"name": {"type": "string", "maxLenght": 5, "errorMessage": {"pattern": "Letters only"}},
					"kind": {"oneOf": [{"const": "a", "label": "A"}]}}}}`,
			Status: 422, Pointers: []string{"/schema/properties/kind/oneOf/0/label", "/schema/properties/name/errorMessage/pattern",
				"/schema/properties/name/maxLenght", "/schema/required/0"}},
		{Name: "nothing of it was stored", As: "author", Method: "GET", Path: "/api/v1/forms/careless", Status: 404},
		{Name: "anyone signed in reads a form", As: "officer", Method: "GET", Path: "/api/v1/forms/seizure-approval", Status: 200,
			Want: []string{`"version":"1.0.0"`}},
		{Name: "its versions", As: "officer", Method: "GET", Path: "/api/v1/forms/seizure-approval/versions", Status: 200},
		{Name: "an unknown form", As: "officer", Method: "GET", Path: "/api/v1/forms/nope", Status: 404},
		{Name: "an unknown version", As: "officer", Method: "GET", Path: "/api/v1/forms/seizure-approval/versions/9.9.9", Status: 404},
		{Name: "the list", As: "officer", Method: "GET", Path: "/api/v1/forms", Status: 200, Want: []string{`"seizure-approval"`, `"arrival-report"`}},
		{Name: "an officer may not retire", As: "officer", Method: "POST", Path: "/api/v1/forms/seizure-approval/versions/1.0.0/retire", Status: 403},
		{Name: "an author retires", As: "author", Method: "POST", Path: "/api/v1/forms/to-retire/versions/1.0.0/retire", Status: 200,
			Want: []string{`"status":"retired"`}},
		{Name: "a term an active form uses stays", As: "author", Method: "POST", Path: "/api/v1/terms/port/versions/1.0.0/retire", Status: 409,
			Want: []string{"form:arrival-report@1.0.0"}},
		{Name: "reference data items", As: "officer", Method: "GET", Path: "/api/v1/refdata/uk-ports/items", Status: 200, Want: []string{`"GBDVR"`}},
		{Name: "unknown reference data", As: "officer", Method: "GET", Path: "/api/v1/refdata/nope/items", Status: 404},
	})
}
