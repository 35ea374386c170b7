package store

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"cop/platform/problem"
)

// ErrBadCursor means a list cursor was not one this server handed out.
var ErrBadCursor error = problem.Malformedf(problem.At("/cursor", badCursor), badCursor)

const badCursor = "cursor is not valid: pass the `next` value of a previous page unchanged"

// EncodeCursor packs the sort key of the last item of a page into the opaque
// `next` value of a list response.
func EncodeCursor(parts ...string) string {
	b, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor unpacks a cursor made by EncodeCursor with n parts. The empty
// cursor (first page) decodes to n empty strings.
func DecodeCursor(cursor string, n int) ([]string, error) {
	if cursor == "" {
		return make([]string, n), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, ErrBadCursor
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != n {
		return nil, ErrBadCursor
	}
	return parts, nil
}

// Page trims items fetched with LIMIT limit+1 to one page, and returns the
// cursor of the next page (the sort key of the page's last item), or "" when
// this page is the last.
func Page[T any](items []T, limit int, key func(T) []string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, EncodeCursor(key(items[limit-1])...)
}

// NewestFirstAfter reads the cursor of a list ordered newest first by
// (time, id): where the next page starts ("infinity" for the first).
func NewestFirstAfter(cursor string) (string, string, error) {
	if cursor == "" {
		return "infinity", "", nil
	}
	parts, err := DecodeCursor(cursor, 2)
	if err != nil {
		return "", "", err
	}
	if _, err := time.Parse(time.RFC3339Nano, parts[0]); err != nil {
		return "", "", ErrBadCursor
	}
	return parts[0], parts[1], nil
}

// NewestFirstKey is the cursor key of an item in such a list.
func NewestFirstKey(at time.Time, id string) []string {
	return []string{at.Format(time.RFC3339Nano), id}
}
