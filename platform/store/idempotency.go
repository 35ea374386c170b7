package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/problem"
)

// IdempotencyKey is one Idempotency-Key in use (table idempotency_keys):
// who sent it, what it is for, and the hash of the request a retry must
// repeat. The first request's answer is kept, so a retry gets it.
type IdempotencyKey struct {
	Actor, Scope, Key string
	Hash              []byte
}

var idempotencyKeyRE = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)

// CheckIdempotencyKey refuses a key that is not 1-200 visible ASCII
// characters (a UUID is ideal), at its header.
func CheckIdempotencyKey(key string) error {
	if !idempotencyKeyRE.MatchString(key) {
		return BadIdempotencyKey("Idempotency-Key must be 1-200 visible ASCII characters")
	}
	return nil
}

// BadIdempotencyKey refuses an Idempotency-Key, at its header.
func BadIdempotencyKey(msg string) error {
	return problem.Invalidf(problem.At("/Idempotency-Key", msg), "%s", msg)
}

// Replay returns the answer stored for an earlier request with the key
// (found is false when there is none). The same key on a different
// request is refused with reused.
func (k IdempotencyKey) Replay(ctx context.Context, q Querier, reused string) (response json.RawMessage, found bool, err error) {
	var hash []byte
	var status int
	err = q.QueryRow(ctx, `SELECT request_hash, status, response FROM idempotency_keys WHERE actor = $1 AND scope = $2 AND key = $3`,
		k.Actor, k.Scope, k.Key).Scan(&hash, &status, &response)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(hash, k.Hash) {
		return nil, false, BadIdempotencyKey(reused)
	}
	return response, true, nil
}

// Claim takes the key inside the transaction doing the work. A concurrent
// request with the same key blocks here until the first commits; then
// taken is true and response is the first one's answer (the caller rolls
// back and answers with it).
func (k IdempotencyKey) Claim(ctx context.Context, tx pgx.Tx, reused string) (response json.RawMessage, taken bool, err error) {
	tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (actor, scope, key, request_hash, status, response)
		VALUES ($1, $2, $3, $4, 0, 'null') ON CONFLICT DO NOTHING`, k.Actor, k.Scope, k.Key, k.Hash)
	if err != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, false, nil
	}
	response, _, err = k.Replay(ctx, tx, reused)
	return response, true, err
}

// Record stores the answer a retry with the key gets, in the transaction
// that claimed it.
func (k IdempotencyKey) Record(ctx context.Context, tx pgx.Tx, status int, response any) error {
	b, err := json.Marshal(response)
	if err != nil {
		return fmt.Errorf("encode the answer kept for an Idempotency-Key: %w", err)
	}
	return Later(ctx, tx, "record the answer kept for an Idempotency-Key",
		`UPDATE idempotency_keys SET status = $4, response = $5 WHERE actor = $1 AND scope = $2 AND key = $3`,
		k.Actor, k.Scope, k.Key, status, string(b))
}

// SweepIdempotencyKeys forgets the answers kept longer than keep.
func SweepIdempotencyKeys(ctx context.Context, q Querier, keep time.Duration) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`, keep.Seconds())
	if err != nil {
		return 0, fmt.Errorf("sweep idempotency keys: %w", err)
	}
	return tag.RowsAffected(), nil
}
