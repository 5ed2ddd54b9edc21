package route

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
)

// testNow is the processing time tests start from.
var testNow = time.Date(2026, 11, 20, 10, 0, 10, 0, time.UTC)

// readEvents parses a testdata file with the real parser and enricher, as
// a source would, giving the events ids prefix.0, prefix.1, ...
func readEvents(t testing.TB, name, group, prefix string) []event.Event {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := parse.Reader{Group: group, IDPrefix: prefix, Now: func() time.Time { return testNow }}
	var events []event.Event
	res, err := rd.Read(f, func(e *event.Event) error {
		events = append(events, e.Clone())
		return nil
	})
	if err != nil || res.Malformed > 0 {
		t.Fatalf("cannot read %s: %v %v", name, err, res.Errors)
	}
	return events
}

// testEvents are the Heroku drain lines of testdata/heroku.logplex (ids
// h.0 to h.10: three router lines, app lines in prose, Ruby logger, JSON
// and logfmt, a platform line) and the Lambda lines of testdata/lambda.log
// (ids l.0 to l.5: START, a runtime INFO and ERROR line, END, REPORT, a
// JSON log line).
func testEvents(t testing.TB) []event.Event {
	t.Helper()
	events := readEvents(t, "heroku.logplex", "heroku/myapp", "h")
	return append(events, readEvents(t, "lambda.log", "/aws/lambda/orders", "l")...)
}

// eventByID returns a copy of the test event with the given id.
func eventByID(t testing.TB, id string) *event.Event {
	t.Helper()
	for _, e := range testEvents(t) {
		if e.ID == id {
			return &e
		}
	}
	t.Fatalf("no test event %s", id)
	return nil
}

// ids lists the ids of events, space-separated.
func ids(events []event.Event) string {
	var b strings.Builder
	for i, e := range events {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.ID)
	}
	return b.String()
}

// referenceMatch evaluates rule the plain way — expr-lang with a map
// environment built for the event — as the specification of what Match
// gives; ok is false when the rule does not compile or fails at run time.
func referenceMatch(rule string, e *event.Event) (match, ok bool) {
	fields := map[string]any{}
	for i := len(e.Fields) - 1; i >= 0; i-- {
		fields[e.Fields[i].Key] = fieldValue(e, e.Fields[i].Key)
	}
	env := map[string]any{
		"severity": int(e.Severity), "facility": e.Facility.String(), "host": e.Host, "app": e.App,
		"proc": e.Proc, "msgid": e.MsgID, "message": e.Message, "group": e.Group, "stream": e.Stream,
		"source": e.Source, "id": e.ID, "time": e.Time, "fields": fields,
		"has": func(k string) bool { _, ok := e.Field(k); return ok },
	}
	for _, n := range ruleNames() {
		if v, ok := severityConst(n); ok {
			env[n] = v
		}
	}
	out, err := expr.Eval(rule, env)
	if err != nil {
		return false, false
	}
	b, ok := out.(bool)
	return b, ok
}

// jsonEvent reads an event in sluice's JSON form.
func jsonEvent(t testing.TB, s string) *event.Event {
	t.Helper()
	var e event.Event
	if err := e.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatalf("bad test event %s: %v", s, err)
	}
	return &e
}

// eventJSON writes e in sluice's JSON form.
func eventJSON(e *event.Event) string { return string(e.AppendJSON(nil)) }

// mustNew builds a transform or fails the test.
func mustNew(t testing.TB, spec Spec) Transform {
	t.Helper()
	tr, err := New(spec)
	if err != nil {
		t.Fatalf("New(%s): %v", spec.Kind(), err)
	}
	return tr
}

// applyJSON applies spec to the event in JSON form and returns the result
// in JSON form ("dropped" when the transform drops it).
func applyJSON(t testing.TB, spec Spec, in string) string {
	t.Helper()
	e := jsonEvent(t, in)
	if !mustNew(t, spec).Apply(e, testNow) {
		return "dropped"
	}
	return eventJSON(e)
}
