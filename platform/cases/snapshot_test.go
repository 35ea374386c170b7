package cases_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
)

// oneWorkflow stands in for the instances and tasks services: one
// instance with one task, in whatever case is asked about.
type oneWorkflow struct{ started time.Time }

func (w oneWorkflow) CaseInstances(context.Context, *auth.Principal, int64) ([]cases.InstanceInfo, error) {
	return []cases.InstanceInfo{{ID: "wf-1", Namespace: "border-force", Name: "review", Version: "1.0.0", Status: "running",
		StartedBy: "ann", StartedAt: w.started}}, nil
}
func (oneWorkflow) OpenCaseSQL(string) string { return "false" }
func (w oneWorkflow) InstanceTasks(context.Context, []string) ([]cases.TaskInfo, error) {
	return []cases.TaskInfo{{ID: "task-1", Instance: "wf-1", Title: "Review the note", Form: "note-review", Status: "completed",
		CreatedAt: w.started}}, nil
}
func (oneWorkflow) WorkedCaseSQL(string, string) string { return "false" }

// A snapshot taken again as of the same row is the same bytes however the
// case moved on since (a claim, a completion, another submission); as of
// the latest row it shows the move.
func TestASnapshotReadsTheSameAsOfItsRow(t *testing.T) {
	ctx := context.Background()
	s, pool := newService(t)
	wf := oneWorkflow{started: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	s.Instances, s.Tasks = wf, wf
	first, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "held at Dover"}`)})
	if err != nil {
		t.Fatal(err)
	}
	record := func(e audit.Entry) {
		t.Helper()
		if err := audit.Record(ctx, pool, e); err != nil {
			t.Fatal(err)
		}
	}
	record(audit.Entry{Actor: "ann", Action: "instance.start", Resource: "instance:wf-1", Detail: map[string]any{"case": first.BusinessKey}})
	record(audit.Entry{Actor: "workflow", Action: "task.create", Resource: "task:task-1",
		Detail: map[string]any{"instance": "wf-1", "form": "note-review@1.0.0", "priority": 2}})
	then, err := s.Snapshot(ctx, sue, first.BusinessKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	if then.AsOf == 0 || len(then.Submissions) != 1 || len(then.Tasks) != 1 || then.Tasks[0].Status != "open" || then.Instances[0].Status != "running" {
		t.Fatalf("the snapshot before the task was worked: %+v", then)
	}
	before := canonical(t, then)

	// The case moves on: the task is claimed and completed, the instance
	// ends and the case gets another submission.
	record(audit.Entry{Actor: "sue", Action: "task.claimed", Resource: "task:task-1", Detail: map[string]any{"assignee": "sue"}})
	record(audit.Entry{Actor: "sue", Action: "task.completed", Resource: "task:task-1"})
	record(audit.Entry{Actor: "workflow", Action: "instance.end", Resource: "instance:wf-1", Detail: map[string]any{"status": "completed"}})
	if _, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Case: first.BusinessKey,
		Data: []byte(`{"note": "released"}`)}); err != nil {
		t.Fatal(err)
	}

	again, err := s.Snapshot(ctx, sue, first.BusinessKey, then.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	if after := canonical(t, again); !bytes.Equal(before, after) {
		t.Fatalf("as of %d the snapshot changed:\n%s\n%s", then.AsOf, before, after)
	}
	hashThen, _ := then.SHA256()
	hashAgain, _ := again.SHA256()
	if hashThen != hashAgain || len(hashThen) != 64 {
		t.Fatalf("hashes %s and %s", hashThen, hashAgain)
	}

	latest, err := s.Snapshot(ctx, sue, first.BusinessKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	if latest.AsOf <= then.AsOf || bytes.Equal(canonical(t, latest), before) {
		t.Fatalf("the latest snapshot (as of %d) does not show the case moving on from %d", latest.AsOf, then.AsOf)
	}
	task, in := latest.Tasks[0], latest.Instances[0]
	if task.Status != "completed" || task.CompletedBy != "sue" || task.ClaimedBy != "sue" || task.FormVersion != "1.0.0" || task.Priority != 2 ||
		in.Status != "completed" || in.EndedAt == nil || len(latest.Submissions) != 2 {
		t.Fatalf("the latest snapshot: tasks %+v instances %+v, %d submissions", latest.Tasks, latest.Instances, len(latest.Submissions))
	}
	var actions []string
	for _, e := range latest.Audit {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "submission.create instance.start task.create task.claimed task.completed instance.end submission.create" {
		t.Errorf("the audit trail in chain order: %s", got)
	}
}

// The canonical form is RFC 8785: sorted keys, no spaces, UTC times.
func TestASnapshotIsCanonicalJSON(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	sub, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "é and ŵ"}`)})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx, ann, sub.BusinessKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	canon := canonical(t, snap)
	if !bytes.HasPrefix(canon, []byte(`{"asOf":`)) || bytes.Contains(canon, []byte(": ")) || !bytes.Contains(canon, []byte(`"note":"é and ŵ"`)) {
		t.Fatalf("not canonical: %s", canon)
	}
	var back cases.Snapshot
	if err := json.Unmarshal(canon, &back); err != nil || back.Submissions[0].SubmittedAt.Location() != time.UTC {
		t.Fatalf("read back: %+v %v", back, err)
	}
}

// Whoever may not see the case is told it is not there; an asOf the
// chain has not reached is refused at asOf.
func TestASnapshotRefusesWhatItCannotShow(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	sub, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "held"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Snapshot(ctx, bob, sub.BusinessKey, 0); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("another team's officer: %v, want not found", err)
	}
	if _, err := s.Snapshot(ctx, ann, "SN-20000101-9", 0); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("an unknown case: %v, want not found", err)
	}
	_, err = s.Snapshot(ctx, ann, sub.BusinessKey, 1<<40)
	if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Pointer != "/asOf" {
		t.Errorf("an asOf beyond the chain: %v", err)
	}
}

func canonical(t *testing.T, s cases.Snapshot) []byte {
	t.Helper()
	b, err := s.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
