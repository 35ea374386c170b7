package store

import (
	"encoding/json"
	"fmt"
)

// JSONOrNull encodes v for a jsonb column; nil stays SQL NULL.
func JSONOrNull(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// TextArray is s for a text[] column that is never NULL.
func TextArray(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
