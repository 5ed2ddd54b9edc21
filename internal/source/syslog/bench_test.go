package syslog

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// countOnly counts events.
type countOnly struct{ n atomic.Int64 }

func (c *countOnly) Ingest(_ context.Context, events []event.Event) error {
	c.n.Add(int64(len(events)))
	return nil
}

// BenchmarkTCPIngest sends octet-counted RFC 5424 lines over loopback TCP
// into a no-op Ingester: framing, copying, parsing, enrichment, batching.
func BenchmarkTCPIngest(b *testing.B) {
	ing := &countOnly{}
	s := startSource(b, Config{Listen: []string{"tcp://127.0.0.1:0"}}, ing)
	const body = `<165>1 2024-01-02T03:04:05.123456Z web-1.example.com api 4242 req [meta@1 region="eu"] GET /v1/items 200 12ms user=42`
	frame := fmt.Sprintf("%d %s", len(body), body)
	const perChunk = 256
	chunk := make([]byte, 0, perChunk*len(frame))
	for range perChunk {
		chunk = append(chunk, frame...)
	}
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	sent := 0
	for sent < b.N {
		n := min(perChunk, b.N-sent)
		if _, err := c.Write(chunk[:n*len(frame)]); err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	for ing.n.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
