package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"cop/workflows"
)

// LocalPlatform is the platform of `cop workflows run` and the conformance
// kit: tasks, notifications and events live in memory; each user task is
// claimed and completed with TaskData as soon as it is created; lookups
// read Refdata. Report gives what one instance did; Forget drops it.
type LocalPlatform struct {
	Client   client.Client
	TaskData any
	Refdata  func(name string) ([]map[string]any, error)
	// Log receives a line for each notification and emitted event.
	Log func(format string, args ...any)
	// Refused hears when TaskData is refused, so a local run can stop
	// instead of waiting for a completion that will never come.
	Refused func(err error)

	mu            sync.Mutex
	taskData      map[string]any
	traces        map[string][]TraceEntry
	Tasks         []TaskRequest
	Changes       []TaskChange
	Notifications []Notification
	Events        []map[string]any
	// emitted holds what Emit was given, beside Events (the events
	// alone, which callers read), so Report and Forget know each
	// event's instance.
	emitted []EmitRequest
}

// LocalReport is what a LocalPlatform holds for one instance and its
// sub-workflows, each list in the order it happened and never nil.
type LocalReport struct {
	// Tasks are the user tasks created; Changes what happened to them
	// (claimed, completed, escalated, cancelled…).
	Tasks   []TaskRequest `json:"tasks"`
	Changes []TaskChange  `json:"changes"`
	// Notifications are the notifications sent, escalations' included.
	Notifications []Notification `json:"notifications"`
	// Events are the events emitted.
	Events []EmitRequest `json:"events"`
}

// ofInstance says whether a record of id belongs to instance: the
// instance's own, or a sub-workflow's (whose ids begin with their
// parent's, then "/").
func ofInstance(id, instance string) bool {
	return id == instance || strings.HasPrefix(id, instance+"/")
}

// Report returns the tasks, task changes, notifications and emitted
// events of instance and its sub-workflows, as recorded so far. The lists
// are copies, never nil.
func (p *LocalPlatform) Report(instance string) LocalReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := LocalReport{Tasks: []TaskRequest{}, Changes: []TaskChange{}, Notifications: []Notification{}, Events: []EmitRequest{}}
	ids := map[string]bool{}
	for _, t := range p.Tasks {
		if ofInstance(t.Instance, instance) {
			r.Tasks = append(r.Tasks, t)
			ids[t.ID] = true
		}
	}
	for _, c := range p.Changes {
		if ids[c.ID] {
			r.Changes = append(r.Changes, c)
		}
	}
	for _, n := range p.Notifications {
		if ofInstance(n.Instance, instance) {
			r.Notifications = append(r.Notifications, n)
		}
	}
	for _, e := range p.emitted {
		if ofInstance(e.Instance, instance) {
			r.Events = append(r.Events, e)
		}
	}
	return r
}

// Forget drops everything held for instance and its sub-workflows: tasks
// and their changes, notifications, events, trace and task data. A
// platform that runs many instances (draft runs on a server) calls it
// once it has read what it needs, after the instance ended: a record that
// arrives later is kept.
func (p *LocalPlatform) Forget(instance string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := map[string]bool{}
	p.Tasks = slices.DeleteFunc(p.Tasks, func(t TaskRequest) bool {
		if ofInstance(t.Instance, instance) {
			ids[t.ID] = true
			return true
		}
		return false
	})
	p.Changes = slices.DeleteFunc(p.Changes, func(c TaskChange) bool { return ids[c.ID] })
	p.Notifications = slices.DeleteFunc(p.Notifications, func(n Notification) bool { return ofInstance(n.Instance, instance) })
	if len(p.emitted) == len(p.Events) { // else Events was changed by hand: leave it
		keep := p.Events[:0]
		for i, e := range p.emitted {
			if !ofInstance(e.Instance, instance) {
				keep = append(keep, p.Events[i])
			}
		}
		clear(p.Events[len(keep):])
		p.Events = keep
	}
	p.emitted = slices.DeleteFunc(p.emitted, func(e EmitRequest) bool { return ofInstance(e.Instance, instance) })
	for id := range p.traces {
		if ofInstance(id, instance) {
			delete(p.traces, id)
		}
	}
	for id := range p.taskData {
		if ofInstance(id, instance) {
			delete(p.taskData, id)
		}
	}
}

