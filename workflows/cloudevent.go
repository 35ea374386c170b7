package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"

	"cop/forms"
)

// MaxEventSize bounds one CloudEvent sent to an instance: it may wait in
// the instance's buffer, which travels with the instance's state.
const MaxEventSize = 256 << 10

// DecodeCloudEvent reads one structured-mode CloudEvent (JSON) and checks
// the CloudEvents 1.0 attributes a listen filter matches on; data may be
// anything. It returns the problems, one per attribute, when it is not one.
func DecodeCloudEvent(raw []byte) (map[string]any, []forms.FieldError) {
	if len(raw) > MaxEventSize {
		return nil, []forms.FieldError{{Pointer: "", Message: fmt.Sprintf("the event is %d bytes; an instance takes events of at most %d", len(raw), MaxEventSize)}}
	}
	var event map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&event); err != nil || event == nil || dec.More() {
		return nil, []forms.FieldError{{Pointer: "", Message: "send one JSON object with specversion, id, source and type"}}
	}
	var errs []forms.FieldError
	for _, attr := range []string{"specversion", "id", "source", "type"} {
		if s, ok := event[attr].(string); !ok || s == "" {
			errs = append(errs, forms.FieldError{Pointer: "/" + attr, Message: attr + " is required (a non-empty string)"})
		}
	}
	if v, ok := event["specversion"].(string); ok && v != "" && v != "1.0" {
		errs = append(errs, forms.FieldError{Pointer: "/specversion", Message: fmt.Sprintf("specversion must be 1.0, not %q", v)})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return event, nil
}
