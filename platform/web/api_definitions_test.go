package web

import (
	"strings"
	"testing"
)

func TestDefinitionScenarios(t *testing.T) {
	e := newEnv(t)
	author := e.token("author")
	registerArrival(e, author)
	e.must(201, "POST", "/api/v1/forms", author, approvalForm, nil)
	e.must(201, "POST", "/api/v1/forms", author, strings.Replace(approvalForm, `"seizure-approval"`, `"to-retire"`, 1), nil)
	changed := strings.Replace(approvalForm, "Approve a seizure", "Approve a seizure, changed", 1)
	e.scenarios(t, []scenario{
		{name: "an author publishes a form", as: "author", method: "POST", path: "/api/v1/forms",
			body: strings.Replace(approvalForm, `"seizure-approval"`, `"new-form"`, 1), status: 201, want: []string{`"name":"new-form"`, `"status":"active"`}},
		{name: "the same upload again changes nothing", as: "author", method: "POST", path: "/api/v1/forms", body: approvalForm, status: 200},
		{name: "other content under a version is a conflict", as: "author", method: "POST", path: "/api/v1/forms", body: changed, status: 409,
			want: []string{"already exists with different content"}},
		{name: "a dry run is checked, not stored", as: "author", method: "POST", path: "/api/v1/forms?dryRun=true",
			body: strings.Replace(approvalForm, `"seizure-approval"`, `"tried"`, 1), status: 200, want: []string{`"status":"draft"`}},
		{name: "an officer may not publish", as: "officer", method: "POST", path: "/api/v1/forms", body: approvalForm, status: 403},
		{name: "nobody signed in", method: "POST", path: "/api/v1/forms", body: approvalForm, status: 401},
		{name: "not JSON", as: "author", method: "POST", path: "/api/v1/forms", body: `{"name": `, status: 400},
		{name: "a bad name", as: "author", method: "POST", path: "/api/v1/forms",
			body: strings.Replace(approvalForm, `"seizure-approval"`, `"Seizure Approval"`, 1), status: 422, pointers: []string{"/name"}},
		{name: "a schema that names a missing term", as: "author", method: "POST", path: "/api/v1/forms",
			body:   `{"name": "bad", "version": "1.0.0", "title": "Bad", "schema": {"type": "object", "properties": {"who": {"$ref": "term:nobody"}}}}`,
			status: 422, pointers: []string{"/schema/properties/who/$ref"}},
		{name: "anyone signed in reads a form", as: "officer", method: "GET", path: "/api/v1/forms/seizure-approval", status: 200,
			want: []string{`"version":"1.0.0"`}},
		{name: "its versions", as: "officer", method: "GET", path: "/api/v1/forms/seizure-approval/versions", status: 200},
		{name: "an unknown form", as: "officer", method: "GET", path: "/api/v1/forms/nope", status: 404},
		{name: "an unknown version", as: "officer", method: "GET", path: "/api/v1/forms/seizure-approval/versions/9.9.9", status: 404},
		{name: "the list", as: "officer", method: "GET", path: "/api/v1/forms", status: 200, want: []string{`"seizure-approval"`, `"arrival-report"`}},
		{name: "an officer may not retire", as: "officer", method: "POST", path: "/api/v1/forms/seizure-approval/versions/1.0.0/retire", status: 403},
		{name: "an author retires", as: "author", method: "POST", path: "/api/v1/forms/to-retire/versions/1.0.0/retire", status: 200,
			want: []string{`"status":"retired"`}},
		{name: "a term an active form uses stays", as: "author", method: "POST", path: "/api/v1/terms/port/versions/1.0.0/retire", status: 409,
			want: []string{"form:arrival-report@1.0.0"}},
		{name: "reference data items", as: "officer", method: "GET", path: "/api/v1/refdata/uk-ports/items", status: 200, want: []string{`"GBDVR"`}},
		{name: "unknown reference data", as: "officer", method: "GET", path: "/api/v1/refdata/nope/items", status: 404},
	})
}
