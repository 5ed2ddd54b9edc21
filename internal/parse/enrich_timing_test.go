package parse

import (
	"os"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// BenchmarkLogplexBodyEnriched measures the whole path a drain body takes
// before the write-ahead log: framing, RFC 5424, Heroku/body/severity
// enrichment, for the 11-frame example body.
func BenchmarkLogplexBodyEnriched(b *testing.B) {
	body, err := os.ReadFile("../../examples/heroku-drain.logplex")
	if err != nil {
		b.Fatal(err)
	}
	s := string(body)
	var en Enricher
	var events []event.Event
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var res syslog.LogplexResult
		events, res = syslog.ParseLogplex(s, events[:0])
		if res.Frames != 11 {
			b.Fatalf("frames %d", res.Frames)
		}
		for i := range events {
			en.Enrich(&events[i])
		}
	}
}

// BenchmarkEnrichAppLine is the enrichment of a typical Heroku app line
// with no level marker: the common case on the hot path.
func BenchmarkEnrichAppLine(b *testing.B) {
	var en Enricher
	e := event.Event{App: "app", Proc: "web.1", Severity: event.Info, SeveritySource: event.SeverityPRI,
		Message: `Started GET "/users/42/edit" for 204.204.204.204 at 2024-05-01 12:00:01 +0000`}
	msg := e.Message
	b.ReportAllocs()
	for b.Loop() {
		e.Fields = e.Fields[:0]
		e.Severity, e.SeveritySource, e.Message = event.Info, event.SeverityPRI, msg
		en.Enrich(&e)
	}
}
