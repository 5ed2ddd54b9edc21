package heroku

import (
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func benchEnrich(b *testing.B, app, proc, msg string) {
	e := event.Event{Fields: make([]event.Field, 0, 32)}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		e.Reset()
		e.Host, e.App, e.Proc, e.Message = "host", app, proc, msg
		if !Enrich(&e) {
			b.Fatal("not recognised")
		}
	}
}

func BenchmarkHerokuRouter(b *testing.B) {
	benchEnrich(b, "heroku", "router", routerLine)
}

func BenchmarkHerokuPlatform(b *testing.B) {
	benchEnrich(b, "heroku", "web.1", "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch")
}

func BenchmarkHerokuPostgresMetrics(b *testing.B) {
	benchEnrich(b, "app", "heroku-postgres", postgresMetrics)
}
