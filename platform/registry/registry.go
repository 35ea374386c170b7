// Package registry stores runtime-registered definitions (forms, workflows,
// data terms, reference data, reports) without knowing what any of them mean.
// Versions are immutable: re-uploading identical content is a no-op, other
// content under an existing version is a conflict. "Latest" is the highest
// active semantic version. Each kind brings its own validator (later issues);
// this package only stores and orders.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/jackc/pgx/v5"

	"cop/platform/problem"
	"cop/platform/store"
)

// GlobalNamespace is the namespace of every kind but workflows, which carry
// the DSL's document.namespace.
const GlobalNamespace = "global"

// Status values.
const (
	Active  = "active"
	Retired = "retired"
)

// Definition is one stored version.
type Definition struct {
	// ID is the row's key, for the tables of kinds that refer to a version
	// (definition_pins); it is not part of the API.
	ID         int64           `json:"-"`
	Kind       string          `json:"kind"`
	Namespace  string          `json:"namespace"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Content    json.RawMessage `json:"content"`
	Checksum   string          `json:"checksum"`
	Status     string          `json:"status"`
	UploadedBy string          `json:"uploadedBy"`
	UploadedAt time.Time       `json:"uploadedAt"`
	RetiredBy  string          `json:"retiredBy,omitempty"`
	RetiredAt  *time.Time      `json:"retiredAt,omitempty"`
}

// Ref names a definition version.
type Ref struct {
	Kind, Namespace, Name, Version string
}

func (r Ref) String() string {
	return fmt.Sprintf("%s:%s/%s@%s", r.Kind, r.Namespace, r.Name, r.Version)
}

// ErrNotFound means no such definition (or version) exists.
var ErrNotFound = problem.ErrNotFound

// conflict refuses other content under an existing version.
func conflict(ref Ref, existing, upload string) error {
	return problem.Conflictf("%s already exists with different content (checksum %s, upload has %s); publish a new version instead",
		ref, existing, upload)
}

// invalid is a problem with the identity of an upload (name, version) or
// its content, at the document's top-level field.
func invalid(field, message string) error {
	return problem.Invalidf(problem.At("/"+field, message), "%s: %s", field, message)
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$`)
	semverRE = regexp.MustCompile(`^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$`)
)

