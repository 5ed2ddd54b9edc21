package route

import (
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// benchTransform applies a fresh transform of spec to the test events in
// turn; each event is reset to its original first (copying fields only,
// as a sink decoding from the log would), so every Apply sees real input.
func benchTransform(b *testing.B, spec Spec) {
	events := testEvents(b)
	tr := mustNew(b, spec)
	work := make([]event.Event, len(events))
	for i := range work {
		work[i].Fields = make([]event.Field, 0, 32)
	}
	now := testNow
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := &work[i]
		fields := append(e.Fields[:0], events[i].Fields...)
		*e = events[i]
		e.Fields = fields
		tr.Apply(e, now)
		now = now.Add(time.Millisecond)
		if i++; i == len(events) {
			i = 0
		}
	}
}

func BenchmarkTransform(b *testing.B) {
	for _, bc := range []struct {
		name string
		spec Spec
	}{
		{"parse-auto", Spec{Parse: &Parse{}}},
		{"parse-prefix", Spec{Parse: &Parse{Prefix: "body."}}},
		{"set-template", Spec{Set: &Set{Field: "route", Value: "{app}/{proc}/{fields.status}"}}},
		{"set-static", Spec{Set: &Set{Field: "team", Value: "payments"}}},
		{"set-expr", Spec{Set: &Set{Field: "slow", Expr: `fields.service_ms > 1000`}}},
		{"rename", Spec{Rename: &Rename{From: "request_id", To: "req"}}},
		{"delete", Spec{Delete: &Delete{Fields: []string{"pri_severity", "connect", "service"}}}},
		{"severity-from", Spec{Severity: &Severity{From: "level"}}},
		{"severity-expr", Spec{Severity: &Severity{Expr: `fields.status >= 500 ? "error" : nil`}}},
		{"drop", Spec{Drop: &Drop{Where: `severity == debug`}}},
		{"sample", Spec{Sample: &Sample{Rate: 10, Key: "{app} {proc}"}}},
		{"throttle", Spec{Throttle: &Throttle{Limit: 100, Window: time.Second, Key: "{proc}"}}},
		{"dedupe", Spec{Dedupe: &Dedupe{Window: time.Minute}}},
		{"redact-none", Spec{Redact: &Redact{Patterns: RedactPatterns()}}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchTransform(b, bc.spec) })
	}
}

// BenchmarkRedact masks a line with secrets of every kind.
func BenchmarkRedact(b *testing.B) {
	tr := mustNew(b, Spec{Redact: &Redact{Patterns: RedactPatterns()}})
	const line = `user=jane@example.com token="Bearer abcdefghijklmnop" key=AKIAIOSFODNN7EXAMPLE card=5555-5555-5555-4444 status=402`
	e := &event.Event{}
	b.ReportAllocs()
	for b.Loop() {
		e.Message = line
		tr.Apply(e, testNow)
	}
}

// BenchmarkDedupeRepeats: the same line over and over (dropped, counted).
func BenchmarkDedupeRepeats(b *testing.B) {
	tr := mustNew(b, Spec{Dedupe: &Dedupe{Window: time.Hour}})
	e := eventByID(b, "h.5")
	b.ReportAllocs()
	for b.Loop() {
		tr.Apply(e, testNow)
	}
}

// BenchmarkChain: a where rule and three transforms, as a subscription
// might have them.
func BenchmarkChain(b *testing.B) {
	events := testEvents(b)
	where, err := CompileWhere(`severity <= warning && proc != "router"`)
	if err != nil {
		b.Fatal(err)
	}
	c := NewChain(where, nil, []Transform{
		mustNew(b, Spec{Set: &Set{Field: "team", Value: "payments"}}),
		mustNew(b, Spec{Throttle: &Throttle{Limit: 1000, Window: time.Second, Key: "{app}"}}),
		mustNew(b, Spec{Redact: &Redact{Patterns: RedactPatterns()}}),
	})
	work := make([]event.Event, len(events))
	for i := range work {
		work[i].Fields = make([]event.Field, 0, 32)
	}
	now := testNow
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := &work[i]
		fields := append(e.Fields[:0], events[i].Fields...)
		*e = events[i]
		e.Fields = fields
		c.Process(e, now)
		now = now.Add(time.Millisecond)
		if i++; i == len(events) {
			i = 0
		}
	}
}
