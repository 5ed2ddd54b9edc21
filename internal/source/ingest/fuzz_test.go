package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// checkingIngester checks every event it is given can be encoded.
type checkingIngester struct{ t *testing.T }

func (c checkingIngester) Ingest(_ context.Context, events []event.Event) error {
	for i := range events {
		e := &events[i]
		if !e.Severity.Valid() || e.Group == "" || e.Stream == "" || e.Received.IsZero() {
			c.t.Fatalf("bad event %+v", e)
		}
		if !json.Valid(e.AppendJSON(nil)) {
			c.t.Fatalf("event encodes to invalid JSON: %+v", e)
		}
		var back event.Event
		if err := back.UnmarshalJSON(e.AppendJSON(nil)); err != nil {
			c.t.Fatalf("event does not read back: %v", err)
		}
	}
	return nil
}

// documentedStatus lists every status the package documentation names.
var documentedStatus = map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 408: true, 413: true, 415: true, 500: true, 503: true}

// FuzzDecode feeds arbitrary bodies through the decoders and ServeHTTP.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"message":"m","level":"warn","time":1700000000123,"fields":{"a":{"b":[1,"x"]}}}`), false)
	f.Add([]byte(`[{"message":"a"},{"message":"b","time":"2026-01-02T15:04:05Z"},7,"s",null]`), false)
	f.Add([]byte("{\"message\":\"a\\u00e9\\\"\"}\n{\"message\":\n{}\n"), false)
	f.Add([]byte("plain\r\nlines\n"), true)
	f.Add([]byte(`[{"message":"m","group":"/app/x","fields":{"k":"v","k":1e5}}]`), false)
	f.Fuzz(func(t *testing.T, body []byte, text bool) {
		var b *batch
		var he *httpError
		if text {
			b, he = decodeText(body, 50)
		} else {
			b, he = decodeJSON(body, 50)
		}
		if he == nil && (len(b.index) != len(b.events) || b.total() > 50 || len(b.rejected) > maxListedErrors) {
			t.Fatalf("inconsistent batch: %d events, %d indexes, %d rejected", len(b.events), len(b.index), b.nReject)
		}
		h, err := New(Config{MaxEvents: 50, MaxBodyBytes: 1 << 16}, checkingIngester{t}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/ingest/g?stream=s", bytes.NewReader(body))
		if text {
			r.Header.Set("Content-Type", "text/plain")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !documentedStatus[w.Code] {
			t.Fatalf("undocumented status %d: %q", w.Code, w.Body.String())
		}
		if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
			t.Fatalf("status %d: Content-Length %q, body of %d bytes", w.Code, cl, w.Body.Len())
		}
		var resp response
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer %q is not JSON: %v", w.Body.String(), err)
		}
		if he == nil && w.Code == 200 && resp.Accepted+resp.Rejected != b.total() {
			t.Fatalf("answer %q, decoded %d events", w.Body.String(), b.total())
		}
	})
}
