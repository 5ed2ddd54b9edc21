package file

import (
	"path/filepath"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// BenchmarkWrite writes batches of 1000 real Heroku events (the drain in
// testdata, repeated) to files per app and day, as the default archive
// template does, in each format and sync mode.
func BenchmarkWrite(b *testing.B) {
	evs := drainEvents(b)
	batch := make([]event.Event, 1000)
	for i := range batch {
		batch[i] = evs[i%len(evs)]
	}
	for _, format := range []Format{FormatNDJSON, FormatRaw} {
		for _, sync := range []SyncMode{SyncNever, SyncBatch} {
			b.Run(string(format)+"/"+string(sync), func(b *testing.B) {
				s, err := New(Config{Path: filepath.Join(b.TempDir(), "{app}/{date}.ndjson"), Format: format, Sync: sync, Logger: quiet()})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				bytes := 0
				for i := range batch {
					bytes += len(s.appendLine(nil, &batch[i]))
				}
				b.SetBytes(int64(bytes))
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if err := s.Write(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(n*len(batch))/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
