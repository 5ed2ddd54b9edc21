package event

import "testing"

func BenchmarkMarshal(b *testing.B) {
	e := sampleEvent()
	buf := e.Marshal(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.Marshal(buf[:0])
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	e := sampleEvent()
	buf := e.Marshal(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var got Event
	for b.Loop() {
		if err := got.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := sampleEvent()
	buf := e.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendJSON(buf[:0])
	}
}
