package ingest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

type nopIngester struct{}

func (nopIngester) Ingest(context.Context, []event.Event) error { return nil }

// discardWriter is a ResponseWriter that keeps nothing but the header map.
type discardWriter struct {
	hdr    http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.hdr }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkIngestNDJSON measures one POST of 1000 NDJSON events, as the Go
// client sends them, through ServeHTTP: reading, decoding, validation,
// decoration and enrichment.
func BenchmarkIngestNDJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&buf, `{"time":"2026-01-02T15:04:05.%06dZ","level":"info","message":"GET /api/orders/%d 200 in 12ms","group":"/app/billing","stream":"web.1","host":"web-7f9c","app":"billing","fields":{"request_id":"req-%d","user":"u%d","status":200,"duration_ms":12.5}}`+"\n", i, i, i, i%97)
	}
	body := buf.Bytes()
	h, err := New(Config{}, nopIngester{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://sluice.example/ingest", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	w := &discardWriter{hdr: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		req.Body = readCloser{rd}
		clear(w.hdr)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}
