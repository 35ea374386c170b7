package engine

import (
	"encoding/json"

	"cop/workflows"
)

// MaxPayloadBytes bounds every message an instance sends Temporal: an
// activity's input or result, a child's start, the next run's state, the
// instance's output. Temporal refuses a payload over 2 MiB by terminating
// the workflow; COP faults the instance first, with an error that says
// what was too large, where a try/catch can handle it.
const MaxPayloadBytes = 1_500_000

// checkPayload refuses v when it would encode to more than
// MaxPayloadBytes, as Temporal's JSON converter encodes it.
func checkPayload(what string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return workflows.NewError(workflows.ErrRuntime, "Cannot encode", "%s cannot be encoded: %v", what, err)
	}
	if n := len(b); n > MaxPayloadBytes {
		return workflows.NewError(workflows.ErrRuntime, "Payload too large",
			"%s would be %d bytes; Temporal takes at most %d in one message: keep less data in the instance (select what you need with output.as)", what, n, MaxPayloadBytes)
	}
	return nil
}

// checkResult refuses an activity's result that would not fit in one
// message, as a fault of the call.
func checkResult(what string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fault(workflows.NewError(workflows.ErrRuntime, "Cannot encode", "%s cannot be encoded: %v", what, err))
	}
	if len(b) > MaxPayloadBytes {
		return fault(workflows.NewError(workflows.ErrCommunication, "Response too large",
			"%s is %d bytes once encoded; an instance takes at most %d in one message", what, len(b), MaxPayloadBytes))
	}
	return nil
}
