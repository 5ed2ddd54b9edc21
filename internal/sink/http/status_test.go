package httpsink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

// retryAfterError is sinkhelper.RetryAfterError.
type retryAfterError interface{ RetryAfter() time.Duration }

// checkNoSecret fails when s shows the URL's secret path.
func checkNoSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, secretCode) {
		t.Errorf("the secret URL shows in %q", s)
	}
}

func TestStatuses(t *testing.T) {
	events := loadEvents(t)[:3]
	long := strings.Repeat("x", 150) + "é" + strings.Repeat("y", 148) // é straddles byte 200
	f := func(rp reply, wantErr string, permanent bool, wantAfter time.Duration) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{replyFor: func(int, *recorded) reply { return rp }})
		s := newSink(t, Config{URL: ep.url()})
		err := s.Write(context.Background(), events)
		if len(ep.requests()) != 1 {
			t.Fatalf("%d requests, want 1", len(ep.requests()))
		}
		if wantErr == "" {
			if err != nil {
				t.Fatalf("Write = %v", err)
			}
			if st := s.Stats(); st.Events != 3 || st.FailedRequests != 0 {
				t.Errorf("Stats = %+v", st)
			}
			return
		}
		if err == nil {
			t.Fatalf("Write = nil, want %q", wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Write = %v, want it to contain %q", err, wantErr)
		}
		checkNoSecret(t, err.Error())
		var items *sink.ItemsError
		if errors.As(err, &items) {
			t.Errorf("one request failed: want its error, not %v", err)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != rp.status {
			t.Errorf("Write = %#v, want a *StatusError with status %d", err, rp.status)
		}
		if got := sink.IsPermanent(err); got != permanent {
			t.Errorf("IsPermanent = %v, want %v", got, permanent)
		}
		var ra retryAfterError
		if !errors.As(err, &ra) {
			t.Fatal("no RetryAfter")
		}
		// An HTTP-date has whole seconds: allow for the clock moving on.
		if got := ra.RetryAfter(); got > wantAfter || got < wantAfter-2*time.Second || (wantAfter == 0 && got != 0) {
			t.Errorf("RetryAfter = %v, want %v", got, wantAfter)
		}
		if st := s.Stats(); st.Events != 0 || st.FailedRequests != 1 || st.Requests != 1 {
			t.Errorf("Stats = %+v", st)
		}
	}
	f(reply{status: 200}, "", false, 0)
	f(reply{status: 202, body: "accepted"}, "", false, 0)
	f(reply{status: 204}, "", false, 0)
	f(reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: "You have temporarily exceeded your Sumo Logic quota. Please try again at a later time"},
		`HTTP 429 Too Many Requests: "You have temporarily exceeded your Sumo Logic quota. Please try again at a later time"; will retry after 7s as Retry-After asks`, false, 7*time.Second)
	f(reply{status: 429, header: map[string]string{"Retry-After": time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}},
		"HTTP 429 Too Many Requests; will retry after", false, 90*time.Second)
	f(reply{status: 503, header: map[string]string{"Retry-After": "120"}}, "HTTP 503 Service Unavailable; will retry after 2m0s", false, 2*time.Minute)
	f(reply{status: 503, header: map[string]string{"Retry-After": "86400"}}, "will retry after 10m0s", false, MaxRetryAfter)
	f(reply{status: 503, header: map[string]string{"Retry-After": "soon"}}, "HTTP 503 Service Unavailable; will retry", false, 0)
	f(reply{status: 500, body: "<html><body>\n<h1>Internal Server Error</h1>\n</body></html>"},
		`HTTP 500 Internal Server Error: "<html><body> <h1>Internal Server Error</h1> </body></html>"; will retry`, false, 0)
	f(reply{status: 504}, "HTTP 504 Gateway Timeout; will retry", false, 0)
	f(reply{status: 408, header: map[string]string{"Retry-After": "3"}}, "HTTP 408 Request Timeout; will retry after 3s", false, 3*time.Second)
	f(reply{status: 400, body: long}, `HTTP 400 Bad Request: "`+strings.Repeat("x", 150)+"é"+strings.Repeat("y", 48)+`"; check the encoding`, true, 0)
	f(reply{status: 401, header: map[string]string{"Retry-After": "5"}}, "HTTP 401 Unauthorized; check the credentials", true, 0)
	f(reply{status: 403}, "HTTP 403 Forbidden; check the credentials", true, 0)
	f(reply{status: 404, body: "Not Found"}, `HTTP 404 Not Found: "Not Found"; check the url`, true, 0)
	f(reply{status: 405}, "check the method", true, 0)
	f(reply{status: 413}, "HTTP 413 Request Entity Too Large; lower max_bytes", true, 0)
	f(reply{status: 422}, "HTTP 422 Unprocessable Entity; check the endpoint's configuration", true, 0)
	f(reply{status: 301, header: map[string]string{"Location": "https://collectors.eu.sumologic.com/receiver/v1/http/" + secretCode}},
		"HTTP 301 Moved Permanently; the endpoint redirects to https://collectors.eu.sumologic.com (not followed)", true, 0)
	f(reply{status: 307}, "HTTP 307 Temporary Redirect; the endpoint redirects (not followed)", true, 0)
}

