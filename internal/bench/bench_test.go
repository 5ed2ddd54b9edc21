package bench

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// TestRunSendsValidLogplex checks with a real HTTP server that every body
// is valid Logplex with the headers Logplex sends, and that the counts in
// the result match what the server saw.
func TestRunSendsValidLogplex(t *testing.T) {
	var frames, requests, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nth := requests.Add(1)
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				bad.Add(1)
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		events, res := syslog.ParseLogplex(string(b), nil)
		n, _ := strconv.Atoi(r.Header.Get("Logplex-Msg-Count"))
		u, p, _ := r.BasicAuth()
		if res.Malformed != 0 || res.FramingError != nil || n != len(events) || r.Header.Get("Content-Type") != "application/logplex-1" ||
			len(r.Header.Get("Logplex-Frame-Id")) != 32 || r.Header.Get("Logplex-Drain-Token") == "" || u != "u" || p != "secret" {
			bad.Add(1)
			t.Errorf("bad request: %+v, count header %q, headers %v", res, r.Header.Get("Logplex-Msg-Count"), r.Header)
		}
		frames.Add(int64(len(events)))
		if nth%5 == 0 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			frames.Add(-int64(len(events)))
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	for _, gz := range []bool{false, true} {
		frames.Store(0)
		requests.Store(0)
		res, err := Run(context.Background(), Config{URL: srv.URL, Drains: 3, Frames: 50, Requests: 10, User: "u", Password: "secret", Gzip: gz})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 30 || res.Lines != frames.Load() || res.Errors["503"] != 6 || bad.Load() != 0 {
			t.Fatalf("gzip=%v: result %v; server saw %d frames in %d requests", gz, res, frames.Load(), requests.Load())
		}
		if res.P50 <= 0 || res.P99 < res.P50 {
			t.Fatalf("latency percentiles: %v", res)
		}
	}
}

func TestRunNeedsURL(t *testing.T) {
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("Run without URL succeeded")
	}
}

// TestReceiverCountsFrames sends real octet-counted frames over TCP,
// including a connection that ends in the middle of a frame.
func TestReceiverCountsFrames(t *testing.T) {
	r, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	send := func(payload string) {
		c, err := net.Dial("tcp", r.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, payload)
		c.Close()
	}
	var all string
	for i := range 100 {
		msg := fmt.Sprintf("<190>1 - host app web.1 - line %d\n", i)
		all += fmt.Sprintf("%d %s", len(msg), msg)
	}
	send(all)
	send("20 <190>1 - host app") // cut off: counts as bad, not as a frame
	if !r.WaitFor(100, 5*time.Second) {
		t.Fatalf("received %d frames, want 100", r.Frames())
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Bad() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.Frames() != 100 || r.Bad() != 1 || r.Conns() != 2 {
		t.Fatalf("frames %d bad %d conns %d", r.Frames(), r.Bad(), r.Conns())
	}
}

// TestRunKeepsToRate: with Rate, the lines sent stay within the rate (plus
// one burst), however fast the target answers.
func TestRunKeepsToRate(t *testing.T) {
	var frames atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.Header.Get("Logplex-Msg-Count"))
		frames.Add(int64(n))
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	start := time.Now()
	res, err := Run(context.Background(), Config{URL: srv.URL, Drains: 3, Frames: 50, Duration: 500 * time.Millisecond, Rate: 2000})
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 lines/s for the time taken, plus the burst of 200, plus one
	// request a drain that may start at the deadline.
	limit := int64(2000*time.Since(start).Seconds()) + 200 + 3*50
	if res.Lines != frames.Load() || res.Lines > limit || res.Lines < 500 {
		t.Fatalf("sent %d lines (server saw %d) in %v at rate 2000: want 500..%d", res.Lines, frames.Load(), res.Elapsed, limit)
	}
}

// TestRestampedBodiesStayValid: bodies made ahead carry the time they are
// sent, and still parse.
func TestRestampedBodiesStayValid(t *testing.T) {
	g := newGenerator(1)
	body := append([]byte(nil), g.body(50)...)
	at := time.Date(2031, 2, 3, 4, 5, 6, 789012000, time.UTC)
	restamp(body, g.stamps, at)
	events, res := syslog.ParseLogplex(string(body), nil)
	if res.Malformed != 0 || res.FramingError != nil || len(events) != 50 {
		t.Fatalf("%d events, %+v", len(events), res)
	}
	for _, e := range events {
		if !e.Time.Equal(at) {
			t.Fatalf("event time %v, want %v: %s", e.Time, at, e.Message)
		}
	}
}
