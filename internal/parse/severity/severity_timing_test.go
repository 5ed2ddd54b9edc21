package severity

import (
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func benchInfer(b *testing.B, line string, want event.Severity, wantOK bool) {
	b.Helper()
	if sev, _, ok := Infer(line); sev != want || ok != wantOK {
		b.Fatalf("Infer(%q) = %v, %v", line, sev, ok)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Infer(line)
	}
}

// BenchmarkInferPlain is a 120-byte Heroku app line without a level: the
// header scan stops at the first word, and the logfmt pass looks at every
// '='.
func BenchmarkInferPlain(b *testing.B) {
	benchInfer(b, `Started GET "/api/v1/users/42/orders?page=2&per_page=50&sort=desc" for 203.0.113.42 at 2024-05-01 12:00:00 +0000 (ok)`, 0, false)
}

// BenchmarkInferRails is Rails's request summary for a failed request.
func BenchmarkInferRails(b *testing.B) {
	benchInfer(b, `Completed 500 Internal Server Error in 12ms (Views: 1.2ms | ActiveRecord: 3.4ms | Allocations: 5678)`, event.Error, true)
}

// BenchmarkInferJSON has "level" as the third key, after 80 bytes.
func BenchmarkInferJSON(b *testing.B) {
	benchInfer(b, `{"time":"2024-05-01T12:00:00.123456789Z","msg":"request completed in 12ms for user 42","level":"WARN","status":200,"path":"/api/v1/users/42"}`, event.Warning, true)
}

func BenchmarkInferRuby(b *testing.B) {
	benchInfer(b, `E, [2024-05-01T12:00:00.123456 #12] ERROR -- : [8601b555-6a83-4c12-8269-97c8e32cdb22] ActiveRecord::StatementInvalid`, event.Error, true)
}

func BenchmarkInferLogfmt(b *testing.B) {
	benchInfer(b, `time="2024-05-01T12:00:00Z" level=error msg="cannot connect to database" err="dial tcp 10.0.0.5:5432: i/o timeout"`, event.Error, true)
}

// BenchmarkInferLogback is a Java line with the level after a timestamp and
// a thread name.
func BenchmarkInferLogback(b *testing.B) {
	benchInfer(b, `2024-05-01 12:00:00.123 [http-nio-8080-exec-1] WARN  c.x.api.UserController - slow request: 1234 ms`, event.Warning, true)
}

func BenchmarkApply(b *testing.B) {
	const line = `{"level":"error","ts":1714564800.123,"caller":"main.go:12","msg":"x"}`
	b.ReportAllocs()
	e := event.Event{Fields: make([]event.Field, 0, 4)}
	for b.Loop() {
		e.Message, e.Severity, e.SeveritySource, e.Fields = line, event.Info, event.SeverityPRI, e.Fields[:0]
		if !Apply(&e, Auto) {
			b.Fatal("not applied")
		}
	}
}