// Checksum is the hex SHA-256 of the RFC 8785 canonical form of content, so
// the same document uploaded with other key order or spacing is identical.
func Checksum(content []byte) (string, error) {
	canon, err := jcs.Transform(content)
	if err != nil {
		return "", fmt.Errorf("canonicalise content: %w", err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}

// versionKey turns a semantic version into a string whose byte order is
// semver precedence: numbers zero-padded, pre-release identifiers encoded so
// numeric < alphanumeric and fewer identifiers < more, release after any
// pre-release of the same MAJOR.MINOR.PATCH.
func versionKey(version string) (string, error) {
	m := semverRE.FindStringSubmatch(version)
	if m == nil {
		return "", invalid("version", fmt.Sprintf("%q is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE] (build metadata is not allowed)", version))
	}
	var b strings.Builder
	for _, part := range m[1:4] {
		n, _ := strconv.Atoi(part)
		fmt.Fprintf(&b, "%010d.", n)
	}
	if m[4] == "" {
		b.WriteString("~") // sorts after every pre-release encoding below
		return b.String(), nil
	}
	for i, id := range strings.Split(m[4], ".") {
		if i > 0 {
			b.WriteString(" ") // below every identifier character, so a prefix sorts first
		}
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			fmt.Fprintf(&b, "0%020d", n)
		} else {
			b.WriteString("1" + id)
		}
	}
	return b.String(), nil
}

// CheckRef checks a definition's identity: its name and semantic version.
func CheckRef(ref Ref) error {
	if !nameRE.MatchString(ref.Name) {
		return invalid("name", fmt.Sprintf("%q must be 1-100 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit", ref.Name))
	}
	if ref.Namespace == "" {
		return invalid("namespace", "must not be empty")
	}
	_, err := versionKey(ref.Version)
	return err
}

// Put stores a new version. It returns the stored definition and whether
// this call created it (false: identical content was already there).
func Put(ctx context.Context, q store.Querier, ref Ref, content []byte, uploadedBy string) (Definition, bool, error) {
	if err := CheckRef(ref); err != nil {
		return Definition{}, false, err
	}
	key, err := versionKey(ref.Version)
	if err != nil {
		return Definition{}, false, err
	}
	sum, err := Checksum(content)
	if err != nil {
		return Definition{}, false, invalid("content", err.Error())
	}
	row := q.QueryRow(ctx, `
		INSERT INTO definitions (kind, namespace, name, version, version_key, content, checksum, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (kind, namespace, name, version) DO NOTHING
		RETURNING `+columns,
		ref.Kind, ref.Namespace, ref.Name, ref.Version, key, content, sum, uploadedBy)
	d, err := scan(row)
	if err == nil {
		return d, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Definition{}, false, fmt.Errorf("store %s: %w", ref, err)
	}
	existing, err := Get(ctx, q, ref)
	if err != nil {
		return Definition{}, false, fmt.Errorf("read existing %s: %w", ref, err)
	}
	if existing.Checksum != sum {
		return existing, false, conflict(ref, existing.Checksum, sum)
	}
	return existing, false, nil
}

// Get returns one version, active or retired.
func Get(ctx context.Context, q store.Querier, ref Ref) (Definition, error) {
	return scan(q.QueryRow(ctx, `SELECT `+columns+` FROM definitions
		WHERE kind = $1 AND namespace = $2 AND name = $3 AND version = $4`,
		ref.Kind, ref.Namespace, ref.Name, ref.Version))
}

// Latest returns the highest active version of a name.
func Latest(ctx context.Context, q store.Querier, kind, namespace, name string) (Definition, error) {
	return scan(q.QueryRow(ctx, `SELECT `+columns+` FROM definitions
		WHERE kind = $1 AND namespace = $2 AND name = $3 AND status = 'active'
		ORDER BY version_key COLLATE "C" DESC LIMIT 1`, kind, namespace, name))
}

// Versions lists every version of a name, highest first.
func Versions(ctx context.Context, q store.Querier, kind, namespace, name string) ([]Definition, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM definitions
		WHERE kind = $1 AND namespace = $2 AND name = $3
		ORDER BY version_key COLLATE "C" DESC`, kind, namespace, name)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s %s/%s: %w", kind, namespace, name, err)
	}
	return collect(rows)
}

// ListOptions pages through the latest active version of each name.
type ListOptions struct {
	Namespace string // empty: every namespace
	Limit     int
	Cursor    string // opaque, from a previous page's next
}

// List returns the latest active version of each name of a kind, ordered by
// namespace then name, and the cursor of the next page ("" at the end).
func List(ctx context.Context, q store.Querier, kind string, opt ListOptions) ([]Definition, string, error) {
	limit := opt.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	afterNS, afterName, err := decodeCursor(opt.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM (
			SELECT DISTINCT ON (namespace, name) * FROM definitions
			WHERE kind = $1 AND status = 'active' AND ($2 = '' OR namespace = $2)
			  AND (namespace, name) > ($3, $4)
			ORDER BY namespace, name, version_key COLLATE "C" DESC
		) latest ORDER BY namespace, name LIMIT $5`,
		kind, opt.Namespace, afterNS, afterName, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list %s definitions: %w", kind, err)
	}
	defs, err := collect(rows)
	if err != nil {
		return nil, "", err
	}
	defs, next := store.Page(defs, limit, func(d Definition) []string { return []string{d.Namespace, d.Name} })
	return defs, next, nil
}

// Retire marks a version retired: it stays readable (instances and
// submissions pinned to it keep working) but is no longer "latest" and no
// longer offered. Retiring a retired version changes nothing.
func Retire(ctx context.Context, q store.Querier, ref Ref, by string) (Definition, error) {
	d, err := scan(q.QueryRow(ctx, `UPDATE definitions SET status = 'retired', retired_by = $5, retired_at = now()
		WHERE kind = $1 AND namespace = $2 AND name = $3 AND version = $4 AND status = 'active'
		RETURNING `+columns, ref.Kind, ref.Namespace, ref.Name, ref.Version, by))
	if errors.Is(err, ErrNotFound) {
		return Get(ctx, q, ref)
	}
	return d, err
}

// ForShare reads the highest version of a name (or the one named by
// version), only among active versions when activeOnly, and share-locks it
// until the transaction ends: a version an upload depends on cannot be
// retired under it (a concurrent retire waits, then sees the dependant).
func ForShare(ctx context.Context, q store.Querier, kind, namespace, name, version string, activeOnly bool) (Definition, error) {
	return scan(q.QueryRow(ctx, `SELECT `+columns+` FROM definitions WHERE kind = $1 AND namespace = $2 AND name = $3
		AND ($4 = '' OR version = $4) AND (NOT $5 OR status = 'active')
		ORDER BY version_key COLLATE "C" DESC LIMIT 1 FOR SHARE`, kind, namespace, name, version, activeOnly))
}

