// Package replicas keeps track of the replicas running against one
// database, so that one started with a setting that must agree with the
// others (the Temporal namespace and task queue, the OpenID issuer, the
// events' source) says so at start, and gives each worker an identity in
// Temporal that names the database it uses, so a replica on another
// database polling the same task queue is found too.
package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Live is how recently a replica must have been seen to count.
const Live = 2 * time.Minute

// beat is how often a running replica says it is still there.
const beat = 30 * time.Second

// Settings are the settings that must agree between replicas, by the
// name of the environment variable that sets each.
type Settings map[string]string

// Replica is this process among the replicas.
type Replica struct {
	pool         *pgxpool.Pool
	Name         string
	Installation string // the database's identity
}

// Register records this replica and its settings, and returns, for each
// live replica whose settings differ, a sentence naming the setting and
// both values.
func Register(ctx context.Context, pool *pgxpool.Pool, settings Settings) (*Replica, []string, error) {
	host, _ := os.Hostname()
	r := &Replica{pool: pool, Name: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())}
	if err := pool.QueryRow(ctx, `SELECT id::text FROM installation`).Scan(&r.Installation); err != nil {
		return nil, nil, fmt.Errorf("read the installation's identity: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT name, settings, seen_at FROM replicas WHERE seen_at > now() - make_interval(secs => $1) ORDER BY seen_at DESC`,
		Live.Seconds())
	if err != nil {
		return nil, nil, fmt.Errorf("read the live replicas: %w", err)
	}
	type other struct {
		name     string
		settings Settings
		seen     time.Time
	}
	others, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (other, error) {
		var o other
		err := row.Scan(&o.name, &o.settings, &o.seen)
		return o, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the live replicas: %w", err)
	}
	var diffs []string
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, o := range others {
		for _, k := range keys {
			if theirs, ok := o.settings[k]; ok && theirs != settings[k] {
				diffs = append(diffs, fmt.Sprintf("%s is %q here but %q on replica %s (seen %s ago): replicas must agree on it",
					k, settings[k], theirs, o.name, time.Since(o.seen).Round(time.Second)))
			}
		}
	}
	b, _ := json.Marshal(settings)
	if _, err := pool.Exec(ctx, `INSERT INTO replicas (name, settings) VALUES ($1, $2)`, r.Name, b); err != nil {
		return nil, nil, fmt.Errorf("record this replica: %w", err)
	}
	return r, diffs, nil
}

// Run says the replica is still there until ctx ends, then forgets it.
func (r *Replica) Run(ctx context.Context) {
	t := time.NewTicker(beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = r.pool.Exec(dctx, `DELETE FROM replicas WHERE name = $1 OR seen_at < now() - make_interval(secs => $2)`, r.Name, Live.Seconds())
			return
		case <-t.C:
			_, _ = r.pool.Exec(ctx, `UPDATE replicas SET seen_at = now() WHERE name = $1`, r.Name)
		}
	}
}

// identityMark introduces the installation in a worker's identity.
const identityMark = " cop-installation="

// WorkerIdentity is the identity this replica's worker gives Temporal.
func (r *Replica) WorkerIdentity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s%s%s", os.Getpid(), host, identityMark, r.Installation)
}

// Strangers are the identities among pollers that name another
// installation: workers on another database sharing this task queue.
func (r *Replica) Strangers(pollers []string) []string {
	var out []string
	for _, p := range pollers {
		if _, inst, ok := strings.Cut(p, identityMark); ok && inst != r.Installation {
			out = append(out, p)
		}
	}
	return out
}
