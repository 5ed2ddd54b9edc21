package logfmt

import (
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

func BenchmarkLogfmtRouter(b *testing.B) {
	line := tableLines()[0]
	dst := make([]event.Field, 0, 32)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		var ok bool
		dst, ok = AppendFields(dst[:0], line)
		if !ok {
			b.Fatal("not logfmt")
		}
	}
}

func BenchmarkLogfmtValue(b *testing.B) {
	line := tableLines()[0]
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if v, ok := Value(line, "protocol"); !ok || v != "https" {
			b.Fatal("no protocol")
		}
	}
}
