package elasticsearch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkEncode encodes a batch of 1000 real-world events (the
// testdata ones, repeated) into a bulk body: NDJSON only, and gzip'd as
// sent.
func BenchmarkEncode(b *testing.B) {
	for _, gz := range []bool{false, true} {
		name := "ndjson"
		if gz {
			name = "ndjson+gzip"
		}
		b.Run(name, func(b *testing.B) {
			s, err := New(Config{URLs: []string{"http://localhost:9200"}, Index: "logs-{app}-%Y.%m.%d"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := manyEvents(b, "bench", 1000)
			enc := s.getEncoder()
			s.encode(enc, batch)
			b.SetBytes(int64(len(enc.buf)))
			b.ReportAllocs()
			for b.Loop() {
				s.encode(enc, batch)
				if gz {
					if _, err := enc.compress(enc.buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkWrite writes batches of 1000 events to a local _bulk endpoint
// that gunzips and parses every NDJSON line and answers success as
// Elasticsearch does with the sink's filter_path. Client and server share
// the machine.
func BenchmarkWrite(b *testing.B) {
	items := []byte(`{"errors":false,"items":[`)
	for i := range 1000 {
		if i > 0 {
			items = append(items, ',')
		}
		items = append(items, `{"index":{"status":201}}`...)
	}
	items = append(items, "]}"...)
	var zrs sync.Pool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, _ := zrs.Get().(*gzip.Reader)
		if zr == nil {
			zr = new(gzip.Reader)
		}
		defer zrs.Put(zr)
		if err := zr.Reset(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := 0
		for line := range bytes.Lines(body) {
			if !json.Valid(line) {
				http.Error(w, "bad line "+strconv.Itoa(n), http.StatusBadRequest)
				return
			}
			n++
		}
		if n != 2000 {
			http.Error(w, "want 2000 lines", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(items)
	}))
	defer srv.Close()
	s, err := New(Config{URLs: []string{srv.URL}, Index: "logs-{app}-%Y.%m.%d"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := manyEvents(b, "bench", 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "events/s")
	st := s.Stats()
	b.ReportMetric(float64(st.BytesEncoded)/float64(st.BytesSent), "gzip-ratio")
}
