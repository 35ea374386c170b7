package registry

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/store"
)

// Service publishes and retires definitions with an audit row written in the
// same transaction as the change. Kind-specific validation happens before
// these calls (later issues plug validators in front of them).
type Service struct {
	Pool *pgxpool.Pool
}

// Publish stores a version and audits it. An identical re-upload is audited
// as a no-op; a refused upload is audited (in its own transaction, since the
// change rolled back) with its outcome.
func (s Service) Publish(ctx context.Context, who audit.Who, ref Ref, content []byte) (Definition, bool, error) {
	return s.PublishWith(ctx, who, ref, content, nil, nil)
}

// PublishWith is Publish with a kind's own work in the same transaction:
// check runs before a new version is stored (compiling it against the
// registry as it is now) and after runs once it is stored. Neither runs for
// an identical re-upload, which stays a no-op however the registry has
// changed since, nor for a conflicting one. A refusal (a *problem.Error) is
// audited as rejected rather than failed.
func (s Service) PublishWith(ctx context.Context, who audit.Who, ref Ref, content []byte,
	check func(pgx.Tx) error, after func(pgx.Tx, Definition) error) (Definition, bool, error) {
	var def Definition
	var created bool
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		existing, err := Get(ctx, tx, ref)
		switch {
		case err == nil:
			sum, err := Checksum(content)
			if err != nil {
				return invalid("content", err.Error())
			}
			if existing.Checksum != sum {
				return conflict(ref, existing.Checksum, sum)
			}
			def = existing
		case !errors.Is(err, ErrNotFound):
			return err
		default:
			if check != nil {
				if err := check(tx); err != nil {
					return err
				}
			}
			if def, created, err = Put(ctx, tx, ref, content, who.Actor); err != nil {
				return err
			}
			if created && after != nil {
				if err := after(tx, def); err != nil {
					return err
				}
			}
			if created {
				if err := events.Publish(ctx, tx, events.New{Type: events.DefinitionPublished, Data: def}); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, who.Entry("registry.publish", ref.String(), audit.OK,
			map[string]any{"checksum": def.Checksum, "created": created}))
	})
	if err != nil {
		s.auditRefusal(ctx, who, "registry.publish", ref, err)
	}
	return def, created, err
}

// Retire retires a version and audits it. check, when given, runs first in
// the same transaction (a term refuses while active forms use it).
func (s Service) Retire(ctx context.Context, who audit.Who, ref Ref, check ...func(pgx.Tx) error) (Definition, error) {
	var def Definition
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		for _, c := range check {
			if err := c(tx); err != nil {
				return err
			}
		}
		before, err := Get(ctx, tx, ref)
		if err != nil {
			return err
		}
		if def, err = Retire(ctx, tx, ref, who.Actor); err != nil {
			return err
		}
		if before.Status != Retired {
			if err := events.Publish(ctx, tx, events.New{Type: events.DefinitionRetired, Data: def}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, who.Entry("registry.retire", ref.String(), audit.OK, nil))
	})
	if err != nil {
		s.auditRefusal(ctx, who, "registry.retire", ref, err)
	}
	return def, err
}

func (s Service) auditRefusal(ctx context.Context, who audit.Who, action string, ref Ref, cause error) {
	outcome := audit.Failed
	if _, refused := problem.As(cause); refused {
		outcome = audit.Rejected // the caller's mistake, not the platform's failure
	}
	_ = audit.Record(ctx, s.Pool, who.Entry(action, ref.String(), outcome, map[string]any{"error": cause.Error()}))
}
