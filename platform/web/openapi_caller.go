package web

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/registry"
	"cop/workflows"
)

// A signed-in caller's OpenAPI document is the generic one with an
// operation for each active form and workflow they may start, typed with
// that definition's own schema, so a client generated from it has
// submitArrivalReport(answers) rather than submit(name, anything). It is
// built on each request from the registry as it is, so a definition
// published or retired a moment ago is in it, or gone.

// maxOwnOperations bounds what one document lists, however much is
// registered.
const maxOwnOperations = 500

// callerOpenAPI is the generic document with the caller's own operations.
func (s *Server) callerOpenAPI(ctx context.Context, p *auth.Principal) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(s.openapi, &doc); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	doc["tags"] = append(doc["tags"].([]any),
		map[string]any{"name": "Your forms", "description": "The forms you may submit to, each with its own answers schema."},
		map[string]any{"name": "Your workflows", "description": "The workflows you may start, each with its own input schema."})
	// Two names can make one method name (arrival-report, arrival_report),
	// or a generic one's (a form named form): the later gets a number.
	used := map[string]bool{}
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			if m, ok := op.(map[string]any); ok {
				if id, ok := m["operationId"].(string); ok {
					used[id] = true
				}
			}
		}
	}
	unique := func(op map[string]any) map[string]any {
		for _, method := range op {
			m := method.(map[string]any)
			id := m["operationId"].(string)
			for n := 2; used[id]; n++ {
				id = fmt.Sprintf("%s%d", m["operationId"], n)
			}
			used[id], m["operationId"] = true, id
		}
		return op
	}
	n := 0
	if err := s.eachActive(ctx, definitions.KindForm, &n, func(d registry.Definition) error {
		if n >= maxOwnOperations {
			return nil
		}
		f, err := s.deps.Definitions.Compiled(ctx, d) // cached: no read per form
		if err != nil {
			return nil // a version that no longer compiles is not offered
		}
		if start := f.Def.Access.Start; len(start) > 0 && !p.Matches(start) {
			return nil
		}
		b := f.Bundle("#/components/schemas/")
		for name, schema := range b.Schemas {
			schemas[name] = schema
		}
		paths["/api/v1/forms/"+d.Name+"/submissions"] = unique(formOperation(d, f.Def.Title, b.Root))
		n++
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.eachActive(ctx, definitions.KindWorkflow, &n, func(d registry.Definition) error {
		if n >= maxOwnOperations {
			return nil
		}
		w, err := s.deps.Definitions.DecodedWorkflow(d)
		if err != nil {
			return nil
		}
		if start := workflows.AccessOf(w).Start; len(start) > 0 && !p.Matches(start) {
			return nil
		}
		input := map[string]any{"description": "The instance's input: any JSON value"}
		if w.Input != nil && w.Input.Schema != nil && w.Input.Schema.Format == "json" && len(w.Input.Schema.Document) > 0 {
			var in map[string]any
			if json.Unmarshal(w.Input.Schema.Document, &in) == nil && !hasRef(in) {
				input = in
			}
		}
		name := componentName("workflow." + d.Namespace + "." + d.Name + "." + d.Version + ".start")
		schemas[name] = map[string]any{"type": "object", "additionalProperties": false, "required": []any{"input"},
			"properties": map[string]any{"input": input, "businessKey": map[string]any{"$ref": "#/components/schemas/BusinessKey"}}}
		base := "/api/v1/workflows/" + d.Namespace + "/" + d.Name
		title := w.Document.Title
		if title == "" {
			title = d.Namespace + "/" + d.Name
		}
		paths[base+"/instances"] = unique(workflowOperation(d, title, name, false))
		paths[base+"/run"] = unique(workflowOperation(d, title, name, true))
		n++
		return nil
	}); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// eachActive calls fn with the latest active version of each definition
// of a kind, until *n reaches the cap.
func (s *Server) eachActive(ctx context.Context, kind string, n *int, fn func(registry.Definition) error) error {
	cursor := ""
	for {
		var list []registry.Definition
		var err error
		if kind == definitions.KindWorkflow {
			list, cursor, err = s.deps.Definitions.Workflows(ctx, "", 200, cursor)
		} else {
			list, cursor, err = s.deps.Definitions.List(ctx, kind, 200, cursor)
		}
		if err != nil {
			return fmt.Errorf("list %ss for the OpenAPI document: %w", kind, err)
		}
		for _, d := range list {
			if err := fn(d); err != nil {
				return err
			}
		}
		if cursor == "" || *n >= maxOwnOperations {
			return nil
		}
	}
}

// hasRef reports whether a schema refers elsewhere (a workflow's input
// schema is self-contained or not offered typed).
func hasRef(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "$ref" || k == "$dynamicRef" || hasRef(val) {
				return true
			}
		}
	case []any:
		for _, val := range x {
			if hasRef(val) {
				return true
			}
		}
	}
	return false
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func componentName(s string) string { return nonName.ReplaceAllString(s, "-") }

// operationID makes a method name: verb + the words of the names, e.g.
// submitArrivalReport, startBorderForceSeizureApproval.
func operationID(verb string, names ...string) string {
	var b strings.Builder
	b.WriteString(verb)
	for _, n := range names {
		for _, word := range strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			r := []rune(word)
			b.WriteString(strings.ToUpper(string(r[0])) + string(r[1:]))
		}
	}
	return b.String()
}

