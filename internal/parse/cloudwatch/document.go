package cloudwatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// The message types a CloudWatch Logs subscription emits.
const (
	// DataMessage marks a document that carries log events.
	DataMessage = "DATA_MESSAGE"
	// ControlMessage marks a document CloudWatch Logs sends to check that
	// the destination is reachable; it carries no log data.
	ControlMessage = "CONTROL_MESSAGE"
)

// Document is one CloudWatch Logs subscription document: the JSON a
// subscription filter emits (gzip'd) to Lambda, Kinesis or Firehose.
type Document struct {
	MessageType         string     `json:"messageType"`
	Owner               string     `json:"owner"`
	LogGroup            string     `json:"logGroup"`
	LogStream           string     `json:"logStream"`
	SubscriptionFilters []string   `json:"subscriptionFilters"`
	PolicyLevel         string     `json:"policyLevel,omitempty"`
	LogEvents           []LogEvent `json:"logEvents"`
}

// LogEvent is one log event inside a Document.
type LogEvent struct {
	// ID is CloudWatch's unique event id (a long decimal string).
	ID string `json:"id"`
	// Timestamp is the event time in milliseconds since the Unix epoch.
	Timestamp int64 `json:"timestamp"`
	// Message is the log line as it was ingested, usually with a trailing
	// newline for Lambda.
	Message string `json:"message"`
	// ExtractedFields are the fields a space-delimited filter pattern
	// (e.g. "[version, account_id, ...]") extracted, in input order.
	ExtractedFields ExtractedFields `json:"extractedFields,omitempty"`
}

// IsControl reports whether d is a CONTROL_MESSAGE (a health check that
// carries no log data).
func (d *Document) IsControl() bool { return d.MessageType == ControlMessage }

// AppendEvents appends one event per log event of d to dst and returns the
// extended slice; a control message appends nothing. Events spare in dst's
// capacity are reused, keeping the capacity of their Fields.
//
// Each event gets Time (the log event's timestamp, UTC), Received, Message
// (with one trailing "\n" removed), Group (log group), Stream (log stream), ID
// (the log event id), Severity info with SeveritySource unset, and the
// fields owner, subscription_filters (comma-joined, when there are any),
// policy_level (when present) and extracted.<name> for each extracted field.
// The events share strings with d.
func (d *Document) AppendEvents(dst []event.Event, received time.Time) []event.Event {
	if d.IsControl() || len(d.LogEvents) == 0 {
		return dst
	}
	filters := strings.Join(d.SubscriptionFilters, ",")
	base := 0
	if d.Owner != "" {
		base++
	}
	if filters != "" {
		base++
	}
	if d.PolicyLevel != "" {
		base++
	}
	var arena []event.Field
	for i := range d.LogEvents {
		le := &d.LogEvents[i]
		var e *event.Event
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
			e = &dst[len(dst)-1]
			e.Reset()
		} else {
			dst = append(dst, event.Event{})
			e = &dst[len(dst)-1]
		}
		need := base + len(le.ExtractedFields)
		if cap(e.Fields) < need {
			if len(arena) < need {
				// One allocation for the fields of all remaining events.
				total := 0
				for j := i; j < len(d.LogEvents); j++ {
					total += base + len(d.LogEvents[j].ExtractedFields)
				}
				arena = make([]event.Field, total)
			}
			e.Fields = arena[:0:need]
			arena = arena[need:]
		}
		e.Time = time.UnixMilli(le.Timestamp).UTC()
		e.Received = received
		e.Severity = event.Info
		e.SeveritySource = event.SeverityUnset
		e.Message = strings.TrimSuffix(le.Message, "\n")
		e.Group = d.LogGroup
		e.Stream = d.LogStream
		e.ID = le.ID
		if d.Owner != "" {
			e.Fields = append(e.Fields, event.Field{Key: "owner", Value: d.Owner})
		}
		if filters != "" {
			e.Fields = append(e.Fields, event.Field{Key: "subscription_filters", Value: filters})
		}
		if d.PolicyLevel != "" {
			e.Fields = append(e.Fields, event.Field{Key: "policy_level", Value: d.PolicyLevel})
		}
		for _, f := range le.ExtractedFields {
			f.Key = "extracted." + f.Key
			e.Fields = append(e.Fields, f)
		}
	}
	return dst
}

// ExtractedFields are the extracted fields of a log event, in the order the
// JSON object lists them (duplicate names are kept). Key is the field name;
// string values have type event.String, numbers event.Number, true/false
// event.Bool, and null, objects and arrays event.JSON (compacted).
type ExtractedFields []event.Field

// UnmarshalJSON reads a JSON object (or null) into f, keeping key order.
func (f *ExtractedFields) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		*f = nil
		return nil
	}
	if len(data) == 0 || data[0] != '{' {
		return &fieldError{"logEvents.extractedFields: want object, got " + jsonKind(data)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return &fieldError{"logEvents.extractedFields: " + describeJSONError(err, 0)}
	}
	out := (*f)[:0]
	if out == nil {
		out = ExtractedFields{} // {} is not null
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return &fieldError{"logEvents.extractedFields: " + describeJSONError(err, 0)}
		}
		key, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &fieldError{"logEvents.extractedFields." + key + ": " + describeJSONError(err, 0)}
		}
		fld := event.Field{Key: key}
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return &fieldError{"logEvents.extractedFields." + key + ": " + describeJSONError(err, 0)}
			}
			fld.Value, fld.Type = s, event.String
		case 't', 'f':
			fld.Value, fld.Type = string(raw), event.Bool
		case 'n', '{', '[':
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return &fieldError{"logEvents.extractedFields." + key + ": " + describeJSONError(err, 0)}
			}
			fld.Value, fld.Type = b.String(), event.JSON
		default:
			fld.Value, fld.Type = string(raw), event.Number
		}
		out = append(out, fld)
	}
	*f = out
	return nil
}

// MarshalJSON writes f as a JSON object in order.
func (f ExtractedFields) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := []byte{'{'}
	for i, fld := range f {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(fld.Key)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = append(b, ':')
		switch fld.Type {
		case event.String:
			v, err := json.Marshal(fld.Value)
			if err != nil {
				return nil, err
			}
			b = append(b, v...)
		default:
			if !json.Valid([]byte(fld.Value)) {
				return nil, errors.New("cannot marshal extracted field " + fld.Key + ": value is not JSON")
			}
			b = append(b, fld.Value...)
		}
	}
	return append(b, '}'), nil
}

// fieldError is an error about one field of a document, already worded for
// people (no Go type names).
type fieldError struct{ reason string }

func (e *fieldError) Error() string { return e.reason }
