package wal

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// benchAppend runs b.N Appends of batchSize records of recordSize bytes
// from appenders goroutines, with real fdatasync, and reports events/s.
func benchAppend(b *testing.B, appenders, batchSize, recordSize int) {
	l, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	recs := make([][]byte, batchSize)
	for i := range recs {
		recs[i] = payload(fmt.Sprintf("event %d", i), recordSize)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(batchSize * recordSize))
	b.ReportAllocs()
	b.ResetTimer()
	for range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, _, err := l.Append(context.Background(), recs); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N*batchSize)/float64(l.Stats().Commits), "events/commit")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(l.Stats().Commits), "µs/commit")
	b.ReportMetric(0, "ns/op") // per-batch time is meaningless with concurrent appenders
}

// BenchmarkAppend: 8 concurrent appenders, batches of 100 records of 200
// bytes, group committed with real fdatasync.
func BenchmarkAppend(b *testing.B) { benchAppend(b, 8, 100, 200) }

// BenchmarkAppendSingle: one appender, so one fdatasync per batch.
func BenchmarkAppendSingle(b *testing.B) { benchAppend(b, 1, 100, 200) }

// BenchmarkRead reads 200-byte records with a cursor, up to 1000 per Read.
func BenchmarkRead(b *testing.B) {
	l, err := Open(Options{Dir: b.TempDir(), NoSync: true, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const total = 500_000
	recs := make([][]byte, 1000)
	for i := range recs {
		recs[i] = payload(fmt.Sprintf("event %d", i), 200)
	}
	for range total / len(recs) {
		if _, _, err := l.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	c, err := l.OpenCursor("bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var dst []Record
	b.SetBytes(200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(dst) {
		dst, err = c.Read(ctx, dst[:0], 1000, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		if dst[len(dst)-1].Seq == total { // start over with a new cursor
			b.StopTimer()
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
			if err := l.DeleteCursor("bench"); err != nil {
				b.Fatal(err)
			}
			if c, err = l.OpenCursor("bench"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
