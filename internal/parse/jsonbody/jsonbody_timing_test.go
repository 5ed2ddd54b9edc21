package jsonbody

import (
	"encoding/json"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// benchLine is a zap production line as a Heroku app writes it.
const benchLine = `{"level":"error","ts":1714564800.123,"caller":"api/handler.go:88","msg":"request failed","method":"GET","path":"/v1/users/42","status":502,"duration":0.0123,"retry":false,"tags":["db","upstream"],"err":{"op":"dial","net":"tcp"}}`

func BenchmarkJSONBodyFields(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	dst := make([]event.Field, 0, 16)
	for b.Loop() {
		var err error
		if dst, err = AppendFields(dst[:0], benchLine); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONBodyFieldsStdlib is the encoding/json baseline for
// BenchmarkJSONBodyFields (which also keeps order and types values).
func BenchmarkJSONBodyFieldsStdlib(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	in := []byte(benchLine)
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(in, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONBodyLookup(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		if _, ok := Lookup(benchLine, "status"); !ok {
			b.Fatal("not found")
		}
	}
}
