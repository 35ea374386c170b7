// Package inbound takes the CloudEvents other systems send COP (POST
// /api/v1/events): it reads them in each mode with the CloudEvents Go SDK
// (github.com/cloudevents/sdk-go/v2), refuses what is malformed at the
// attribute, and keeps each event once per (sender, source, id) for
// COP_EVENT_RETENTION. It owns inbound_events.
package inbound

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"cop/platform/problem"
)

// The media types POST /api/v1/events takes: one event (structured), a
// batch, or an event in binary mode whose data is JSON (its attributes in
// ce-* headers).
const (
	Structured = "application/cloudevents+json"
	Batch      = "application/cloudevents-batch+json"
	BinaryJSON = "application/json"
)

// Limits on what one request may carry.
const (
	MaxEvents    = 100
	MaxEventSize = 256 << 10
)

// Parse reads the request's events; nothing is returned unless every one
// is a valid CloudEvent (each problem at its attribute: /id, or /2/id in a
// batch).
func Parse(req *http.Request) ([]event.Event, error) {
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	var list []event.Event
	switch {
	case mt == Batch:
		evs, err := cehttp.NewEventsFromHTTPRequest(req)
		if err != nil {
			return nil, problem.Malformedf(problem.At("", "a batch is a JSON array of CloudEvents"),
				"the batch cannot be read: %s", describe(err))
		}
		if len(evs) == 0 {
			return nil, problem.Malformedf(problem.At("", "the batch is empty"), "a batch holds one or more events")
		}
		list = evs
	case mt == Structured || (mt == BinaryJSON && req.Header.Get("ce-specversion") != ""):
		e, err := cehttp.NewEventFromHTTPRequest(req)
		if err != nil {
			return nil, problem.Malformedf(attributeOf(err, ""), "the event cannot be read: %s", describe(err))
		}
		list = []event.Event{*e}
	default:
		return nil, problem.Malformedf(problem.At("/specversion", "ce-specversion is required in binary mode"),
			"send one event as %s, a batch as %s, or an event in binary mode: its data as %s and its attributes as ce-* headers (ce-specversion, ce-id, ce-source, ce-type)",
			Structured, Batch, BinaryJSON)
	}
	if len(list) > MaxEvents {
		return nil, problem.Malformedf(problem.At("", fmt.Sprintf("at most %d events in a batch", MaxEvents)), "the batch has %d events; send at most %d at once", len(list), MaxEvents)
	}
	var fields []problem.Field
	for i, e := range list {
		prefix := ""
		if mt == Batch {
			prefix = fmt.Sprintf("/%d", i)
		}
		fields = append(fields, check(e, prefix)...)
	}
	if len(fields) > 0 {
		return nil, problem.Malformedf(fields, "%s", fields[0].Message)
	}
	return list, nil
}

// check finds what is wrong with one event: its required attributes, its
// data (JSON when its content type is), its size.
func check(e event.Event, prefix string) []problem.Field {
	var fields []problem.Field
	var ve event.ValidationError
	if err := e.Validate(); errors.As(err, &ve) {
		names := make([]string, 0, len(ve))
		for name := range ve {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fields = append(fields, problem.Field{Pointer: prefix + "/" + name, Message: strings.TrimSpace(fmt.Sprintf("%s: %s", name, ve[name]))})
		}
	} else if err != nil {
		fields = append(fields, problem.Field{Pointer: prefix, Message: err.Error()})
	}
	if v := e.SpecVersion(); v != "1.0" && v != "" {
		fields = append(fields, problem.Field{Pointer: prefix + "/specversion", Message: fmt.Sprintf("specversion %s: COP takes CloudEvents 1.0", v)})
	}
	for _, a := range [][2]string{{"id", e.ID()}, {"source", e.Source()}, {"type", e.Type()}, {"subject", e.Subject()}} {
		if strings.ContainsRune(a[1], 0) {
			fields = append(fields, problem.Field{Pointer: prefix + "/" + a[0], Message: a[0] + " holds a NUL character"})
		}
	}
	if strings.Contains(string(e.Data()), `\u0000`) {
		fields = append(fields, problem.Field{Pointer: prefix + "/data", Message: `data holds a NUL character (\u0000), which COP cannot keep`})
	}
	if isJSON(e.DataContentType()) && len(e.Data()) > 0 && !json.Valid(e.Data()) {
		fields = append(fields, problem.Field{Pointer: prefix + "/data", Message: fmt.Sprintf("data is not JSON, though datacontenttype is %s", e.DataContentType())})
	}
	if !isJSON(e.DataContentType()) {
		fields = append(fields, problem.Field{Pointer: prefix + "/datacontenttype",
			Message: fmt.Sprintf("datacontenttype %s: COP takes events whose data is JSON", e.DataContentType())})
	}
	if size := len(e.Data()) + len(e.ID()) + len(e.Source()) + len(e.Type()) + len(e.Subject()); size > MaxEventSize {
		fields = append(fields, problem.Field{Pointer: prefix + "/data", Message: fmt.Sprintf("the event is %d bytes; at most %d", size, MaxEventSize)})
	}
	return fields
}

// isJSON: no content type (JSON by the specification's default), or JSON.
func isJSON(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return ct == "" || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

// attributeOf points a read error at the attribute it names.
func attributeOf(err error, prefix string) []problem.Field {
	msg := describe(err)
	for _, name := range []string{"specversion", "id", "source", "type", "time", "dataschema", "datacontenttype", "subject", "data"} {
		if strings.HasPrefix(msg, name+":") || strings.Contains(msg, `"`+name+`"`) {
			return problem.At(prefix+"/"+name, msg)
		}
	}
	return problem.At(prefix, msg)
}

func describe(err error) string {
	msg := strings.TrimSpace(err.Error())
	if msg == "unknown Message encoding" {
		return "it is not a CloudEvent in structured, batch or binary mode"
	}
	return msg
}
