package logplex

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// modalIngester succeeds or fails as the fuzz input says.
type modalIngester struct{ mode byte }

func (m *modalIngester) Ingest(_ context.Context, events []event.Event) error {
	for i := range events {
		_ = events[i].Marshal(nil) // touch every string
	}
	switch m.mode % 4 {
	case 1:
		return &pipeline.FullError{RetryAfter: time.Duration(m.mode) * time.Second}
	case 2:
		return pipeline.ErrClosed
	case 3:
		return errors.New("boom")
	}
	return nil
}

// documentedStatus lists every status the package documentation names.
var documentedStatus = map[int]bool{200: true, 400: true, 401: true, 405: true, 408: true, 413: true, 415: true, 500: true, 503: true}

func FuzzHandler(f *testing.F) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.Bytes()
	}
	f.Add([]byte(readmeBody), "application/logplex-1", "", "1", "F", "d.tok", "", byte(0), byte(0))
	f.Add([]byte(docExampleBody), "application/logplex-1", "", "10", docFrameID, docToken, "1.2.3.4, 10.0.0.1", byte(1), byte(0))
	f.Add([]byte(realBody()), "application/logplex-1; charset=utf-8", "", "", "", "", `"] [x`, byte(2), byte(0))
	f.Add(gz(realBody()), "application/logplex-1", "gzip", "4", "G", "d.x", "", byte(3), byte(0))
	f.Add([]byte("12 <13>1 - - -"), "application/logplex-1", "", "", "", "", "", byte(0), byte(0))
	f.Add([]byte("hello"), "text/plain", "br", "x", "", "", "", byte(0), byte(1))
	f.Add(gz("\x00\x00"), "application/logplex-1", "x-gzip", "-1", "", "", "", byte(0), byte(2))
	f.Fuzz(func(t *testing.T, body []byte, contentType, encoding, msgCount, frameID, token, xff string, mode, method byte) {
		ing := &modalIngester{mode: mode}
		h, err := New(Config{
			Users:          map[string][]string{"u": {"p"}},
			MaxBodyBytes:   1 << 16,
			MaxFrames:      1000,
			KeepRaw:        mode&4 != 0,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			DrainNames:     map[string]string{"d.tok": "app"},
			QueryParams:    LogIssQueryParams(),
			FieldParams:    []string{"team"},
			EnforceHTTPS:   mode&8 != 0,
		}, ing, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		methods := []string{http.MethodPost, http.MethodPost, http.MethodPost, http.MethodGet, http.MethodPut}
		r := httptest.NewRequest(methods[int(method)%len(methods)], "/logs?index=i&team=t", bytes.NewReader(body))
		r.RemoteAddr = "192.0.2.10:4000"
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("X-Forwarded-Proto", "https")
		if encoding != "" {
			r.Header.Set("Content-Encoding", encoding)
		}
		for k, v := range map[string]string{"Logplex-Msg-Count": msgCount, "Logplex-Frame-Id": frameID, "Logplex-Drain-Token": token, "X-Forwarded-For": xff, "X-Request-Id": xff} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		if method%7 != 6 {
			r.SetBasicAuth("u", "p")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !documentedStatus[w.Code] {
			t.Fatalf("undocumented status %d: %q", w.Code, w.Body.String())
		}
		if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
			t.Fatalf("status %d: Content-Length %q, body of %d bytes", w.Code, cl, w.Body.Len())
		}
	})
}
