// Package event defines the one event model sluice uses from parse to sink,
// its compact binary encoding (stored in the write-ahead log) and its JSON
// form (used by every JSON output: the API, `sluice parse`, file and HTTP
// sinks).
package event

import "time"

// Event is one log line after parsing and enrichment.
//
// Strings in an Event produced by a parser usually share memory with the
// input they were parsed from; callers that keep an Event beyond the life of
// that input must copy it (Clone) or encode it (Marshal).
type Event struct {
	// Time is when the event happened, as the sender says. Zero when unknown.
	Time time.Time
	// Received is when sluice received the event.
	Received time.Time

	// Severity is the syslog severity, 0 (emerg) to 7 (debug).
	Severity Severity
	// SeveritySource says where Severity came from.
	SeveritySource SeveritySource
	// Facility is the syslog facility; FacilityNone when the input had none.
	Facility Facility

	Host    string
	App     string
	Proc    string
	MsgID   string
	Message string

	// Fields are structured data, parsed JSON/logfmt keys and derived
	// values (Lambda REPORT metrics, Heroku router keys), in input order.
	Fields []Field

	// Group and Stream say where the event belongs: heroku/<app> and web.1,
	// /aws/lambda/fn and its log stream, a syslog host and app.
	Group  string
	Stream string
	// Source names where the event came in: the source name, drain token,
	// access key id.
	Source string
	// ID is a stable identifier for de-duplication (Logplex frame id and
	// index, CloudWatch event id, Firehose request id and index). May be empty.
	ID string

	// Raw is the message exactly as it arrived (a syslog frame without its
	// length prefix), kept only where a sink passes frames through unchanged
	// (log-iss compatible forwarding); empty otherwise. It is stored in the
	// binary encoding but is not part of the JSON form.
	Raw string
}

// Reset clears e for reuse, keeping the capacity of Fields.
func (e *Event) Reset() {
	f := e.Fields[:0]
	*e = Event{Fields: f}
}

// Field returns the value of the first field named key.
func (e *Event) Field(key string) (Field, bool) {
	for _, f := range e.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// SetField replaces the first field named key, or appends one.
func (e *Event) SetField(f Field) {
	for i := range e.Fields {
		if e.Fields[i].Key == f.Key {
			e.Fields[i] = f
			return
		}
	}
	e.Fields = append(e.Fields, f)
}

// AddString appends a string field.
func (e *Event) AddString(key, value string) {
	e.Fields = append(e.Fields, Field{Key: key, Value: value, Type: String})
}

// AddNumber appends a numeric field; value must be a JSON number literal.
func (e *Event) AddNumber(key, value string) {
	e.Fields = append(e.Fields, Field{Key: key, Value: value, Type: Number})
}

// Clone returns a deep copy of e whose strings share no memory with the
// input e was parsed from.
func (e *Event) Clone() Event {
	c := *e
	c.Host = clone(e.Host)
	c.App = clone(e.App)
	c.Proc = clone(e.Proc)
	c.MsgID = clone(e.MsgID)
	c.Message = clone(e.Message)
	c.Group = clone(e.Group)
	c.Stream = clone(e.Stream)
	c.Source = clone(e.Source)
	c.ID = clone(e.ID)
	c.Raw = clone(e.Raw)
	if e.Fields != nil {
		c.Fields = make([]Field, len(e.Fields))
		for i, f := range e.Fields {
			c.Fields[i] = Field{Key: clone(f.Key), Value: clone(f.Value), Type: f.Type}
		}
	}
	return c
}

func clone(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

// FieldType says how a Field's Value is to be read.
type FieldType uint8

const (
	// String is a plain string value.
	String FieldType = iota
	// Number is a JSON number literal kept as text, so no precision is lost
	// (e.g. "12.5", "-3", "1e9").
	Number
	// Bool is "true" or "false".
	Bool
	// JSON is a raw JSON value: an object, an array or null.
	JSON
)

// Field is one key/value pair. Value is always text; Type says how to read it.
type Field struct {
	Key   string
	Value string
	Type  FieldType
}
