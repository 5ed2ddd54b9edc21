package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// benchEvents returns n events of one day, 1000 per batch, spread over
// the day in time order.
func benchEvents(b *testing.B, n int, first int) []event.Event {
	msgs := readMessages(b)
	evs := make([]event.Event, n)
	step := 24 * time.Hour / 2_100_000
	for j := range evs {
		i := first + j
		g := groups[i%len(groups)]
		tm := day0.Add(time.Duration(i) * step)
		evs[j] = event.Event{
			Time: tm, Received: tm, Severity: event.Severity(i % 8), Host: "host1", App: g.app,
			Proc: "web.1", Message: msgs[i%len(msgs)], Group: g.group, Stream: fmt.Sprintf("web.%d", i%3+1),
			Source: "bench", ID: benchID(i),
			Fields: []event.Field{{Key: "status", Value: fmt.Sprint(200 + (i%4)*100), Type: event.Number}},
		}
	}
	return evs
}

// benchID returns the ID of bench event i: like the IDs of Logplex drain
// frames ("FRAME-ID.INDEX"), a random prefix shared by a run of 100
// events, so that the unique index on IDs is written all over, as it is
// in use, not only at its end.
func benchID(i int) string {
	h := fnv.New64a()
	fmt.Fprint(h, i/100)
	return fmt.Sprintf("%016X%016X.%d", h.Sum64(), h.Sum64()*0x9E3779B97F4A7C15, i%100)
}

// BenchmarkIndex measures the index rate: batches of 1000 events (one
// transaction each) into a fresh store.
func BenchmarkIndex(b *testing.B) {
	s := openStore(b, b.TempDir(), nil)
	defer s.Close()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		evs := benchEvents(b, 1000, n)
		n += 1000
		b.StartTimer()
		if err := s.Write(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIndexDay measures the sustained index rate: a day of 2,000,000
// events written into a fresh store in batches of 1000 (the sink helper's
// default), while the full-text index grows and merges, which makes the
// later events of a day cost more than the first (compare BenchmarkIndex).
// events/s is the wall-clock rate of Write; cpu-µs/event is the CPU time
// of the whole process (the garbage collector's included) per event,
// which says more on a machine shared with other work. (Batches of 5000
// cost about the same per event.)
func BenchmarkIndexDay(b *testing.B) {
	const total, batch = 2_000_000, 1000
	var wall, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openStore(b, b.TempDir(), nil)
		for i := 0; i < total; i += batch {
			evs := benchEvents(b, batch, i)
			b.StartTimer()
			c0, t0 := cpuTime(), time.Now()
			if err := s.Write(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
			wall += time.Since(t0)
			cpu += cpuTime() - c0
			b.StopTimer()
		}
		s.Close()
		b.StartTimer()
	}
	n := float64(b.N) * total
	b.ReportMetric(n/wall.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
	}
}

// BenchmarkStore2M builds a store of 2,000,000 events of one day (once per
// run, in a temporary directory; about as long as 2M divided by the index
// rate), then measures searches and histograms over it.
func BenchmarkStore2M(b *testing.B) {
	const total = 2_000_000
	dir := filepath.Join(os.TempDir(), "sluice-store-bench-2m")
	if os.Getenv("SLUICE_BENCH_KEEP") == "" {
		defer os.RemoveAll(dir)
	}
	build := time.Now()
	s := openStore(b, dir, nil)
	defer s.Close()
	have, _ := s.Groups(context.Background())
	var stored int64
	for _, g := range have {
		stored += g.Counts.Total()
	}
	if stored < total {
		for i := int(stored); i < total; i += 1000 {
			if err := s.Write(context.Background(), benchEvents(b, 1000, i)); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("built a store of %d events in %v (%s)", total, time.Since(build).Round(time.Second), dir)
	}
	search := func(q string) func(b *testing.B) {
		return func(b *testing.B) {
			pq := query.MustParse(q)
			b.ReportAllocs()
			for b.Loop() {
				evs, _, err := s.Search(context.Background(), Request{Query: pq, Limit: 100})
				if err != nil || len(evs) != 100 {
					b.Fatalf("%d events, %v", len(evs), err)
				}
			}
		}
	}
	b.Run("newest100/term", search("timeout"))
	b.Run("newest100/phrase", search(`"connection refused"`))
	b.Run("newest100/prefix", search("time*"))
	b.Run("newest100/severity", search("severity:<=error"))
	b.Run("newest100/group-glob", search("group:/aws/lambda/* -severity:debug"))
	b.Run("newest100/fields", search("fields.status:>=500"))
	b.Run("newest100/all", search(""))
	histogram := func(q string) func(b *testing.B) {
		return func(b *testing.B) {
			pq := query.MustParse(q)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Histogram(context.Background(), pq, day0, day0.Add(24*time.Hour), 96); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("histogram/day", histogram(""))
	b.Run("histogram/day-severity-group", histogram("severity:<=warning group:heroku/*"))
	b.Run("histogram/day-term", histogram("timeout"))
}
