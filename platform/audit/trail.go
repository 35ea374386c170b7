package audit

import (
	"context"
	"fmt"

	"cop/platform/store"
)

// Trail returns the sealed rows about any of resources with a sequence
// number at most upTo (0: every sealed row), in chain order, and how many
// rows about them still await sealing. Only sealed rows are returned: a
// row's place in the chain never changes once sealed, so the same upTo
// always reads the same rows (a case's snapshot is built on that).
func Trail(ctx context.Context, q store.Querier, resources []string, upTo int64) ([]Row, int, error) {
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM audit_log
		WHERE resource = ANY($1) AND seq IS NOT NULL AND ($2 = 0 OR seq <= $2)
		ORDER BY seq`, nonNil(resources), upTo)
	if err != nil {
		return nil, 0, fmt.Errorf("read the audit trail of %d resources: %w", len(resources), err)
	}
	out, err := collectRows(rows)
	if err != nil {
		return nil, 0, err
	}
	var pending int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE resource = ANY($1) AND seq IS NULL`, nonNil(resources)).Scan(&pending); err != nil {
		return nil, 0, fmt.Errorf("count the unsealed audit rows of %d resources: %w", len(resources), err)
	}
	return out, pending, nil
}

// Head is the sequence number of the latest sealed row (0: none yet).
func Head(ctx context.Context, q store.Querier) (int64, error) {
	var seq int64
	if err := q.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM audit_log`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read the head of the audit chain: %w", err)
	}
	return seq, nil
}
