package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonObject is a decoded JSON object that remembers its key order, which
// encoding/json's maps forget and the form's field order depends on.
type jsonObject struct {
	keys []string
	vals map[string]any
}

// decodeOrdered decodes JSON into *jsonObject, []any, string, float64, bool
// and nil. Numbers are float64, as json.Unmarshal into any gives them, so
// consts and enums compare equal with submitted data.
func decodeOrdered(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("it is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	v, err := decodeOrderedValue(dec)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errors.New("it ends too soon")
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("there is more after the end of the value")
	}
	return v, nil
}

func decodeOrderedValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		obj := &jsonObject{vals: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			v, err := decodeOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := obj.vals[key]; !dup {
				obj.keys = append(obj.keys, key)
			}
			obj.vals[key] = v
		}
		_, err = dec.Token() // '}'
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeOrderedValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token() // ']'
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// plainJSON converts an ordered value into what json.Unmarshal gives.
func plainJSON(v any) any {
	switch x := v.(type) {
	case *jsonObject:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = plainJSON(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

func stringList(list []any) []string {
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// intKeyword reads a non-negative integer keyword; -1 when absent.
func intKeyword(obj *jsonObject, key string) int {
	f, ok := obj.vals[key].(float64)
	if !ok || f < 0 {
		return -1
	}
	return int(f)
}

func floatKeyword(obj *jsonObject, key string) *float64 {
	f, ok := obj.vals[key].(float64)
	if !ok {
		return nil
	}
	return &f
}
