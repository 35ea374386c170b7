package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/registry"
)

// AccessSubscriber keeps who may read a form's submissions in step with
// the form: when a version is published or retired, every submission of
// the form takes the access.read of its latest active version, so a
// reader an author adds in 1.1.0 reads what was submitted on 1.0.0 too.
// When every version is retired, the submissions keep the last readers.
func (s *Service) AccessSubscriber() events.Subscriber {
	return events.Subscriber{Name: "submission-access", Types: []string{events.DefinitionPublished, events.DefinitionRetired},
		Handle: s.followFormAccess}
}

func (s *Service) followFormAccess(ctx context.Context, e events.Event) error {
	var d registry.Definition
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return fmt.Errorf("event %s: read the definition: %w", e.ID, err)
	}
	if d.Kind != definitions.KindForm {
		return nil
	}
	f, _, err := s.defs.Form(ctx, d.Name, "")
	if errors.Is(err, registry.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the latest active version of form %s: %w", d.Name, err)
	}
	readers := nonNil(f.Def.Access.Read)
	if _, err := s.pool.Exec(ctx, `UPDATE submissions SET read_access = $2 WHERE form_name = $1 AND read_access <> $2`, d.Name, readers); err != nil {
		return fmt.Errorf("give the submissions of form %s the readers of its latest version: %w", d.Name, err)
	}
	return nil
}

// MayReadSubmission reports whether p may read a submission (false for
// one that does not exist): for outside systems deciding whom to tell.
func (s *Service) MayReadSubmission(ctx context.Context, p *auth.Principal, id string) (bool, error) {
	_, err := s.Submission(ctx, p, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// MayReadCase reports whether p may see a case: read one of its
// submissions or instances.
func (s *Service) MayReadCase(ctx context.Context, p *auth.Principal, key string) (bool, error) {
	_, err := s.caseID(ctx, p, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
