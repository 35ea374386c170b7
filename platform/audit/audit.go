// Package audit records who did what to which resource, and keeps the record
// tamper-evident. Writers insert rows unsealed, inside the transaction of the
// change they describe, so the write path never waits on a global lock. One
// sealer at a time (a PostgreSQL advisory lock decides which replica) gives
// each committed row the next sequence number and links it to the previous
// row by hash, in the order rows became visible, i.e. commit order.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/store"
)

// Outcomes.
const (
	OK       = "ok"       // the change was made
	Denied   = "denied"   // the caller was not allowed (401/403/404 for hidden resources)
	Rejected = "rejected" // the request was invalid (4xx)
	Failed   = "failed"   // the server or a dependency failed (5xx)
)

// Entry is one audited action.
type Entry struct {
	Actor     string         // OIDC subject, or "anonymous"
	Action    string         // e.g. "registry.put", "http.POST /api/v1/forms"
	Resource  string         // e.g. "form:global/arrival@1.0.0"
	Outcome   string         // OK, Denied, Rejected, Failed
	RequestID string         // the request's X-Request-Id
	Detail    map[string]any // small, non-personal context (status code, checksum, error title)
	ClientIP  string         // where an HTTP request came from ("" for the platform's own work)
	UserAgent string
}

// Row is a stored entry with its place in the chain.
type Row struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Resource  string          `json:"resource"`
	Outcome   string          `json:"outcome"`
	RequestID string          `json:"requestId"`
	Detail    json.RawMessage `json:"detail"`
	ClientIP  string          `json:"clientIp,omitempty"`
	UserAgent string          `json:"userAgent,omitempty"`
	Teams     []string        `json:"teams"` // whose cases the row is about; who may read it
	Seq       *int64          `json:"seq"`   // nil until sealed
	PrevHash  string          `json:"prevHash,omitempty"`
	Hash      string          `json:"hash,omitempty"`
}

// Record inserts an entry. Pass the transaction that makes the change, so
// the change and its audit row commit or roll back together.
func Record(ctx context.Context, q store.Querier, e Entry) error {
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	at := time.Now().UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
	err := store.Later(ctx, q, fmt.Sprintf("write audit row for %s on %s", e.Action, e.Resource),
		`INSERT INTO audit_log (at, actor, action, resource, outcome, request_id, detail, client_ip, user_agent, teams)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, audit_teams($4))`, at, e.Actor, e.Action, e.Resource, e.Outcome, e.RequestID, detail,
		e.ClientIP, truncate(e.UserAgent, 512))
	if err != nil {
		return err
	}
	if t, ok := ctx.Value(trackerKey{}).(*tracker); ok {
		if tx, inTx := q.(pgx.Tx); inTx {
			store.OnCommit(tx, t.mark) // a row rolled back audits nothing
		} else {
			t.mark()
		}
	}
	return nil
}

// tracker notes whether a request's audit row was written.
type tracker struct{ recorded atomic.Bool }

func (t *tracker) mark() { t.recorded.Store(true) }

type trackerKey struct{}

// Track returns ctx carrying a tracker for one request, and a func that
// reports whether anything under ctx has recorded an audit row that
// committed (or said, with Handled, that one is written elsewhere): the web
// tier's safety net writes a row for a request that reports none.
func Track(ctx context.Context) (context.Context, func() bool) {
	t := &tracker{}
	return context.WithValue(ctx, trackerKey{}, t), t.recorded.Load
}

// Handled says the request's change is audited elsewhere: an officer's
// task action is audited by the instance's activity that applies it.
func Handled(ctx context.Context) {
	if t, ok := ctx.Value(trackerKey{}).(*tracker); ok {
		t.mark()
	}
}

// sealLock is the advisory lock key that makes one sealer run at a time.
const sealLock = int64(0x636f702d61756469) // "cop-audi"

// sealBatch bounds one sealing transaction.
const sealBatch = 1000

// Seal links every committed unsealed row into the chain. It returns how
// many rows it sealed; 0 with no error also when another sealer holds the lock.
func Seal(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	total := 0
	for {
		n, err := sealOnce(ctx, pool)
		total += n
		if err != nil || n < sealBatch {
			return total, err
		}
	}
}

