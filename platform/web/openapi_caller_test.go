package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

// callerDoc fetches the OpenAPI document as a caller sees it.
func callerDoc(t *testing.T, e *webtest.Env, token string) (map[string]any, string) {
	t.Helper()
	resp, body := e.Do(nil, "GET", "/api/v1/openapi.json", token, nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "private") {
		t.Fatalf("openapi.json: %d %v", resp.StatusCode, resp.Header)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	return doc, body
}

func operation(doc map[string]any, path string) map[string]any {
	p, _ := doc["paths"].(map[string]any)[path].(map[string]any)
	op, _ := p["post"].(map[string]any)
	return op
}

// A signed-in caller's document has an operation for each active form and
// workflow they may start, typed with its own schema, the moment it is
// published and no longer once it is retired; it passes the independent
// linter; anonymous callers get the generic document.
func TestEachCallersOpenAPIHasTheirOwnOperations(t *testing.T) {
	e := webtest.New(t)
	author, officer := e.Token("author"), e.Token("officer")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "held-out", "version": "1.0.0", "title": "Held out",
		"access": {"start": ["role:supervisor"]}, "schema": {"type": "object"}}`, nil)
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: kit, name: add, version: '1.0.0'}
input: {schema: {format: json, document: {type: object, required: [a, b], properties: {a: {type: integer}, b: {type: integer}}}}}
do:
  - sum: {set: {sum: '${ .a + .b }'}}
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}

	doc, body := callerDoc(t, e, officer)
	op := operation(doc, "/api/v1/forms/arrival-report/submissions")
	if op == nil || op["operationId"] != "submitArrivalReport" {
		t.Fatalf("the officer's document lacks submitArrivalReport: %v", op)
	}
	ref := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	root, _ := schemas[strings.TrimPrefix(ref.(string), "#/components/schemas/")].(map[string]any)
	if root == nil || root["required"] == nil || !strings.Contains(body, `"GBDVR"`) {
		t.Errorf("the form's own schema (with its port codes) is not the body: %v", root)
	}
	if operation(doc, "/api/v1/forms/held-out/submissions") != nil {
		t.Error("the officer's document offers a form only supervisors may submit")
	}
	if op := operation(doc, "/api/v1/workflows/kit/add/run"); op == nil || op["operationId"] != "runKitAdd" {
		t.Errorf("no runKitAdd: %v", op)
	}
	// An author's form may require in a then what its properties define
	// (if/then): JSON Schema allows it, the rule does not.
	if out, ok := webtest.Redocly(t, []byte(body), "--skip-rule", "no-required-schema-properties-undefined"); !ok {
		t.Fatalf("redocly lint of the officer's document:\n%s", out)
	}

	supervisors, _ := callerDoc(t, e, e.Token("supervisor"))
	if operation(supervisors, "/api/v1/forms/held-out/submissions") == nil {
		t.Error("the supervisor's document lacks the form they may submit")
	}
	anonymous, _ := callerDoc(t, e, "")
	if operation(anonymous, "/api/v1/forms/arrival-report/submissions") != nil {
		t.Error("the anonymous document names registered forms")
	}

	// A form whose method name is taken (the generic submitForm) gets a number.
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "form", "version": "1.0.0", "title": "Form", "schema": {"type": "object"}}`, nil)
	if doc, _ = callerDoc(t, e, officer); operation(doc, "/api/v1/forms/form/submissions")["operationId"] != "submitForm2" ||
		operation(doc, "/api/v1/forms/{name}/submissions")["operationId"] != "submitForm" {
		t.Errorf("method names: %v, %v", operation(doc, "/api/v1/forms/form/submissions")["operationId"],
			operation(doc, "/api/v1/forms/{name}/submissions")["operationId"])
	}

	// Published a moment ago: there; retired: gone. No restart.
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "landing-note", "version": "1.0.0", "title": "Landing note", "schema": {"type": "object"}}`, nil)
	if doc, _ = callerDoc(t, e, officer); operation(doc, "/api/v1/forms/landing-note/submissions") == nil {
		t.Error("a form published a moment ago is not in the document")
	}
	e.Must(200, "POST", "/api/v1/forms/landing-note/versions/1.0.0/retire", author, nil, nil)
	if doc, _ = callerDoc(t, e, officer); operation(doc, "/api/v1/forms/landing-note/submissions") != nil {
		t.Error("a retired form is still in the document")
	}
}

// An integrator generates a typed client from their document with
// openapi-typescript and calls COP through openapi-fetch: TypeScript's
// compiler accepts a submission that fits the form and refuses one that
// does not, and the compiled client submits.
func TestATypedClientFromTheDocument(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	webtest.RegisterArrival(e, author)
	officer := e.Token("officer")
	_, body := callerDoc(t, e, officer)

	dir, err := os.MkdirTemp(filepath.Join(webtest.Root(), "ui"), ".typed-client-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("openapi.json", body)
	write("package.json", `{"type": "module"}`)
	write("tsconfig.json", `{"compilerOptions": {"strict": true, "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext",
		"outDir": "out", "skipLibCheck": true}, "files": ["client.ts"]}`)
	write("client.ts", `import createClient from "openapi-fetch";
import type { paths } from "./cop.js";

declare const process: { env: Record<string, string | undefined> };

const client = createClient<paths>({ baseUrl: process.env.COP_BASE_URL, headers: { Authorization: "Bearer " + process.env.COP_TOKEN } });
const { data, error } = await client.POST("/api/v1/forms/arrival-report/submissions", {
  body: { arrivalDate: "2026-11-21", port: "GBDVR", traveller: { fullName: "Ann Smith" }, searched: false },
});
if (error || !data) throw new Error("refused: " + JSON.stringify(error));
console.log("submitted " + data.businessKey);
`)
	write("wrong.ts", `import createClient from "openapi-fetch";
import type { paths } from "./cop.js";

const client = createClient<paths>({ baseUrl: "http://localhost" });
await client.POST("/api/v1/forms/arrival-report/submissions", { body: { arrivalDate: "2026-11-21", port: "GBDVR", traveller: { fullName: "Ann" }, searched: "no" } });
`)
	run := func(env []string, name string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(webtest.Root(), "ui", "node_modules", ".bin", name)}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(nil, "openapi-typescript", "openapi.json", "-o", "cop.d.ts"); err != nil {
		t.Fatalf("openapi-typescript: %v\n%s", err, out)
	}
	if out, err := run(nil, "tsc", "-p", "."); err != nil {
		t.Fatalf("tsc refused a submission that fits the form: %v\n%s", err, out)
	}
	if out, err := run(nil, "tsc", "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022",
		"--skipLibCheck", "wrong.ts"); err == nil || !strings.Contains(out, "wrong.ts(5,") || !strings.Contains(out, "not assignable to type 'boolean'") {
		t.Errorf("tsc accepted a submission whose searched is a string: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "out", "client.js"))
	cmd.Env = append(os.Environ(), "COP_BASE_URL="+e.Base, "COP_TOKEN="+officer)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "submitted ARR-") {
		t.Fatalf("the typed client: %v\n%s", err, out)
	}
}