// The excerpt quoted from a refusal is at most BodyExcerptBytes, without a
// rune cut in half.
func TestExcerpt(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := excerpt([]byte(in)); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("  {\"error\":\"bad\"}\n", `{"error":"bad"}`)
	f("a\x00b\x7fc\td", "a b c d")
	f("cut \xc3", "cut")
	f("cut \xe2\x82", "cut")
	f("whole €", "whole €")
	f("bad \xff utf-8", "bad \uFFFD utf-8")
}

func TestTimeout(t *testing.T) {
	ep := newEndpoint(t, endpointOpts{replyFor: func(int, *recorded) reply { return reply{hang: true} }})
	s := newSink(t, Config{URL: ep.url(), Timeout: 200 * time.Millisecond})
	start := time.Now()
	err := s.Write(context.Background(), loadEvents(t))
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("Write = %v, want a retryable error", err)
	}
	if !strings.Contains(err.Error(), "cannot deliver events to "+ep.srv.URL+": ") || !strings.Contains(err.Error(), "Client.Timeout exceeded") {
		t.Errorf("Write = %v", err)
	}
	checkNoSecret(t, err.Error())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Write took %v with a 200ms timeout", d)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep := newEndpoint(t, endpointOpts{replyFor: func(int, *recorded) reply {
		cancel()
		return reply{hang: true}
	}})
	s := newSink(t, Config{URL: ep.url()})
	err := s.Write(ctx, loadEvents(t))
	if !errors.Is(err, context.Canceled) || sink.IsPermanent(err) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	checkNoSecret(t, err.Error())
}