// ForUpdate reads one version and locks it until the transaction ends, so
// uploads that share-lock it (ForShare) have committed or wait.
func ForUpdate(ctx context.Context, q store.Querier, ref Ref) (Definition, error) {
	return scan(q.QueryRow(ctx, `SELECT `+columns+` FROM definitions
		WHERE kind = $1 AND namespace = $2 AND name = $3 AND version = $4 FOR UPDATE`,
		ref.Kind, ref.Namespace, ref.Name, ref.Version))
}

// ByIDs reads the versions with these ids, in no particular order.
func ByIDs(ctx context.Context, q store.Querier, ids []int64) ([]Definition, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM definitions WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read definitions %v: %w", ids, err)
	}
	return collect(rows)
}

// LatestWith returns the latest active version of each name of a kind whose
// content holds one of values at path (keys from the document's root),
// ordered by namespace then name.
func LatestWith(ctx context.Context, q store.Querier, kind string, path []string, values ...string) ([]Definition, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM (
			SELECT DISTINCT ON (namespace, name) * FROM definitions
			WHERE kind = $1 AND status = 'active'
			ORDER BY namespace, name, version_key COLLATE "C" DESC
		) latest
		WHERE content #>> $2 = ANY($3)
		ORDER BY namespace, name`, kind, path, values)
	if err != nil {
		return nil, fmt.Errorf("find %s definitions by %v: %w", kind, path, err)
	}
	return collect(rows)
}

// LatestHaving returns the latest active version of each definition of
// kind whose content has a value at path.
func LatestHaving(ctx context.Context, q store.Querier, kind string, path []string) ([]Definition, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM (
			SELECT DISTINCT ON (namespace, name) * FROM definitions
			WHERE kind = $1 AND status = 'active'
			ORDER BY namespace, name, version_key COLLATE "C" DESC
		) latest
		WHERE content #> $2 IS NOT NULL
		ORDER BY namespace, name`, kind, path)
	if err != nil {
		return nil, fmt.Errorf("find %s definitions with %v: %w", kind, path, err)
	}
	return collect(rows)
}

const columns = `id, kind, namespace, name, version, content, checksum, status, uploaded_by, uploaded_at, retired_by, retired_at`

func scan(row pgx.Row) (Definition, error) {
	var d Definition
	var retiredBy *string
	err := row.Scan(&d.ID, &d.Kind, &d.Namespace, &d.Name, &d.Version, &d.Content, &d.Checksum, &d.Status,
		&d.UploadedBy, &d.UploadedAt, &retiredBy, &d.RetiredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Definition{}, ErrNotFound
	}
	if err != nil {
		return Definition{}, err
	}
	if retiredBy != nil {
		d.RetiredBy = *retiredBy
	}
	d.UploadedAt = d.UploadedAt.UTC()
	return d, nil
}

func collect(rows pgx.Rows) ([]Definition, error) {
	defer rows.Close()
	out := []Definition{}
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func decodeCursor(cursor string) (string, string, error) {
	parts, err := store.DecodeCursor(cursor, 2)
	if err != nil {
		return "", "", err
	}
	return parts[0], parts[1], nil
}

// Catalogue is the latest version of each name of a kind: the highest
// active one, else the highest (a name whose versions are all retired is
// still listed, as retired), whose name or title holds search; ordered by namespace and
// name, at most limit of them. It is what an author's list shows.
func Catalogue(ctx context.Context, q store.Querier, kind, search string, limit int) ([]Definition, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(search) + "%"
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM (
			SELECT DISTINCT ON (namespace, name) * FROM definitions
			WHERE kind = $1
			ORDER BY namespace, name, status = 'active' DESC, version_key COLLATE "C" DESC
		) latest
		WHERE $2 = '' OR name ILIKE $3 OR (namespace <> 'global' AND namespace ILIKE $3) OR content->>'title' ILIKE $3 OR content#>>'{document,title}' ILIKE $3
		ORDER BY namespace, name LIMIT $4`, kind, search, like, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s definitions matching %q: %w", kind, search, err)
	}
	return collect(rows)
}
