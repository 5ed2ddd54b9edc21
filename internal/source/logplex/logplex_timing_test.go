package logplex

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
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

// BenchmarkHandler100Frames measures one drain POST of 100 real frames
// (router, app, platform and metrics lines) through ServeHTTP: reading,
// framing, parsing, enrichment, decoration, de-duplication bookkeeping.
func BenchmarkHandler100Frames(b *testing.B) {
	var sb strings.Builder
	for i := range 100 {
		sb.WriteString(frame(realLines[i%len(realLines)]))
	}
	body := []byte(sb.String())
	h, err := New(Config{Users: map[string][]string{"drain": {"s3cret"}}}, nopIngester{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://sluice.example/logs", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.RemoteAddr = "203.0.113.5:40000"
	req.Header = drainHeaders(100, "", docToken)
	req.Header.Set("X-Request-Id", "8601b555-6a9b-4ff1-a3b5-4b2fa8bc0a41")
	req.SetBasicAuth("drain", "s3cret")
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	w := &discardWriter{hdr: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rd.Reset(body)
		req.Body = readCloser{rd}
		req.Header["Logplex-Frame-Id"] = []string{strconv.Itoa(i)}
		clear(w.hdr)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