func TestConnectionRefused(t *testing.T) {
	u := closedURL(t)
	s := newSink(t, Config{URL: u})
	err := s.Write(context.Background(), loadEvents(t))
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("Write = %v, want a retryable error", err)
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.HasSuffix(err.Error(), "; will retry") {
		t.Errorf("Write = %v", err)
	}
	checkNoSecret(t, err.Error())
	if st := s.Stats(); st.Requests != 1 || st.FailedRequests != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestPartialSuccess splits a batch by header into three groups — shop
// (batch indexes 0 2 4), blog (1), lambda (3) — sent in that order, and
// fails some requests.
func TestPartialSuccess(t *testing.T) {
	ev := loadEvents(t)
	batch := []event.Event{ev[0], ev[3], ev[1], ev[4], ev[2]}
	// f: fails maps a request number to its reply; want describes the
	// result: "nil", "plain <status>" or "items i:kind ..." with kind
	// permanent, retry (the request failed) or unsent (not sent after a
	// failure), sorted by index.
	f := func(maxBytes int, fails map[int]reply, wantRequests int, want string) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{replyFor: func(n int, _ *recorded) reply { return fails[n] }})
		s := newSink(t, Config{URL: ep.url(), MaxBytes: maxBytes, Headers: map[string]string{"X-Category": "{group}"}})
		err := s.Write(context.Background(), batch)
		if n := len(ep.requests()); n != wantRequests {
			t.Errorf("%d requests, want %d", n, wantRequests)
		}
		var got string
		var items *sink.ItemsError
		var se *StatusError
		switch {
		case err == nil:
			got = "nil"
		case errors.As(err, &items):
			var parts []string
			failed := slices.Clone(items.Failed)
			slices.SortFunc(failed, func(a, b sink.ItemError) int { return a.Index - b.Index })
			for _, it := range failed {
				kind := "retry"
				switch {
				case sink.IsPermanent(it.Err):
					kind = "permanent"
				case strings.HasPrefix(it.Err.Error(), "not sent"):
					kind = "unsent"
				}
				parts = append(parts, fmt.Sprintf("%d:%s", it.Index, kind))
				checkNoSecret(t, it.Err.Error())
			}
			got = "items " + strings.Join(parts, " ")
		case errors.As(err, &se):
			got = fmt.Sprintf("plain %d", se.StatusCode)
		default:
			got = "other " + err.Error()
		}
		if got != want {
			t.Errorf("Write = %q (%v), want %q", got, err, want)
		}
		if err != nil {
			checkNoSecret(t, err.Error())
		}
	}
	bad := reply{status: 400, body: "bad"}
	busy := reply{status: 503, header: map[string]string{"Retry-After": "5"}}
	f(0, nil, 3, "nil")
	f(0, map[int]reply{1: bad}, 3, "items 1:permanent")
	f(0, map[int]reply{1: busy}, 2, "items 1:retry 3:unsent")
	f(0, map[int]reply{2: busy}, 3, "items 3:retry")
	f(0, map[int]reply{0: busy}, 1, "plain 503") // nothing delivered: retry it all
	f(0, map[int]reply{0: bad}, 3, "items 0:permanent 2:permanent 4:permanent")
	f(0, map[int]reply{0: bad, 1: bad, 2: bad}, 3, "items 0:permanent 1:permanent 2:permanent 3:permanent 4:permanent")
	f(0, map[int]reply{0: bad, 1: busy}, 2, "items 0:permanent 1:retry 2:permanent 3:unsent 4:permanent")
	// One event per request: shop 0, shop 2, shop 4, blog 1, lambda 3.
	f(1, map[int]reply{1: busy}, 2, "items 1:unsent 2:retry 3:unsent 4:unsent")
	f(1, map[int]reply{1: bad, 3: bad}, 5, "items 1:permanent 2:permanent")
	f(1, map[int]reply{0: bad}, 5, "items 0:permanent")
}

// The errors of events not sent after a failure carry that failure's
// Retry-After, and the failure is the returned error when nothing was
// delivered.
func TestPartialRetryAfter(t *testing.T) {
	ev := loadEvents(t)
	batch := []event.Event{ev[0], ev[3], ev[4]} // shop, blog, lambda
	ep := newEndpoint(t, endpointOpts{replyFor: func(n int, _ *recorded) reply {
		if n == 1 {
			return reply{status: 429, header: map[string]string{"Retry-After": "9"}}
		}
		return reply{}
	}})
	s := newSink(t, Config{URL: ep.url(), Headers: map[string]string{"X-Category": "{group}"}})
	err := s.Write(context.Background(), batch)
	var items *sink.ItemsError
	if !errors.As(err, &items) || len(items.Failed) != 2 {
		t.Fatalf("Write = %v", err)
	}
	for _, it := range items.Failed {
		var ra retryAfterError
		if !errors.As(it.Err, &ra) || ra.RetryAfter() != 9*time.Second {
			t.Errorf("event %d: %v has no Retry-After of 9s", it.Index, it.Err)
		}
	}
	if !strings.Contains(items.Error(), "2 events failed (0 for good)") {
		t.Errorf("ItemsError = %v", items)
	}
}

func TestSinglePermanentRequest(t *testing.T) {
	ep := newEndpoint(t, endpointOpts{replyFor: func(int, *recorded) reply { return reply{status: 400} }})
	s := newSink(t, Config{URL: ep.url(), Headers: map[string]string{"X-Category": "{group}"}})
	ev := loadEvents(t)
	err := s.Write(context.Background(), []event.Event{ev[0], ev[1], ev[2]}) // one group
	var items *sink.ItemsError
	if !sink.IsPermanent(err) || errors.As(err, &items) {
		t.Fatalf("Write = %v, want a permanent error", err)
	}
}
