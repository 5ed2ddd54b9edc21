package lambda

import (
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func benchEnrich(b *testing.B, msg string) {
	e := event.Event{Fields: make([]event.Field, 0, 32)}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		e.Reset()
		e.Message = msg
		if !Enrich(&e) {
			b.Fatal("not recognised")
		}
	}
}

func BenchmarkLambdaReport(b *testing.B) { benchEnrich(b, reportLine) }

func BenchmarkLambdaNode(b *testing.B) { benchEnrich(b, nodeInfo) }

func BenchmarkLambdaPython(b *testing.B) {
	benchEnrich(b, "[ERROR]\t2024-05-01T12:00:00.123Z\t"+rid+"\tSomething broke\n")
}

func BenchmarkLambdaJSONReport(b *testing.B) { benchEnrich(b, seedMessages()[11]) }
