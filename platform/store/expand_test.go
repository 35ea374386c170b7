package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// contracting finds the statements of a migration that take something
// away a running release may still use: a table or column dropped or
// renamed, a column's type changed, a column made NOT NULL. A rolling
// deploy runs the release before on the migrated schema for a while, so
// a migration only expands; what is no longer used is dropped a release
// later, in a migration whose statement carries "-- contract:" and says
// which release stopped using it.
func contracting(sql string) []string {
	destructive := regexp.MustCompile(`(?is)\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN)|ALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE|ALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL)\b`)
	var out []string
	for _, stmt := range strings.Split(sql, ";") {
		if destructive.MatchString(stripComments(stmt)) && !strings.Contains(stmt, "-- contract:") {
			out = append(out, strings.TrimSpace(stripComments(stmt)))
		}
	}
	return out
}

func stripComments(sql string) string {
	return regexp.MustCompile(`--[^\n]*`).ReplaceAllString(sql, "")
}

// beforeTheRule are migrations written before this rule, each reviewed:
// 002 changed the type of a column only 001 had written; 005 dropped a
// column the release before had stopped reading; neither ran under a
// rolling deploy.
var beforeTheRule = map[string]bool{"002_forms.sql": true, "005_sessions_without_id_token.sql": true}

func TestMigrationsOnlyExpand(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	for _, f := range files {
		if beforeTheRule[filepath.Base(f)] {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range contracting(string(b)) {
			t.Errorf("%s takes away what the release before may use; expand now and contract a release later (mark that statement -- contract: …): %s", f, stmt)
		}
	}
}

// The check finds each kind of contraction, and lets a marked one and
// plain expansions through.
func TestContractingIsFound(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want int
	}{
		{`ALTER TABLE cases DROP COLUMN owner;`, 1},
		{`DROP TABLE drafts;`, 1},
		{`ALTER TABLE tasks RENAME COLUMN due TO due_at;`, 1},
		{`ALTER TABLE tasks RENAME TO work;`, 1},
		{`ALTER TABLE tasks ALTER COLUMN priority TYPE bigint;`, 1},
		{`ALTER TABLE tasks ALTER COLUMN reason SET NOT NULL;`, 1},
		{"-- contract: 1.4 stopped reading it\nALTER TABLE cases DROP COLUMN owner;", 0},
		{`ALTER TABLE cases ADD COLUMN owner text NOT NULL DEFAULT ''; CREATE INDEX x ON cases (owner);`, 0},
		{`ALTER TABLE instances DROP CONSTRAINT instances_status_check;`, 0},
		{"-- we never DROP TABLE here\nCREATE TABLE kept (id int);", 0},
	} {
		if got := contracting(c.sql); len(got) != c.want {
			t.Errorf("%q: found %q, want %d", c.sql, got, c.want)
		}
	}
}
