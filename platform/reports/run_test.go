package reports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/reports"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	admin   = &auth.Principal{Subject: "ada", Roles: []string{auth.RoleAdmin}}
	manager = &auth.Principal{Subject: "mo", Roles: []string{auth.RoleManager}}
	who     = audit.Who{Actor: "ada", RequestID: "test"}
)

const approvalForm = `{"name": "approval", "version": "1.0.0", "title": "Approve",
	"schema": {"type": "object", "properties": {"approved": {"type": "boolean", "title": "Approved"}}}}`

const approvalWorkflow = `document: {dsl: '1.0.0', namespace: bf, name: approve, version: '1.0.0',
  metadata: {access: {read: [role:supervisor, role:manager]}}}
do:
  - approve:
      call: userTask
      with: {form: approval, title: Approve, candidateGroups: [role:supervisor]}
`

const kitForm = `{"name": "kit", "version": "1.0.0", "title": "Kit found", "access": {"read": ["role:manager"]},
	"schema": {"type": "object", "properties": {
		"found": {"type": "array", "title": "What was found", "uniqueItems": true,
			"items": {"type": "string", "oneOf": [{"const": "drugs", "title": "Controlled drugs"}, {"const": "cash", "title": "Cash"}, {"const": "tobacco", "title": "Tobacco"}]}}}}}`

const seizureForm = `{"name": "seizure", "version": "1.0.0", "title": "Seizure", "access": {"read": ["role:manager"]},
	"schema": {"type": "object", "properties": {
		"category": {"type": "string", "title": "Category", "enum": ["drugs", "cash"]},
		"value": {"type": "number", "title": "Value"}}}}`

type env struct {
	ctx  context.Context
	pool *pgxpool.Pool
	svc  *reports.Service
}

