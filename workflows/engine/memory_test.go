package engine

import (
	"context"
	"testing"
	"time"
)

// Report gives one instance's records, its sub-workflows' included;
// Forget drops them and leaves every other instance's.
func TestLocalPlatformReportAndForget(t *testing.T) {
	ctx := context.Background()
	p := &LocalPlatform{}
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	// "draft-1/do/0/sub#1" is a sub-workflow of draft-1; draft-10 is not.
	for i, inst := range []string{"draft-1", "draft-10", "draft-1/do/0/sub#1", "draft-2"} {
		id := inst + "-task"
		if err := p.CreateTask(ctx, TaskRequest{ID: id, Instance: inst, Title: "task of " + inst, Priority: i + 1, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		_ = p.TaskChanged(ctx, TaskChange{ID: id, Kind: TaskDone, At: at})
		_ = p.Notify(ctx, Notification{ID: inst + "-n", Instance: inst, To: []string{"role:officer"}, Title: "to " + inst, At: at})
		_ = p.Emit(ctx, EmitRequest{Instance: inst, Event: map[string]any{"type": "t." + inst}})
		_ = p.RecordTrace(ctx, TraceRecord{Instance: inst, Entries: []TraceEntry{{Seq: 1, Name: "a", Position: "/do/0/a", Status: "completed", StartedAt: at}}})
		p.SetTaskData(inst, map[string]any{"ok": true})
	}

	r := p.Report("draft-1")
	if len(r.Tasks) != 2 || r.Tasks[0].Instance != "draft-1" || r.Tasks[1].Instance != "draft-1/do/0/sub#1" {
		t.Errorf("tasks %+v", r.Tasks)
	}
	if len(r.Changes) != 2 || r.Changes[0].ID != "draft-1-task" || r.Changes[1].ID != "draft-1/do/0/sub#1-task" {
		t.Errorf("changes %+v", r.Changes)
	}
	if len(r.Notifications) != 2 || r.Notifications[1].Title != "to draft-1/do/0/sub#1" {
		t.Errorf("notifications %+v", r.Notifications)
	}
	if len(r.Events) != 2 || r.Events[0].Event["type"] != "t.draft-1" || r.Events[1].Instance != "draft-1/do/0/sub#1" {
		t.Errorf("events %+v", r.Events)
	}
	if none := p.Report("nobody"); none.Tasks == nil || none.Changes == nil || none.Notifications == nil || none.Events == nil {
		t.Errorf("an instance with nothing has empty lists, not nil: %+v", none)
	}

	p.Forget("draft-1")
	if r := p.Report("draft-1"); len(r.Tasks)+len(r.Changes)+len(r.Notifications)+len(r.Events) != 0 {
		t.Errorf("forgotten, still held: %+v", r)
	}
	if len(p.TraceOf("draft-1", nil)) != 0 || len(p.TraceOf("draft-1/do/0/sub#1", nil)) != 0 {
		t.Error("forgotten, its trace is still held")
	}
	if _, held := p.taskData["draft-1"]; held {
		t.Error("forgotten, its task data is still held")
	}
	// The others are as they were, in the fields and accessors others read.
	if len(p.Tasks) != 2 || p.Tasks[0].Instance != "draft-10" || p.Tasks[1].Instance != "draft-2" {
		t.Errorf("Tasks %+v", p.Tasks)
	}
	if c := p.TaskChanges(); len(c) != 2 || c[0].ID != "draft-10-task" {
		t.Errorf("TaskChanges %+v", c)
	}
	if n := p.Sent(); len(n) != 2 || n[1].Instance != "draft-2" {
		t.Errorf("Sent %+v", n)
	}
	if len(p.Events) != 2 || p.Events[0]["type"] != "t.draft-10" || p.Events[1]["type"] != "t.draft-2" {
		t.Errorf("Events %+v", p.Events)
	}
	if len(p.TraceOf("draft-2", nil)) != 1 {
		t.Error("another instance's trace was dropped")
	}
	if r := p.Report("draft-10"); len(r.Tasks) != 1 || len(r.Changes) != 1 || len(r.Notifications) != 1 || len(r.Events) != 1 {
		t.Errorf("draft-10 %+v", r)
	}
}