// CreateTask records the task and, when TaskData is set, completes it
// through the instance's Update as a local admin would.
func (p *LocalPlatform) CreateTask(_ context.Context, t TaskRequest) error {
	p.mu.Lock()
	p.Tasks = append(p.Tasks, t)
	p.mu.Unlock()
	p.logf("task %q (%s@%s) for %v", t.Title, t.Form, t.FormVersion, t.CandidateGroups)
	p.mu.Lock()
	data, ok := p.taskData[t.Instance]
	p.mu.Unlock()
	if !ok {
		data = p.TaskData
	}
	if data == nil || p.Client == nil {
		return nil
	}
	go p.complete(t, data)
	return nil
}

// SetTaskData completes the tasks of one instance with data (tests run
// many instances on one platform).
func (p *LocalPlatform) SetTaskData(instance string, data any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taskData == nil {
		p.taskData = map[string]any{}
	}
	p.taskData[instance] = data
}

// Sent returns the notifications sent so far.
func (p *LocalPlatform) Sent() []Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Notification(nil), p.Notifications...)
}

func (p *LocalPlatform) complete(t TaskRequest, data any) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	me := Caller{Sub: "local-author", Roles: []string{"admin"}}
	for _, action := range []TaskAction{{TaskID: t.ID, Action: Claim, Caller: me}, {TaskID: t.ID, Action: Complete, Caller: me, Data: data}} {
		for {
			_, err := ActOnTask(ctx, p.Client, t.Instance, "", action)
			var te *TaskActionError
			if errors.As(err, &te) && te.Code == "gone" && ctx.Err() == nil {
				// The instance registers the task once the activity returns.
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err != nil {
				if p.Refused != nil {
					p.Refused(fmt.Errorf("task %q: %s refused: %w", t.Title, action.Action, err))
				}
				return
			}
			break
		}
	}
}

// TaskChanged records the change (the instance holds the task's state).
func (p *LocalPlatform) TaskChanged(_ context.Context, c TaskChange) error {
	p.mu.Lock()
	p.Changes = append(p.Changes, c)
	p.mu.Unlock()
	return nil
}

// TaskChanges returns the task changes recorded so far.
func (p *LocalPlatform) TaskChanges() []TaskChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]TaskChange(nil), p.Changes...)
}

// Notify records the notification.
func (p *LocalPlatform) Notify(_ context.Context, n Notification) error {
	p.mu.Lock()
	p.Notifications = append(p.Notifications, n)
	p.mu.Unlock()
	p.logf("notify %v: %s", n.To, n.Title)
	return nil
}

// Emit records the event.
func (p *LocalPlatform) Emit(_ context.Context, e EmitRequest) error {
	p.mu.Lock()
	p.Events = append(p.Events, e.Event)
	p.emitted = append(p.emitted, e)
	p.mu.Unlock()
	p.logf("emit %v", e.Event["type"])
	return nil
}

// InstanceEnded records the trace the instance had not handed over; the
// run's result says how it ended.
func (p *LocalPlatform) InstanceEnded(ctx context.Context, e InstanceEnd) error {
	return p.RecordTrace(ctx, TraceRecord{Instance: e.Instance, Entries: e.Trace})
}

// RecordTrace keeps the trace entries an instance hands over.
func (p *LocalPlatform) RecordTrace(_ context.Context, t TraceRecord) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.traces == nil {
		p.traces = map[string][]TraceEntry{}
	}
	p.traces[t.Instance] = MergeTrace(p.traces[t.Instance], t.Entries)
	return nil
}

// TraceOf returns the instance's whole trace: what it handed over joined
// with what it still held when it ended (held, from its result).
func (p *LocalPlatform) TraceOf(instance string, held []TraceEntry) []TraceEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return MergeTrace(p.traces[instance], held)
}

// Lookup filters Refdata by key.
func (p *LocalPlatform) Lookup(_ context.Context, l LookupRequest) (any, error) {
	if p.Refdata == nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "No reference data", "no reference data is loaded"))
	}
	items, err := p.Refdata(l.RefData)
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "Unknown reference data", "%v", err))
	}
	if l.Key == "" {
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = it
		}
		return out, nil
	}
	for _, it := range items {
		if fmt.Sprint(it["code"]) == l.Key {
			return it, nil
		}
	}
	e := workflows.NewError(workflows.ErrRuntime, "Not found", "%s has no item %q", l.RefData, l.Key)
	e.Status = 404
	return nil, fault(e)
}

func (p *LocalPlatform) logf(format string, args ...any) {
	if p.Log != nil {
		p.Log(format, args...)
	}
}

// ListenStarted keeps nothing: a local run's events come through
// SendEvent alone.
func (p *LocalPlatform) ListenStarted(context.Context, ListenRequest) error { return nil }

// ListenEnded has nothing to forget.
func (p *LocalPlatform) ListenEnded(context.Context, ListenEnd) error { return nil }
