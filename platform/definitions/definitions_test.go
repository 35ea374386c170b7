package definitions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/testenv"
	"cop/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The definitions service against a real PostgreSQL, without HTTP or sign-in.

const (
	personTerm = `{"name": "person", "version": "1.0.0", "title": "Person", "schema": {"type": "object", "required": ["fullName"],
		"properties": {"fullName": {"type": "string", "title": "Full name", "minLength": 1}}}}`
	visitForm = `{"name": "visit", "version": "1.0.0", "title": "Visit", "schema": {"type": "object",
		"properties": {"visitor": {"$ref": "term:person"}}}}`
)

var author = audit.Who{Actor: "dev-author"}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An upload that does not compile is refused with each problem at its
// pointer, stores nothing and announces nothing.
func TestAnInvalidUploadIsRefusedAtItsPointers(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	_, err := defs.PublishForm(ctx, author, []byte(`{"name": "visit", "version": "1.0.0", "title": "Visit",
		"schema": {"type": "object", "properties": {"visitor": {"$ref": "term:nobody"}}}}`), false)
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || !strings.HasPrefix(p.Detail, "the form is not valid: ") ||
		p.Fields[0].Pointer != "/schema/properties/visitor/$ref" || !strings.Contains(p.Fields[0].Message, `term "nobody" is not registered`) {
		t.Fatalf("refusal %+v (%v)", p, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM definitions`) + count(t, pool, `SELECT count(*) FROM events`); n != 0 {
		t.Errorf("a refused upload left %d rows", n)
	}
	if _, err := defs.PublishForm(ctx, author, []byte(`{"name": "Visit Form", "version": "1.0.0", "title": "Visit", "schema": {"type": "object"}}`), false); !problem.Is(err, problem.Invalid) {
		t.Errorf("a bad name: %v", err)
	}
}

// A term an active form pins cannot be retired until the form is; each
// publish and retire is announced once.
func TestATermInUseIsNotRetired(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	for _, publish := range []func() (definitions.Published, error){
		func() (definitions.Published, error) { return defs.PublishTerm(ctx, author, []byte(personTerm), false) },
		func() (definitions.Published, error) { return defs.PublishForm(ctx, author, []byte(visitForm), false) },
		func() (definitions.Published, error) { return defs.PublishForm(ctx, author, []byte(visitForm), false) }, // identical: a no-op
	} {
		if _, err := publish(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := defs.Retire(ctx, author, definitions.KindTerm, "person", "1.0.0")
	if p, ok := problem.As(err); !ok || p.Kind != problem.Conflict || !strings.Contains(p.Detail, "form:visit@1.0.0") {
		t.Fatalf("retiring a term in use: %v", err)
	}
	for range 2 { // retiring a retired version changes nothing
		if _, err := defs.Retire(ctx, author, definitions.KindForm, "visit", "1.0.0"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := defs.Retire(ctx, author, definitions.KindTerm, "person", "1.0.0"); err != nil {
		t.Fatalf("retiring a term no active form uses: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE type = 'cop.definition.published'`); n != 2 {
		t.Errorf("%d published events for 2 new versions", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE type = 'cop.definition.retired'`); n != 2 {
		t.Errorf("%d retired events for 2 retirements", n)
	}
}

// Only an admin or the form's author may route its submissions into a
// workflow (startForm); anyone else is refused at the startForm's pointer.
func TestOnlyTheFormsAuthorBindsItsSubmissions(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	if _, err := defs.PublishTerm(ctx, author, []byte(personTerm), false); err != nil {
		t.Fatal(err)
	}
	if _, err := defs.PublishForm(ctx, author, []byte(visitForm), false); err != nil {
		t.Fatal(err)
	}
	wf := []byte("document: {dsl: '1.0.0', namespace: kit, name: follow-up, version: '1.0.0', metadata: {startForm: visit}}\ndo:\n  - note: {set: {ok: true}}\n")
	other := &auth.Principal{Subject: "another-author", Roles: []string{"author"}}
	_, err := defs.PublishWorkflow(ctx, other, audit.Who{Actor: other.Subject}, wf, false)
	if p, ok := problem.As(err); !ok || p.Kind != problem.Forbidden || len(p.Fields) != 1 || p.Fields[0].Pointer != "/document/metadata/startForm" {
		t.Fatalf("another author binding the form: %+v (%v)", p, err)
	}
	if _, err := defs.PublishWorkflow(ctx, &auth.Principal{Subject: author.Actor, Roles: []string{"author"}}, author, wf, false); err != nil {
		t.Errorf("the form's author binding it: %v", err)
	}
}

// A stored workflow version is decoded once and shared (each submission
// that starts it used to decode it again), and another version is decoded
// as itself.
func TestAStoredWorkflowIsDecodedOncePerVersion(t *testing.T) {
	ctx := context.Background()
	defs := definitions.New(testenv.Pool(t))
	p := &auth.Principal{Subject: author.Actor, Roles: []string{"author"}}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		wf := []byte("document: {dsl: '1.0.0', namespace: kit, name: decoded, version: '" + v + "', title: 'Decoded " + v + "'}\ndo:\n  - note: {set: {ok: true}}\n")
		if _, err := defs.PublishWorkflow(ctx, p, author, wf, false); err != nil {
			t.Fatal(err)
		}
	}
	decoded := func(version string) *workflows.Workflow {
		t.Helper()
		d, err := defs.Workflow(ctx, "kit", "decoded", version)
		if err != nil {
			t.Fatal(err)
		}
		w, err := defs.DecodedWorkflow(d)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	first, again, other := decoded("1.0.0"), decoded("1.0.0"), decoded("1.1.0")
	if first != again {
		t.Error("the same version was decoded twice")
	}
	if first.Document.Title != "Decoded 1.0.0" || other.Document.Title != "Decoded 1.1.0" {
		t.Errorf("titles %q and %q, want each version's own", first.Document.Title, other.Document.Title)
	}
}
