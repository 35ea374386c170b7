package registry

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
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
	var def Definition
	var created bool
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		if def, created, err = Put(ctx, tx, ref, content, who.Actor); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("registry.publish", ref.String(), audit.OK,
			map[string]any{"checksum": def.Checksum, "created": created}))
	})
	if err != nil {
		s.auditRefusal(ctx, who, "registry.publish", ref, err)
	}
	return def, created, err
}

// Retire retires a version and audits it.
func (s Service) Retire(ctx context.Context, who audit.Who, ref Ref) (Definition, error) {
	var def Definition
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		if def, err = Retire(ctx, tx, ref, who.Actor); err != nil {
			return err
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
	var conflict *ConflictError
	var invalid *InvalidError
	if errors.As(cause, &conflict) || errors.As(cause, &invalid) || errors.Is(cause, ErrNotFound) {
		outcome = audit.Rejected
	}
	_ = audit.Record(ctx, s.Pool, who.Entry(action, ref.String(), outcome, map[string]any{"error": cause.Error()}))
}