func newEnv(t *testing.T) *env {
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	e := &env{ctx: context.Background(), pool: pool, svc: reports.New(pool, defs)}
	for _, f := range []string{approvalForm, seizureForm, kitForm} {
		if _, err := defs.PublishForm(e.ctx, who, []byte(f), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := defs.PublishWorkflow(e.ctx, admin, who, []byte(approvalWorkflow), false); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newCase opens a case for submissions written straight into the table.
func (e *env) newCase(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO cases (business_key, created_by) VALUES ('S-1', 'olu') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) publish(t *testing.T, def string) {
	t.Helper()
	if _, err := e.svc.Publish(e.ctx, who, []byte(def), false); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// run answers a report as reader, prepared as an admin would see it (so a
// test can show what a reader's rows are once past the report's grant).
func (e *env) run(t *testing.T, reader *auth.Principal, name, query string) (*reports.Result, error) {
	t.Helper()
	pr, err := e.svc.Prepare(e.ctx, admin, name, "")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(query)
	return e.svc.Run(e.ctx, reader, pr, q)
}

func (e *env) mustRun(t *testing.T, reader *auth.Principal, name, query string) *reports.Result {
	t.Helper()
	res, err := e.run(t, reader, name, query)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lines(res *reports.Result) string {
	var out []string
	for _, row := range res.Rows {
		var cells []string
		for i := range res.Columns {
			cells = append(cells, res.Text(row, i))
		}
		out = append(out, strings.Join(cells, " "))
	}
	return strings.Join(out, "\n")
}

// TestTaskTimesByTeam: durations from the tasks' own timestamps, as
// median, p90 and p95, by the team whose work each task is.
func TestTaskTimesByTeam(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	instance := func(id, team string) {
		e.exec(t, `INSERT INTO instances (id, namespace, name, version, started_by, read_access, teams, status, started_at)
			VALUES ($1, 'bf', 'approve', '1.0.0', 'olu', '{role:supervisor,role:manager}', $2, 'running', $3)`, id, []string{team}, t0)
	}
	task := func(id, instanceID string, groups []string, claimAfter, completeAfter int, due *time.Time) {
		var claimed, completed *time.Time
		status := "open"
		if claimAfter >= 0 {
			c := t0.Add(time.Duration(claimAfter) * time.Second)
			claimed = &c
		}
		if completeAfter >= 0 {
			c := t0.Add(time.Duration(completeAfter) * time.Second)
			completed, status = &c, "completed"
		}
		e.exec(t, `INSERT INTO tasks (id, instance_id, position, form_name, form_version, title, candidate_groups, priority,
				status, due, created_at, updated_at, claimed_at, completed_at)
			VALUES ($1, $2, '/do/0', 'approval', '1.0.0', 'Approve', $3, 3, $4, $5, $6, $6, $7, $8)`,
			id, instanceID, groups, status, due, t0, claimed, completed)
	}
	instance("i1", "heathrow")
	instance("i2", "heathrow")
	instance("i3", "heathrow")
	instance("i4", "dover")
	sup := []string{"role:supervisor"}
	task("t1", "i1", sup, 30, 60, nil)
	task("t2", "i2", sup, 60, 120, nil)
	task("t3", "i3", sup, 90, 300, nil)
	task("t4", "i4", sup, 10, 600, nil)
	// A task offered to a team is that team's, whoever started its instance.
	overdue := time.Now().Add(-time.Hour)
	task("t5", "i4", []string{"team:south"}, -1, -1, &overdue)
	e.publish(t, `{"name": "task-times", "version": "1.0.0", "title": "Task times", "source": {"kind": "tasks", "workflow": "bf/approve"},
		"groupBy": ["team"], "measures": [{"op": "count"}, {"op": "median", "field": "timeToComplete"}, {"op": "p90", "field": "timeToComplete"},
			{"op": "p95", "field": "timeToComplete"}, {"op": "max", "field": "timeToClaim"}],
		"chart": "bar", "access": {"read": ["role:manager"]}}`)
	res := e.mustRun(t, manager, "task-times", "")
	want := "dover 1 10 min 10 min 10 min 10 s\nheathrow 3 2 min 4 min 24 s 4 min 42 s 1 min 30 s\nsouth 1    "
	if got := lines(res); got != want {
		t.Errorf("rows\n%s\nwant\n%s", got, want)
	}
	if v := res.Rows[1].Cells[3]; v != 264.0 {
		t.Errorf("p90 of 60, 120 and 300 s: %v, want 264", v)
	}

	e.publish(t, `{"name": "overdue", "version": "1.0.0", "title": "Overdue tasks", "source": {"kind": "tasks", "workflow": "bf/approve"},
		"filters": [{"field": "overdue", "op": "=", "value": true}], "columns": ["id", "due", "team"], "sort": ["due"],
		"access": {"read": ["role:manager", "role:supervisor"]}}`)
	if got := lines(e.mustRun(t, manager, "overdue", "")); !strings.HasPrefix(got, "t5 ") || !strings.HasSuffix(got, " south") {
		t.Errorf("a manager reads the instance, so its tasks: %q", got)
	}
	stranger := &auth.Principal{Subject: "sam", Roles: []string{auth.RoleOfficer}, Teams: []string{"north"}}
	if got := lines(e.mustRun(t, stranger, "overdue", "")); got != "" {
		t.Errorf("rows a stranger may not see: %q", got)
	}
	southern := &auth.Principal{Subject: "sue", Roles: []string{auth.RoleOfficer}, Teams: []string{"south"}}
	if got := lines(e.mustRun(t, southern, "overdue", "")); !strings.HasPrefix(got, "t5 ") {
		t.Errorf("the team the task is offered to sees it: %q", got)
	}
}

// TestMonthsBeginInLondon: a seizure at 00:30 on 1 April BST belongs to
// April, and a date range means whole days there.
func TestMonthsBeginInLondon(t *testing.T) {
	e := newEnv(t)
	caseID := e.newCase(t)
	for _, at := range []string{"2026-03-31T22:59:00Z", "2026-03-31T23:30:00Z", "2026-01-31T23:30:00Z"} {
		e.exec(t, `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
			VALUES ($1, $2, 'seizure', '1.0.0', '{"category": "cash", "value": 1}', 'olu', '{role:manager}', '{}', $3)`, uuid.NewString(), caseID, at)
	}
	e.publish(t, `{"name": "monthly", "version": "1.0.0", "title": "Monthly", "source": {"kind": "submissions", "form": "seizure"},
		"params": [{"name": "from", "type": "date"}, {"name": "to", "type": "date"}],
		"filters": [{"field": "submitted", "op": "between", "value": ["$from", "$to"]}],
		"groupBy": [{"field": "submitted", "bucket": "month"}], "measures": [{"op": "count"}], "access": {"read": ["role:manager"]}}`)
	if got := lines(e.mustRun(t, manager, "monthly", "")); got != "2026-01 1\n2026-03 1\n2026-04 1" {
		t.Errorf("months:\n%s", got)
	}
	if got := lines(e.mustRun(t, manager, "monthly", "from=2026-04-01&to=2026-04-01")); got != "2026-04 1" {
		t.Errorf("1 April, London time: %q", got)
	}
	if got := lines(e.mustRun(t, manager, "monthly", "to=2026-03-31")); got != "2026-01 1\n2026-03 1" {
		t.Errorf("up to 31 March: %q", got)
	}
	// ISO weeks: 1 April 2026 (London) is in week 14, 31 March and 1
	// February (London) in weeks 14 and 5.
	e.publish(t, `{"name": "weekly", "version": "1.0.0", "title": "Weekly", "source": {"kind": "submissions", "form": "seizure"},
		"groupBy": [{"field": "submitted", "bucket": "isoWeek"}], "measures": [{"op": "count"}], "chart": "line", "access": {"read": ["role:manager"]}}`)
	if got := lines(e.mustRun(t, manager, "weekly", "")); got != "2026-W05 1\n2026-W14 2" {
		t.Errorf("weeks:\n%s", got)
	}
}

// TestACorrectionCountsOnceOnItsFirstDate: a corrected submission is
// counted with its corrected answers, on the day they were first given.
func TestACorrectionCountsOnceOnItsFirstDate(t *testing.T) {
	e := newEnv(t)
	caseID := e.newCase(t)
	first := uuid.NewString()
	e.exec(t, `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
		VALUES ($1, $2, 'seizure', '1.0.0', '{"category": "cash", "value": 100}', 'olu', '{role:manager}', '{}', '2026-01-10T12:00:00Z')`, first, caseID)
	for i, value := range []int{150, 175} {
		corrects := first
		if i == 1 {
			if err := e.pool.QueryRow(e.ctx, `SELECT id::text FROM submissions WHERE corrects IS NOT NULL`).Scan(&corrects); err != nil {
				t.Fatal(err)
			}
		}
		err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error {
			return cases.RecordAmendment(e.ctx, tx, cases.Amendment{ID: uuid.NewString(), Corrects: corrects,
				Data: []byte(fmt.Sprintf(`{"category": "drugs", "value": %d}`, value)), By: "olu", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.publish(t, `{"name": "values", "version": "1.0.0", "title": "Values", "source": {"kind": "submissions", "form": "seizure"},
		"groupBy": ["/category", {"field": "submitted", "bucket": "month"}], "measures": [{"op": "count"}, {"op": "sum", "field": "/value"}],
		"access": {"read": ["role:manager"]}}`)
	if got := lines(e.mustRun(t, manager, "values", "")); got != "drugs 2026-01 1 175" {
		t.Errorf("rows: %q", got)
	}
}

// TestTooManyRowsOrTooLongIsAProblemNotAPart: past the row cap or the
// statement timeout the whole answer is refused, saying to narrow it.
func TestTooManyRowsOrTooLongIsAProblemNotAPart(t *testing.T) {
	e := newEnv(t)
	caseID := e.newCase(t)
	e.exec(t, `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
		SELECT gen_random_uuid(), $1, 'seizure', '1.0.0', jsonb_build_object('category', CASE WHEN n % 2 = 0 THEN 'cash' ELSE 'drugs' END, 'value', n),
			'olu', '{role:manager}', '{}', now() - n * interval '1 minute'
		FROM generate_series(1, 200000) n`, caseID)
	e.publish(t, `{"name": "all", "version": "1.0.0", "title": "All", "source": {"kind": "submissions", "form": "seizure"},
		"columns": ["/value"], "access": {"read": ["role:manager"]}}`)
	e.publish(t, `{"name": "heavy", "version": "1.0.0", "title": "Heavy", "source": {"kind": "submissions", "form": "seizure"},
		"groupBy": ["/category"], "measures": [{"op": "countDistinct", "field": "/value"}, {"op": "max", "field": "/value"}],
		"access": {"read": ["role:manager"]}}`)

	e.svc.MaxRows = 1000
	_, err := e.run(t, manager, "all", "")
	if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Reason != "rows" || !strings.Contains(p.Detail, "more than 1000 rows") {
		t.Errorf("past the row cap: %v", err)
	}
	e.svc.Timeout = time.Millisecond
	_, err = e.run(t, manager, "heavy", "")
	if p, ok := problem.As(err); !ok || p.Kind != problem.Unavailable || p.Reason != "timeout" || !strings.Contains(p.Detail, "narrow the parameters") {
		t.Errorf("past the timeout: %v", err)
	}
	e.svc.Timeout = time.Minute
	if got := lines(e.mustRun(t, manager, "heavy", "")); got != "cash 100000 200000\ndrugs 100000 199999" {
		t.Errorf("given the time: %q", got)
	}
}

// TestEveryOperatorRunsWithOrWithoutItsParameters: each operator on each
// kind of field builds SQL PostgreSQL accepts, whether its parameters are
// given or left out (an optional filter), and keeps the rows it should.
func TestEveryOperatorRunsWithOrWithoutItsParameters(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	e.exec(t, `INSERT INTO instances (id, namespace, name, version, started_by, read_access, teams, status, started_at)
		VALUES ('i1', 'bf', 'approve', '1.0.0', 'olu', '{role:manager}', '{heathrow}', 'running', $1)`, t0)
	for i, p := range []int{1, 3, 5} {
		e.exec(t, `INSERT INTO tasks (id, instance_id, position, form_name, form_version, title, candidate_groups, priority,
				status, due, created_at, updated_at, completed_at)
			VALUES ($1, 'i1', '/do/0', 'approval', '1.0.0', $2, '{role:supervisor}', $3, 'completed', $4, $4, $4, $5)`,
			fmt.Sprintf("t%d", i), fmt.Sprintf("Task %d", i), p, t0.AddDate(0, 0, i), t0.AddDate(0, 0, i).Add(time.Duration(p)*time.Minute))
	}
	e.publish(t, `{"name": "every-op", "version": "1.0.0", "title": "Every operator", "source": {"kind": "tasks", "workflow": "bf/approve"},
		"params": [{"name": "p", "type": "integer", "minimum": 1, "maximum": 5}, {"name": "ps", "type": "integer", "multiple": true, "options": [{"value": 1}, {"value": 3}, {"value": 5}]},
			{"name": "one", "type": "integer"},
			{"name": "from", "type": "date"}, {"name": "to", "type": "date"}, {"name": "title", "type": "string"},
			{"name": "team", "type": "string"}, {"name": "teams", "type": "string", "multiple": true, "options": [{"value": "heathrow"}, {"value": "dover"}]}, {"name": "secs", "type": "number"}],
		"filters": [
			{"field": "priority", "op": ">=", "value": "$p"}, {"field": "priority", "op": "in", "value": "$ps"},
			{"field": "priority", "op": "in", "value": ["$one"]},
			{"field": "created", "op": "between", "value": ["$from", "$to"]}, {"field": "due", "op": ">", "value": "$from"},
			{"field": "due", "op": "<", "value": "$to"}, {"field": "title", "op": "!=", "value": "$title"},
			{"field": "team", "op": "=", "value": "$team"}, {"field": "team", "op": "in", "value": "$teams"},
			{"field": "timeToComplete", "op": "<=", "value": "$secs"}, {"field": "claimed", "op": "exists", "value": false},
			{"field": "status", "op": "in", "value": ["completed", "open"]}, {"field": "priority", "op": "between", "value": [1, 5]}],
		"columns": ["id"], "access": {"read": ["role:manager"]}}`)
	for query, want := range map[string]string{
		"":                "t0\nt1\nt2",
		"p=3":             "t1\nt2",
		"ps=1&ps=5":       "t0\nt2",
		"one=3":           "t1",
		"one=":            "t0\nt1\nt2", // given empty: cleared
		"from=2026-05-02": "t2",         // created from 2 May, due after it (from 3 May, London time)
		"to=2026-05-02":   "t0",         // created by 2 May, due before it
		"title=Task 1":    "t0\nt2",
		"team=heathrow&teams=heathrow&teams=dover": "t0\nt1\nt2",
		"team=dover": "",
		"secs=180":   "t0\nt1",
	} {
		if got := lines(e.mustRun(t, manager, "every-op", query)); got != want {
			t.Errorf("?%s: %q, want %q", query, got, want)
		}
	}
}

// TestInstancesAndTheirCases: an instance's duration by status, and the
// cases holding a workflow's instances, counted all, listed only to those
// who see something in them (here, two of the instances are not the
// managers' to read).
func TestInstancesAndTheirCases(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for i, in := range []struct {
		status      string
		minutes     int
		startedBy   string
		readAccess  []string
		caseCreated time.Time
	}{
		{"completed", 10, "olu", []string{"role:manager"}, t0},
		{"completed", 30, "olu", []string{"role:manager"}, t0.AddDate(0, 1, 0)},
		{"faulted", 5, "dee", []string{}, t0.AddDate(0, 1, 0)},
		{"running", -1, "dee", []string{}, t0.AddDate(0, 1, 0)},
	} {
		var caseID int64
		key := fmt.Sprintf("APP-2026050%d-1", i+1)
		if err := e.pool.QueryRow(e.ctx, `INSERT INTO cases (business_key, created_by, created_at) VALUES ($1, $2, $3) RETURNING id`,
			key, in.startedBy, in.caseCreated).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		var ended *time.Time
		if in.minutes >= 0 {
			end := t0.Add(time.Duration(in.minutes) * time.Minute)
			ended = &end
		}
		e.exec(t, `INSERT INTO instances (id, namespace, name, version, case_id, case_key, started_by, read_access, teams, status, started_at, ended_at)
			VALUES ($1, 'bf', 'approve', '1.0.0', $2, $3, $4, $5, '{}', $6, $7, $8)`,
			fmt.Sprintf("i%d", i), caseID, key, in.startedBy, in.readAccess, in.status, t0, ended)
	}
	e.publish(t, `{"name": "durations", "version": "1.0.0", "title": "Durations", "source": {"kind": "instances", "workflow": "bf/approve"},
		"groupBy": ["status"], "measures": [{"op": "count"}, {"op": "median", "field": "duration"}, {"op": "max", "field": "ended"}],
		"access": {"read": ["role:manager"]}}`)
	res := e.mustRun(t, manager, "durations", "")
	if got := lines(res); got != "Completed 2 20 min 2026-05-01T09:30:00Z\nFaulted 1 5 min 2026-05-01T09:05:00Z\nRunning 1  " {
		t.Errorf("by status:\n%s", got)
	}
	e.publish(t, `{"name": "cases", "version": "1.0.0", "title": "Cases", "source": {"kind": "cases", "workflow": "bf/approve"},
		"groupBy": [{"field": "created", "bucket": "month"}, "prefix"], "measures": [{"op": "count"}], "access": {"read": ["role:manager"]}}`)
	if got := lines(e.mustRun(t, manager, "cases", "")); got != "2026-05 APP 1\n2026-06 APP 3" {
		t.Errorf("cases by month:\n%s", got)
	}
	e.publish(t, `{"name": "case-list", "version": "1.0.0", "title": "Case list", "source": {"kind": "cases", "workflow": "bf/approve"},
		"columns": ["case", "createdBy"], "access": {"read": ["role:manager"]}}`)
	dee := &auth.Principal{Subject: "dee", Roles: []string{auth.RoleOfficer}}
	if got := lines(e.mustRun(t, dee, "case-list", "")); got != "APP-20260503-1 dee\nAPP-20260504-1 dee" {
		t.Errorf("the cases dee sees something in:\n%s", got)
	}
	if got := lines(e.mustRun(t, manager, "case-list", "")); got != "APP-20260501-1 olu\nAPP-20260502-1 olu" {
		t.Errorf("the cases of the instances a manager reads:\n%s", got)
	}
}

// TestAListOfChoicesCountsEachChoice: a checkboxes answer groups a
// submission under each thing chosen (none under none), and filters by
// any of them.
func TestAListOfChoicesCountsEachChoice(t *testing.T) {
	e := newEnv(t)
	caseID := e.newCase(t)
	for _, found := range []string{`["drugs", "cash"]`, `["cash"]`, `[]`} {
		e.exec(t, `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams)
			VALUES ($1, $2, 'kit', '1.0.0', jsonb_build_object('found', $3::jsonb), 'olu', '{role:manager}', '{}')`, uuid.NewString(), caseID, found)
	}
	e.publish(t, `{"name": "kit", "version": "1.0.0", "title": "Kit", "source": {"kind": "submissions", "form": "kit"},
		"params": [{"name": "found", "type": "string", "options": [{"value": "drugs"}, {"value": "cash"}]}],
		"filters": [{"field": "/found", "op": "=", "value": "$found"}],
		"groupBy": ["/found"], "measures": [{"op": "count"}], "access": {"read": ["role:manager"]}}`)
	res := e.mustRun(t, manager, "kit", "")
	if got := lines(res); got != "Cash 2\nControlled drugs 1\n 1" {
		t.Errorf("by what was found:\n%s", got)
	}
	if got := lines(e.mustRun(t, manager, "kit", "found=drugs")); got != "Cash 1\nControlled drugs 1" {
		t.Errorf("the submissions that found drugs, by what they found:\n%s", got)
	}
	e.publish(t, `{"name": "kit-list", "version": "1.0.0", "title": "Kit", "source": {"kind": "submissions", "form": "kit"},
		"columns": ["/found"], "access": {"read": ["role:manager"]}}`)
	list := e.mustRun(t, manager, "kit-list", "")
	if got := lines(list); got != "\nCash\nControlled drugs, Cash" || list.Columns[0].Type != reports.TypeList {
		t.Errorf("a list of what each found (%s):\n%s", list.Columns[0].Type, got)
	}
	if body, _ := json.Marshal(list.Rows[2]); string(body) != `{"found":["drugs","cash"]}` {
		t.Errorf("as JSON: %s", body)
	}
	_, err := e.svc.Publish(e.ctx, who, []byte(`{"name": "kit-sum", "version": "1.0.0", "title": "Kit", "source": {"kind": "submissions", "form": "kit"},
		"measures": [{"op": "countDistinct", "field": "/found"}], "access": {"read": ["role:manager"]}}`), false)
	if p, ok := problem.As(err); !ok || len(p.Fields) != 1 || p.Fields[0].Pointer != "/measures/0/field" || !strings.Contains(p.Fields[0].Message, "group by it instead") {
		t.Errorf("a measure of a list of choices: %v", err)
	}
}
