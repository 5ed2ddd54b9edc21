package route

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
)

// target is a place in an event a transform reads or writes: one of the
// top-level attributes message, host, app, proc, msgid, group, stream and
// severity, or a field. "fields.KEY" and any other plain name mean the
// field KEY.
type target struct {
	attr targetAttr
	key  string // field key for targetField
}

type targetAttr uint8

const (
	targetField targetAttr = iota
	targetMessage
	targetHost
	targetApp
	targetProc
	targetMsgID
	targetGroup
	targetStream
	targetSeverity
)

func parseTarget(name string) (target, error) {
	if key, ok := strings.CutPrefix(name, "fields."); ok {
		if key == "" {
			return target{}, fmt.Errorf("field name %q has no key after \"fields.\"", name)
		}
		return target{key: key}, nil
	}
	switch name {
	case "":
		return target{}, fmt.Errorf("field name is empty; write a top-level name (message, host, app, proc, msgid, group, stream, severity) or a field key")
	case "message":
		return target{attr: targetMessage}, nil
	case "host":
		return target{attr: targetHost}, nil
	case "app":
		return target{attr: targetApp}, nil
	case "proc":
		return target{attr: targetProc}, nil
	case "msgid":
		return target{attr: targetMsgID}, nil
	case "group":
		return target{attr: targetGroup}, nil
	case "stream":
		return target{attr: targetStream}, nil
	case "severity":
		return target{attr: targetSeverity}, nil
	}
	return target{key: name}, nil
}

// String returns the name as the configuration writes it.
func (t target) String() string {
	switch t.attr {
	case targetMessage:
		return "message"
	case targetHost:
		return "host"
	case targetApp:
		return "app"
	case targetProc:
		return "proc"
	case targetMsgID:
		return "msgid"
	case targetGroup:
		return "group"
	case targetStream:
		return "stream"
	case targetSeverity:
		return "severity"
	}
	return "fields." + t.key
}

// str returns the attribute string t names; nil for fields and severity.
func (t target) str(e *event.Event) *string {
	switch t.attr {
	case targetMessage:
		return &e.Message
	case targetHost:
		return &e.Host
	case targetApp:
		return &e.App
	case targetProc:
		return &e.Proc
	case targetMsgID:
		return &e.MsgID
	case targetGroup:
		return &e.Group
	case targetStream:
		return &e.Stream
	}
	return nil
}

// get returns t's value in e as a field (a top-level attribute as a
// String, the severity as its name) and whether e has it: an empty
// attribute and a missing field are absent.
func (t target) get(e *event.Event) (event.Field, bool) {
	switch t.attr {
	case targetField:
		return e.Field(t.key)
	case targetSeverity:
		return event.Field{Value: e.Severity.String(), Type: event.String}, true
	}
	s := *t.str(e)
	return event.Field{Value: s, Type: event.String}, s != ""
}

// set writes v to t in e. For the severity, v must name a severity (see
// parseSeverityValue); set reports false when it does not.
func (t target) set(e *event.Event, v event.Field) bool {
	switch t.attr {
	case targetField:
		v.Key = t.key
		e.SetField(v)
		return true
	case targetSeverity:
		sev, ok := parseSeverityValue(v.Value)
		if !ok {
			return false
		}
		e.Severity, e.SeveritySource = sev, event.SeverityField
		return true
	}
	*t.str(e) = v.Value
	return true
}

// clear removes t from e: every field named key, or the attribute's value.
// The severity cannot be cleared.
func (t target) clear(e *event.Event) {
	switch t.attr {
	case targetField:
		deleteFields(e, t.key)
	case targetSeverity:
	default:
		*t.str(e) = ""
	}
}

// deleteFields removes every field named key, keeping the others' order.
func deleteFields(e *event.Event, key string) {
	out := e.Fields[:0]
	for _, f := range e.Fields {
		if f.Key != key {
			out = append(out, f)
		}
	}
	clear(e.Fields[len(out):])
	e.Fields = out
}

// parseSeverityValue reads a severity as logs and configurations write it:
// a name in any case (see event.ParseSeverity: "ERROR", "warn",
// "fatal" → crit, "panic" → emerg, "trace" → debug) or a syslog severity
// number 0 to 7 ("5" → notice; "5.0" too).
func parseSeverityValue(v string) (event.Severity, bool) {
	v = strings.TrimSpace(v)
	if sev, ok := event.ParseSeverity(v); ok {
		return sev, true
	}
	if len(v) == 1 && '0' <= v[0] && v[0] <= '7' {
		return event.Severity(v[0] - '0'), true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 7 && f == float64(int(f)) {
		return event.Severity(int(f)), true
	}
	return 0, false
}