func sealOnce(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	sealed := 0
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sealLock).Scan(&locked); err != nil {
			return fmt.Errorf("take audit seal lock: %w", err)
		}
		if !locked {
			return nil
		}
		var lastSeq int64
		var lastHash []byte
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read chain head: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1`, sealBatch)
		if err != nil {
			return fmt.Errorf("read unsealed audit rows: %w", err)
		}
		pending, err := collectRows(rows)
		if err != nil {
			return err
		}
		// One set-based UPDATE for the batch rather than one per row.
		ids, seqs := make([]int64, len(pending)), make([]int64, len(pending))
		prevs, hashes := make([][]byte, len(pending)), make([][]byte, len(pending))
		for i, r := range pending {
			lastSeq++
			h, err := chainHash(lastHash, lastSeq, r)
			if err != nil {
				return err
			}
			ids[i], seqs[i], prevs[i], hashes[i] = r.ID, lastSeq, lastHash, h
			lastHash = h
		}
		_, err = tx.Exec(ctx, `UPDATE audit_log a SET seq = u.seq, prev_hash = u.prev, hash = u.hash
			FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u(id, seq, prev, hash)
			WHERE a.id = u.id`, ids, seqs, prevs, hashes)
		if err != nil {
			return fmt.Errorf("seal audit rows: %w", err)
		}
		sealed = len(pending)
		return nil
	})
	return sealed, err
}

// chainHash is SHA-256 over the previous hash and the canonical JSON of the
// row's content and sequence number. It reads only values as stored, so
// verification recomputes exactly what sealing computed.
func chainHash(prev []byte, seq int64, r Row) ([]byte, error) {
	fields := map[string]any{
		"seq":       strconv.FormatInt(seq, 10),
		"id":        strconv.FormatInt(r.ID, 10),
		"at":        r.At.UTC().Format(time.RFC3339Nano),
		"actor":     r.Actor,
		"action":    r.Action,
		"resource":  r.Resource,
		"outcome":   r.Outcome,
		"requestId": r.RequestID,
		"detail":    r.Detail,
	}
	// Sealed only when set, so rows written before they existed verify.
	if r.ClientIP != "" {
		fields["clientIp"] = r.ClientIP
	}
	if r.UserAgent != "" {
		fields["userAgent"] = r.UserAgent
	}
	content, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode audit row %d: %w", r.ID, err)
	}
	canon, err := jcs.Transform(content)
	if err != nil {
		return nil, fmt.Errorf("canonicalise audit row %d: %w", r.ID, err)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canon)
	return h.Sum(nil), nil
}

// Report is what Verify found.
type Report struct {
	Sealed   int64  `json:"sealed"`
	Unsealed int64  `json:"unsealed"`
	Broken   *Break `json:"broken,omitempty"`
}

// Break is the first link that does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// Verify walks the chain from the first row and reports the first broken
// link, if any, and how many rows still await sealing.
func Verify(ctx context.Context, q store.Querier) (Report, error) {
	var rep Report
	if err := q.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE seq IS NULL`).Scan(&rep.Unsealed); err != nil {
		return rep, fmt.Errorf("count unsealed audit rows: %w", err)
	}
	var prev []byte
	var expectSeq int64 = 1
	for {
		rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 5000`, expectSeq)
		if err != nil {
			return rep, fmt.Errorf("read audit chain: %w", err)
		}
		page, err := collectRows(rows)
		if err != nil {
			return rep, err
		}
		for _, r := range page {
			if b := checkLink(prev, expectSeq, r); b != nil {
				rep.Broken = b
				return rep, nil
			}
			prev = mustDecode(r.Hash)
			expectSeq++
			rep.Sealed++
		}
		if len(page) < 5000 {
			return rep, nil
		}
	}
}

func checkLink(prev []byte, expectSeq int64, r Row) *Break {
	seq := *r.Seq
	switch {
	case seq != expectSeq:
		return &Break{Seq: expectSeq, ID: r.ID, Reason: fmt.Sprintf("row with seq %d is missing (next row found has seq %d)", expectSeq, seq)}
	case !bytes.Equal(mustDecode(r.PrevHash), prev):
		return &Break{Seq: seq, ID: r.ID, Reason: "prev_hash does not match the hash of the row before it"}
	}
	want, err := chainHash(prev, seq, r)
	if err != nil || !bytes.Equal(want, mustDecode(r.Hash)) {
		return &Break{Seq: seq, ID: r.ID, Reason: "row content does not match its hash (the row was changed after sealing)"}
	}
	return nil
}

func mustDecode(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// Filter selects rows for List.
type Filter struct {
	Resource string
	Actor    string
	From, To time.Time // zero: unbounded
	Limit    int
	Cursor   string
	Reader   Reader // whose rows the caller may read
}

// Reader is who may read which rows: All (admins), or the rows an actor
// wrote and those about the cases of their Teams (supervisors).
type Reader struct {
	All   bool
	Actor string
	Teams []string
}

// List returns matching rows, newest first, and the next page's cursor.
func List(ctx context.Context, q store.Querier, f Filter) ([]Row, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	parts, err := store.DecodeCursor(f.Cursor, 1)
	if err != nil {
		return nil, "", err
	}
	var before int64
	if parts[0] != "" {
		if before, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
			return nil, "", store.ErrBadCursor
		}
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM audit_log
		WHERE ($1 = '' OR resource = $1) AND ($2 = '' OR actor = $2)
		  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
		  AND ($5 = 0 OR id < $5)
		  AND ($7 OR actor = $8 OR teams && $9)
		ORDER BY id DESC LIMIT $6`, f.Resource, f.Actor, from, to, before, limit+1,
		f.Reader.All, f.Reader.Actor, nonNil(f.Reader.Teams))
	if err != nil {
		return nil, "", fmt.Errorf("list audit rows: %w", err)
	}
	out, err := collectRows(rows)
	if err != nil {
		return nil, "", err
	}
	out, next := store.Page(out, limit, func(r Row) []string { return []string{strconv.FormatInt(r.ID, 10)} })
	return out, next, nil
}

const rowColumns = `id, at, actor, action, resource, outcome, request_id, detail, client_ip, user_agent, teams, seq, prev_hash, hash`

func collectRows(rows pgx.Rows) ([]Row, error) {
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var r Row
		var prev, hash []byte
		if err := rows.Scan(&r.ID, &r.At, &r.Actor, &r.Action, &r.Resource, &r.Outcome, &r.RequestID,
			&r.Detail, &r.ClientIP, &r.UserAgent, &r.Teams, &r.Seq, &prev, &hash); err != nil {
			return nil, fmt.Errorf("read audit row: %w", err)
		}
		r.At = r.At.UTC()
		r.PrevHash, r.Hash = hex.EncodeToString(prev), hex.EncodeToString(hash)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Who is the caller on whose behalf an action is audited.
type Who struct {
	Actor     string
	RequestID string
	ClientIP  string
	UserAgent string
}

// Entry builds an entry for this caller.
func (w Who) Entry(action, resource, outcome string, detail map[string]any) Entry {
	return Entry{Actor: w.Actor, Action: action, Resource: resource, Outcome: outcome, RequestID: w.RequestID, Detail: detail,
		ClientIP: w.ClientIP, UserAgent: w.UserAgent}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
