package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/directory"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/workflows/engine"
)

// TaskActionRequest is what an officer does to a task.
type TaskActionRequest struct {
	Action engine.TaskVerb
	Data   json.RawMessage
	To     string
	// IdempotencyKey, when the client sends one, names the request: a
	// retry with the same key and body gets the first one's outcome.
	IdempotencyKey string
}

// refused is an action the task's rules refuse; code says why
// (forbidden, conflict, invalid, gone), and is the problem's reason.
func refused(code, message string, errs ...forms.FieldError) error {
	kind := map[string]problem.Kind{"forbidden": problem.Forbidden, "invalid": problem.Invalid}[code]
	if kind == 0 {
		kind = problem.Conflict // gone, conflict: the task has moved on
	}
	return (&problem.Error{Kind: kind, Detail: message, Fields: errs}).Because(code)
}

// ActOnTask sends an action through the instance's Update. The Update's
// validator is the authority (it checks the claim and validates the data
// against the task's pinned form before anything enters history, and
// refuses an action while another on the same task is being applied); the
// checks here only answer sooner, with every field's error.
//
// Each request is named by an Update id (taskActionID), which Temporal
// applies once: the same request sent twice at once (a double click)
// completes or claims once and both get that outcome; a retry of a keyed
// request that already applied is answered from the row.
func (s *Service) ActOnTask(ctx context.Context, p *auth.Principal, id string, req TaskActionRequest) (Task, error) {
	if req.IdempotencyKey != "" {
		if err := store.CheckIdempotencyKey(req.IdempotencyKey); err != nil {
			return Task{}, err
		}
	}
	t, err := s.Task(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	action := engine.TaskAction{TaskID: id, Action: req.Action, To: req.To,
		Caller: engine.Caller{Sub: p.Subject, Name: p.Name, Roles: p.Roles, Teams: p.Teams}}
	if req.Action == engine.Complete {
		data, errs, err := s.checkTaskData(ctx, t, req.Data)
		if err != nil {
			return Task{}, err
		}
		if len(errs) > 0 {
			return Task{}, refused("invalid", fmt.Sprintf("the data does not fit form %s version %s; see errors", t.Form, t.FormVersion), errs...)
		}
		action.Data = data
	}
	updateID := taskActionID(t, action, req.IdempotencyKey, t.revision)
	if t.lastAction != "" && t.lastAction == taskActionID(t, action, req.IdempotencyKey, t.revision-1) {
		// The task's latest change was made by this very request: a retry
		// (or the slower of a double click) gets the task as it left it.
		audit.Handled(ctx)
		return t, nil
	}
	if t.Status != engine.TaskOpen {
		return Task{}, taskClosed(t)
	}
	if req.Action == engine.Reassign {
		if err := s.checkReassignee(ctx, t, req.To); err != nil {
			return Task{}, err
		}
	}
	if err := s.update(ctx, t, updateID, action); err != nil {
		var no *engine.TaskActionError
		if errors.As(err, &no) {
			errs := no.Errors
			if no.Code == "invalid" && len(errs) == 0 {
				// Refused by the instance as a whole (answers the inbox
				// cannot hold): the problem is the data sent.
				errs = []forms.FieldError{{Pointer: "/data", Message: no.Message}}
			}
			return Task{}, refused(no.Code, no.Message, errs...)
		}
		return Task{}, fmt.Errorf("%s task %s: %w", req.Action, id, err)
	}
	audit.Handled(ctx) // the instance's activity audits the change it applies
	return s.Task(ctx, p, id)
}

// checkReassignee refuses to give a task to someone COP has never seen
// (a typing mistake would put the task in nobody's list) or to someone
// outside its candidate groups (who could not work it).
func (s *Service) checkReassignee(ctx context.Context, t Task, to string) error {
	if s.Directory == nil || to == "" {
		return nil // the instance refuses an empty "to" with its own words
	}
	refuse := func(msg string) error {
		return refused("invalid", msg, forms.FieldError{Pointer: "/to", Message: msg})
	}
	u, err := s.Directory.User(ctx, to)
	if errors.Is(err, directory.ErrUnknown) {
		return refuse(fmt.Sprintf("%s is not a user COP knows: people are known once they have signed in", to))
	}
	if err != nil {
		return err
	}
	if len(t.CandidateGroups) > 0 && !u.Principal().Matches(t.CandidateGroups) {
		return refuse(fmt.Sprintf("%s (%s) is not in the task's candidate groups (%s), so could not work it",
			u.Display(), u.Subject, strings.Join(t.CandidateGroups, ", ")))
	}
	return nil
}

func taskClosed(t Task) error {
	return refused("gone", fmt.Sprintf("task %s is %s; only open tasks can be acted on", t.ID, t.Status))
}

// taskActionID names an action request: the task, the action, the caller,
// what they sent, and either their Idempotency-Key or the revision of the
// task they acted on. Without a key, the same request at the same
// revision is one request (a double click); claim, release and claim
// again are three, because each sees a new revision. A keyed request is
// one request whatever the revision.
func taskActionID(t Task, a engine.TaskAction, key string, revision int) string {
	h := sha256.New()
	data, _ := json.Marshal(a.Data) // maps marshal with sorted keys
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", t.ID, a.Action, a.Caller.Sub, a.To, data)
	if key != "" {
		fmt.Fprintf(h, "key\n%s", key)
	} else {
		fmt.Fprintf(h, "revision\n%d", revision)
	}
	return "task-action-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// checkTaskData decodes the answers and validates them against the task's
// form version.
func (s *Service) checkTaskData(ctx context.Context, t Task, raw json.RawMessage) (any, []forms.FieldError, error) {
	var data any
	if len(raw) == 0 || json.Unmarshal(raw, &data) != nil {
		return nil, []forms.FieldError{{Pointer: "/data", Message: "data must be the answers, a JSON object"}}, nil
	}
	if _, ok := data.(map[string]any); !ok {
		return nil, []forms.FieldError{{Pointer: "/data", Message: "data must be the answers, a JSON object"}}, nil
	}
	f, _, err := s.defs.Form(ctx, t.Form, t.FormVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("load form %s@%s of task %s: %w", t.Form, t.FormVersion, t.ID, err)
	}
	errs := s.defs.Validate(ctx, f, data, time.Now())
	for i := range errs {
		errs[i].Pointer = "/data" + errs[i].Pointer
	}
	return data, errs, nil
}

// update sends the action through the instance's Update. A task is listed
// as soon as its row is written, a moment before the instance, which
// wrote it, takes it as open: an action in that moment is refused as
// "no longer open" while the row still says open, so it is sent again
// for a second before the refusal stands.
func (s *Service) update(ctx context.Context, t Task, updateID string, action engine.TaskAction) error {
	for tries := 0; ; tries++ {
		_, err := engine.ActOnTask(ctx, s.temporal, t.Instance, updateID, action)
		var no *engine.TaskActionError
		if err == nil || !errors.As(err, &no) || no.Code != "gone" || tries == 10 || !taskOpen(ctx, s.pool, t.ID) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