var problemContent = map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}

func problemResponse(description string) map[string]any {
	return map[string]any{"description": description, "content": problemContent}
}

// formOperation is POST /api/v1/forms/NAME/submissions with the form's
// answers as the body.
func formOperation(d registry.Definition, title, root string) map[string]any {
	return map[string]any{"post": map[string]any{
		"operationId": operationID("submit", d.Name),
		"tags":        []any{"Your forms"},
		"summary":     "Submit answers to " + title,
		"description": fmt.Sprintf("The answers to form %s (version %s, its latest active one when this document was made), checked as `POST /api/v1/forms/{name}/submissions` checks them.", d.Name, d.Version),
		"parameters": []any{
			map[string]any{"$ref": "#/components/parameters/caseQuery"},
			map[string]any{"$ref": "#/components/parameters/IdempotencyKey"},
		},
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/" + root}}}},
		"responses": map[string]any{
			"201": map[string]any{"description": "Submitted", "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Submission"}}}},
			"400": map[string]any{"$ref": "#/components/responses/MalformedJSON"},
			"401": map[string]any{"$ref": "#/components/responses/Unauthorized"},
			"403": problemResponse("The form's access.start no longer admits you"),
			"410": problemResponse("The form's every version is retired"),
			"422": problemResponse("The answers do not fit the form: one entry per field in `errors`"),
		},
	}}
}

// workflowOperation is POST …/instances (or …/run) with the workflow's
// input schema.
func workflowOperation(d registry.Definition, title, body string, run bool) map[string]any {
	verb, summary := "start", "Start "+title
	responses := map[string]any{
		"201": map[string]any{"description": "Started", "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Instance"}}}},
	}
	params := []any{map[string]any{"$ref": "#/components/parameters/IdempotencyKey"}}
	if run {
		verb, summary = "run", "Run "+title+" and wait for its output"
		responses = map[string]any{
			"200":     map[string]any{"description": "Its output", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{}}}},
			"202":     map[string]any{"description": "Still running", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Instance"}}}},
			"default": problemResponse("It faulted: its error, with its status"),
		}
		params = append(params, map[string]any{"name": "wait", "in": "query", "schema": map[string]any{"type": "string", "default": "10s"},
			"description": "How long to wait, at most 60s"})
	}
	responses["400"] = map[string]any{"$ref": "#/components/responses/MalformedJSON"}
	responses["401"] = map[string]any{"$ref": "#/components/responses/Unauthorized"}
	responses["403"] = problemResponse("The workflow's access.start no longer admits you")
	responses["422"] = problemResponse("The input does not fit the workflow's input schema")
	return map[string]any{"post": map[string]any{
		"operationId": operationID(verb, d.Namespace, d.Name),
		"tags":        []any{"Your workflows"},
		"summary":     summary,
		"description": fmt.Sprintf("Workflow %s/%s (version %s, its latest active one when this document was made).", d.Namespace, d.Name, d.Version),
		"parameters":  params,
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/" + body}}}},
		"responses": responses,
	}}
}
