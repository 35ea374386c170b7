package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, so a failed request leaves nothing half-written.
// What fn registers with OnCommit runs once the transaction has committed.
//
// The transaction saves round trips to PostgreSQL, each of which costs both
// processes a wake-up under load: its BEGIN goes with its first statement,
// and writes queued with Later go with the next statement or the COMMIT. A
// transaction of queued writes is one round trip.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &pipeTx{conn: conn}
	defer tx.release()
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// OnCommit runs f once tx commits, when InTx runs tx; for any other
// transaction it runs f now.
func OnCommit(tx pgx.Tx, f func()) {
	if t, ok := tx.(*pipeTx); ok {
		t.afterCommit = append(t.afterCommit, f)
		return
	}
	f()
}

// Later runs a write whose result nothing reads: in a transaction InTx
// runs, it is sent with the transaction's next statement or its commit, and
// an error it meets is returned from there, naming what; elsewhere it runs
// now.
func Later(ctx context.Context, q Querier, what, sql string, args ...any) error {
	if t, ok := q.(*pipeTx); ok && !t.closed {
		t.later = append(t.later, queued{what: what, sql: sql, args: args})
		return nil
	}
	if _, err := q.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// LaterRow is Later for a write that returns one row: scan reads it when
// the statement has run (before the transaction commits).
func LaterRow(ctx context.Context, q Querier, what, sql string, scan func(pgx.Row) error, args ...any) error {
	if t, ok := q.(*pipeTx); ok && !t.closed {
		t.later = append(t.later, queued{what: what, sql: sql, args: args, scan: scan})
		return nil
	}
	if err := scan(q.QueryRow(ctx, sql, args...)); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ErrNestedTx refuses a savepoint: COP's transactions do not nest.
var ErrNestedTx = errors.New("store: nested transactions are not supported")

// pipeTx is the transaction InTx runs on one pooled connection.
type pipeTx struct {
	conn        *pgxpool.Conn
	begun       bool  // BEGIN has been sent
	closed      bool  // committed or rolled back
	failed      error // a statement failed: only Rollback is left
	later       []queued
	afterCommit []func()
}

type queued struct {
	what, sql string
	args      []any
	scan      func(pgx.Row) error
}

// send sends BEGIN (once), the queued writes and then b's statements as one
// batch, reads the results of all but b's, and returns the batch positioned
// at b's first statement.
func (t *pipeTx) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	if t.failed != nil {
		return nil, t.failed
	}
	all := &pgx.Batch{}
	if !t.begun {
		all.Queue("BEGIN")
	}
	for _, q := range t.later {
		all.Queue(q.sql, q.args...)
	}
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, all)
	if !t.begun {
		if _, err := br.Exec(); err != nil {
			return nil, t.fail(br, fmt.Errorf("begin transaction: %w", err))
		}
		t.begun = true
	}
	pending := t.later
	t.later = nil
	for _, q := range pending {
		var err error
		if q.scan != nil {
			err = q.scan(br.QueryRow())
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			return nil, t.fail(br, fmt.Errorf("%s: %w", q.what, err))
		}
	}
	return br, nil
}

func (t *pipeTx) fail(br pgx.BatchResults, err error) error {
	_ = br.Close()
	t.failed = err
	return err
}

// Exec runs a statement, with what is queued, in one round trip.
func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	return tag, err
}

// Query runs a query, with what is queued, in one round trip.
func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow is Query for one row.
func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	return &oneRow{rows: rows, err: err}
}

// SendBatch sends what is queued, then b.
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.flush(ctx); err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return t.conn.SendBatch(ctx, b)
}

// CopyFrom sends what is queued, then copies.
func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

func (t *pipeTx) flush(ctx context.Context) error {
	br, err := t.send(ctx, &pgx.Batch{})
	if err != nil {
		return err
	}
	return br.Close()
}

func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// Begin would be a savepoint; nothing in COP nests transactions.
func (t *pipeTx) Begin(context.Context) (pgx.Tx, error) { return nil, ErrNestedTx }

// LargeObjects are not used by COP.
func (t *pipeTx) LargeObjects() pgx.LargeObjects {
	panic("store: large objects are not supported in InTx transactions")
}

func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// Commit sends what is queued and COMMIT in one round trip. A transaction
// that sent nothing has nothing to commit.
func (t *pipeTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if t.failed != nil {
		_ = t.Rollback(ctx)
		return t.failed
	}
	if !t.begun && len(t.later) == 0 {
		t.closed = true
		return nil
	}
	b := &pgx.Batch{}
	b.Queue("COMMIT")
	br, err := t.send(ctx, b)
	if err != nil {
		_ = t.Rollback(ctx)
		return err
	}
	tag, err := br.Exec()
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = t.Rollback(ctx)
		return err
	}
	t.closed = true
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback ends the transaction, discarding what is queued.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	t.later = nil
	if !t.begun {
		return nil
	}
	_, err := t.conn.Exec(ctx, "ROLLBACK")
	return err
}

// release gives the connection back to the pool (which closes it if it is
// still in a transaction, as after a cancelled context).
func (t *pipeTx) release() {
	if t.conn != nil {
		t.conn.Release()
		t.conn = nil
	}
}

// batchRows closes its batch when the rows are closed.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// oneRow is pgx's Row over Query: the first row, or pgx.ErrNoRows.
type oneRow struct {
	rows pgx.Rows
	err  error
}

func (r *oneRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
