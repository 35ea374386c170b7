package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/workflows/engine"
)

// ReasonNotWaiting is an amendment no workflow is waiting for.
const ReasonNotWaiting = "not-waiting"

// Amend corrects a submission the caller made, which a workflow returned
// to them (userTask amend: submission): the answers are checked as a
// submission's are, then the waiting task is claimed (it is the
// submitter's) and completed with them through the instance's Update, and
// the instance stores them as a new submission on the case that corrects
// this one. The same request sent twice (a double click, a retry with the
// same Idempotency-Key) amends once.
func (s *Service) Amend(ctx context.Context, p *auth.Principal, who audit.Who, corrects string, data json.RawMessage, key string) (cases.Submission, error) {
	if s.Cases == nil {
		return cases.Submission{}, errors.New("amend: the tasks service was built without the cases service")
	}
	sub, err := s.Cases.Amendable(ctx, p, corrects)
	if err != nil {
		return cases.Submission{}, fmt.Errorf("amend submission %s: %w", corrects, err)
	}
	t, err := s.amendTask(ctx, sub.ID)
	if err != nil {
		return cases.Submission{}, err
	}
	if t.Status != engine.TaskOpen && key == "" {
		return cases.Submission{}, notWaiting(sub)
	}
	_, errs, err := s.Cases.AmendmentProblems(ctx, p, sub, data)
	if err != nil {
		return cases.Submission{}, err
	}
	if len(errs) > 0 {
		return cases.Submission{}, problem.Invalidf(errs, "the corrected answers do not fit form %s version %s; see errors", sub.Form, sub.FormVersion)
	}
	if t.Status == engine.TaskOpen && t.ClaimedBy != p.Subject {
		_, err := s.ActOnTask(ctx, p, t.ID, TaskActionRequest{Action: engine.Claim})
		if refusal, ok := problem.As(err); ok && refusal.Kind == problem.Conflict {
			// A double click: the other request is claiming it for this
			// very officer, or has completed it already.
			err = nil
		}
		if err != nil {
			return cases.Submission{}, fmt.Errorf("claim the correction of submission %s: %w", sub.ID, err)
		}
	}
	_, err = s.ActOnTask(ctx, p, t.ID, TaskActionRequest{Action: engine.Complete, Data: data, IdempotencyKey: key})
	if refusal, ok := problem.As(err); ok && refusal.Kind == problem.Conflict && refusal.Reason == "gone" {
		return cases.Submission{}, notWaiting(sub)
	}
	if err != nil {
		return cases.Submission{}, err
	}
	return s.Cases.Submission(ctx, p, engine.AmendmentID(t.ID))
}

func notWaiting(sub cases.Submission) error {
	return problem.Conflictf("case %s is not waiting for a correction of submission %s", sub.BusinessKey, sub.ID).Because(ReasonNotWaiting)
}

// AmendTask is the task that returned the submission for correction, if
// one is open; the latest one otherwise.
func (s *Service) AmendTask(ctx context.Context, p *auth.Principal, submission string) (Task, error) {
	t, err := s.amendTask(ctx, submission)
	if err != nil {
		return Task{}, err
	}
	return s.Task(ctx, p, t.ID)
}

func (s *Service) amendTask(ctx context.Context, submission string) (Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE amends = $1
		ORDER BY status = 'open' DESC, created_at DESC, id DESC LIMIT 1`, submission)
	if err != nil {
		return Task{}, fmt.Errorf("find the task amending submission %s: %w", submission, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask(time.Now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Task{}, problem.Conflictf("no case is waiting for a correction of submission %s: no workflow has asked for one", submission).Because(ReasonNotWaiting)
	}
	if err != nil {
		return Task{}, fmt.Errorf("find the task amending submission %s: %w", submission, err)
	}
	return t, nil
}
