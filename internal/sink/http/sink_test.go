package httpsink

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
)

func TestEncodings(t *testing.T) {
	events := loadEvents(t)
	var jsons []string
	var messages []string
	for i := range events {
		jsons = append(jsons, string(events[i].AppendJSON(nil)))
		messages = append(messages, events[i].Message)
	}
	f := func(cfg Config, batch []event.Event, wantMethod, wantType, wantBody string) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{})
		cfg.URL = ep.url()
		s := newSink(t, cfg)
		if err := s.Write(context.Background(), batch); err != nil {
			t.Fatalf("Write: %v", err)
		}
		reqs := ep.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		r := reqs[0]
		if r.Method != wantMethod || r.Path != "/receiver/v1/http/"+secretCode || r.Query != "" {
			t.Errorf("request %s %s?%s", r.Method, r.Path, r.Query)
		}
		if got := r.Header.Get("Content-Type"); got != wantType {
			t.Errorf("Content-Type = %q, want %q", got, wantType)
		}
		if got := r.Header.Values("Content-Encoding"); got != nil {
			t.Errorf("Content-Encoding = %q without gzip", got)
		}
		if got := r.Header.Get("User-Agent"); got != "sluice" {
			t.Errorf("User-Agent = %q", got)
		}
		if r.Decoded != wantBody {
			t.Errorf("body:\n%s", cmp.Diff(wantBody, r.Decoded))
		}
	}
	f(Config{}, events, "POST", "application/x-ndjson", ndjson(events))
	f(Config{Method: "put"}, events, "PUT", "application/x-ndjson", ndjson(events))
	f(Config{Encoding: EncodingJSON}, events, "POST", "application/json", "["+strings.Join(jsons, ",")+"]")
	f(Config{Encoding: EncodingJSON}, events[:1], "POST", "application/json", "["+jsons[0]+"]")
	f(Config{Encoding: EncodingText}, events, "POST", "text/plain; charset=utf-8", strings.Join(messages, "\n")+"\n")
	f(Config{Encoding: EncodingText, Headers: map[string]string{"content-type": "text/x-log"}}, events[:1], "POST", "text/x-log", messages[0]+"\n")
	f(Config{Encoding: EncodingText, Template: "{time} {severity} {app}/{proc}: {message}"}, []event.Event{events[2], events[6]},
		"POST", "text/plain; charset=utf-8",
		"2026-03-07T04:05:07.000Z error app/worker.2: RuntimeError: payment gateway timeout\n"+
			"  from app/jobs/charge_job.rb:41:in `perform'\n"+
			"  from sidekiq/processor.rb:202:in `execute_job'\n"+
			// No event time: {time} is the receive time.
			`2026-03-07T04:05:12.500Z info billing/: {"level":"info","msg":"invoice sent","invoice":"INV-2026-0042","amount":129.5,"currency":"€"}`+"\n")
	f(Config{Encoding: EncodingText, Template: "{message}|{fields.status}|%Y"},
		[]event.Event{{Message: "bad \xff utf-8", Fields: []event.Field{{Key: "status", Value: "503"}}}},
		"POST", "text/plain; charset=utf-8", "bad \uFFFD utf-8|503|0001\n")
	f(Config{Encoding: EncodingText}, []event.Event{{Message: "crlf\r\n"}, {Message: "lf\n\n"}, {Message: ""}},
		"POST", "text/plain; charset=utf-8", "crlf\nlf\n\n")
}

// The JSON encoding is one valid array whose elements are the events'
// JSON forms, which read back as the events.
func TestEncodingJSONReadsBack(t *testing.T) {
	events := loadEvents(t)
	ep := newEndpoint(t, endpointOpts{})
	s := newSink(t, Config{URL: ep.url(), Encoding: EncodingJSON})
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	var got []json.RawMessage
	if err := json.Unmarshal([]byte(ep.requests()[0].Decoded), &got); err != nil {
		t.Fatalf("body is not a JSON array: %v", err)
	}
	if len(got) != len(events) {
		t.Fatalf("%d elements, want %d", len(got), len(events))
	}
	for i, raw := range got {
		var e event.Event
		if err := e.UnmarshalJSON(raw); err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
		if string(e.AppendJSON(nil)) != string(events[i].AppendJSON(nil)) {
			t.Errorf("element %d = %s", i, raw)
		}
	}
}

func TestGzip(t *testing.T) {
	events := loadEvents(t)
	f := func(enc Encoding) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{})
		s := newSink(t, Config{URL: ep.url(), Gzip: true, Encoding: enc})
		if err := s.Write(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		r := ep.requests()[0]
		if got := r.Header.Get("Content-Encoding"); got != "gzip" {
			t.Errorf("Content-Encoding = %q", got)
		}
		if r.Header.Get("Content-Length") != fmt.Sprint(len(r.Body)) || r.Header.Get("Transfer-Encoding") != "" {
			t.Errorf("headers %v for %d bytes: want a Content-Length, not chunks", r.Header, len(r.Body))
		}
		if len(r.Body) >= len(r.Decoded) {
			t.Errorf("compressed %d bytes, uncompressed %d", len(r.Body), len(r.Decoded))
		}
		st := s.Stats()
		if st.Requests != 1 || st.Events != uint64(len(events)) || st.Bytes != uint64(len(r.Decoded)) || st.WireBytes != uint64(len(r.Body)) {
			t.Errorf("Stats = %+v", st)
		}
	}
	f(EncodingNDJSON)
	f(EncodingJSON)
	f(EncodingText)
}

func TestHeaderTemplatesSplitBatch(t *testing.T) {
	ev := loadEvents(t)
	evil := event.Event{Host: "evil\r\nX-Injected: 1", Group: "heroku/shop", Message: "injection attempt"}
	// shop, blog, shop, lambda, shop, shop(evil host)
	batch := []event.Event{ev[0], ev[3], ev[1], ev[4], ev[2], evil}
	ep := newEndpoint(t, endpointOpts{})
	s := newSink(t, Config{URL: ep.url(), Encoding: EncodingText, Headers: map[string]string{
		"X-Sumo-Category": "{group}",
		"x-sumo-host":     "{host}",
		"X-Missing":       "{fields.nope}",
		"X-Static":        "sluice ",
	}})
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	type req struct{ Category, Host, Static, Missing, Injected, Body string }
	var got []req
	for _, r := range ep.requests() {
		got = append(got, req{r.Header.Get("X-Sumo-Category"), r.Header.Get("X-Sumo-Host"), r.Header.Get("X-Static"),
			strings.Join(r.Header.Values("X-Missing"), "|"), r.Header.Get("X-Injected"), r.Decoded})
	}
	shopHost := "d.8f3e6c1a-5b4d-4a1e-9f3c-2a7b6c5d4e3f"
	want := []req{
		{"heroku/shop", shopHost, "sluice", "", "", ev[0].Message + "\n" + ev[1].Message + "\n" + ev[2].Message + "\n"},
		{"heroku/blog", "d.0c9d8e7f-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "sluice", "", "", ev[3].Message + "\n"},
		{"/aws/lambda/orders-fn", "", "sluice", "", "", ev[4].Message + "\n"},
		{"heroku/shop", "evil  X-Injected: 1", "sluice", "", "", "injection attempt\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if h := ep.requests()[2].Header; len(h.Values("X-Sumo-Host")) != 0 {
		t.Errorf("empty header sent: %q", h.Values("X-Sumo-Host"))
	}
}

func TestMaxBytesSplit(t *testing.T) {
	// Encoded sizes of testdata/events.ndjson (see TestEncodedSizes):
	// JSON form 675 415 502 379 662 391 377 bytes, messages 207 83 132 33
	// 142 95 95 bytes; each plus a newline (ndjson, text) or a comma and
	// brackets (json).
	events := loadEvents(t)
	// f checks that the requests hold the events in order, each body at
	// most maxBytes unless it holds one event, with the wanted number of
	// events per request.
	f := func(enc Encoding, gzip bool, maxBytes int, wantSizes ...int) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{})
		s := newSink(t, Config{URL: ep.url(), Encoding: enc, MaxBytes: maxBytes, Gzip: gzip})
		if err := s.Write(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		next := 0
		for i, r := range ep.requests() {
			n := 0
			switch enc {
			case EncodingJSON:
				var arr []json.RawMessage
				if err := json.Unmarshal([]byte(r.Decoded), &arr); err != nil {
					t.Fatalf("request %d: not a JSON array: %v", i, err)
				}
				for _, raw := range arr {
					if next >= len(events) || string(raw) != string(events[next].AppendJSON(nil)) {
						t.Fatalf("request %d: element %d is not event %d", i, n, next)
					}
					next++
					n++
				}
			case EncodingText:
				// Count events by their messages, not lines: a stack trace
				// spans lines.
				rest := r.Decoded
				for next < len(events) && strings.HasPrefix(rest, events[next].Message+"\n") {
					rest = rest[len(events[next].Message)+1:]
					next++
					n++
				}
				if rest != "" {
					t.Fatalf("request %d: unexpected %q", i, rest)
				}
			default:
				if !strings.HasPrefix(ndjson(events[next:]), r.Decoded) {
					t.Fatalf("request %d: body is not the next events", i)
				}
				n = strings.Count(r.Decoded, "\n")
				next += n
			}
			if len(r.Decoded) > maxBytes && n != 1 {
				t.Errorf("request %d: %d bytes for %d events, above max_bytes %d", i, len(r.Decoded), n, maxBytes)
			}
			sizes = append(sizes, n)
		}
		if next != len(events) {
			t.Errorf("%d events arrived, want %d", next, len(events))
		}
		if !slices.Equal(sizes, wantSizes) {
			t.Errorf("events per request = %v, want %v", sizes, wantSizes)
		}
	}
	f(EncodingNDJSON, false, 1<<20, 7)
	f(EncodingNDJSON, false, 1, 1, 1, 1, 1, 1, 1, 1) // each event alone, though larger
	f(EncodingNDJSON, true, 1, 1, 1, 1, 1, 1, 1, 1)
	f(EncodingNDJSON, false, 676+416+503, 3, 3, 1) // exactly full
	f(EncodingNDJSON, false, 676+416+503-1, 2, 3, 2)
	f(EncodingJSON, false, 1+675+1+415+1, 2, 2, 2, 1)
	f(EncodingJSON, false, 1+675+1+415+1-1, 1, 2, 2, 2)
	f(EncodingJSON, true, 1, 1, 1, 1, 1, 1, 1, 1)
	f(EncodingText, false, 208+84, 2, 2, 2, 1)
	f(EncodingText, true, 208+84-1, 1, 3, 2, 1)
}

// TestEncodedSizes pins the sizes TestMaxBytesSplit relies on.
func TestEncodedSizes(t *testing.T) {
	events := loadEvents(t)
	f := func(enc Encoding, want ...int) {
		t.Helper()
		en := encoder{enc: enc}
		en.line, _ = parseLine(DefaultTemplate)
		var got []int
		for i := range events {
			got = append(got, len(en.appendEvent(nil, &events[i])))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sizes = %v, want %v", enc, got, want)
		}
	}
	f(EncodingNDJSON, 675, 415, 502, 379, 662, 391, 377)
	f(EncodingJSON, 675, 415, 502, 379, 662, 391, 377)
	f(EncodingText, 207, 83, 132, 33, 142, 95, 95)
}

// Writes from several goroutines at once (sinkhelper's Workers) each
// deliver their batch whole, in order within their groups.
func TestConcurrentWrites(t *testing.T) {
	events := loadEvents(t)
	ep := newEndpoint(t, endpointOpts{})
	s := newSink(t, Config{URL: ep.url(), Encoding: EncodingText, Gzip: true, Headers: map[string]string{"X-Category": "{group}"}})
	const writers, rounds = 4, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			batch := make([]event.Event, len(events))
			for r := range rounds {
				for i := range events {
					batch[i] = events[i]
					batch[i].Message = fmt.Sprintf("w%d r%d e%d", w, r, i)
				}
				if err := s.Write(context.Background(), batch); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := map[string]int{}
	for _, r := range ep.requests() {
		last := map[string]int{} // "w r" → the last event index seen in this request
		for line := range strings.SplitSeq(strings.TrimSuffix(r.Decoded, "\n"), "\n") {
			got[line]++
			var w, rd, i int
			if _, err := fmt.Sscanf(line, "w%d r%d e%d", &w, &rd, &i); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			key := fmt.Sprint(w, rd)
			if prev, ok := last[key]; ok && prev >= i {
				t.Errorf("request %q: e%d after e%d", r.Decoded, i, prev)
			}
			last[key] = i
		}
	}
	if len(got) != writers*rounds*len(events) {
		t.Errorf("%d distinct lines arrived, want %d", len(got), writers*rounds*len(events))
	}
	for line, n := range got {
		if n != 1 {
			t.Errorf("%q arrived %d times", line, n)
		}
	}
	if st := s.Stats(); st.Events != uint64(writers*rounds*len(events)) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestClose(t *testing.T) {
	ep := newEndpoint(t, endpointOpts{})
	s := newSink(t, Config{URL: ep.url()})
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, nil); err != nil || len(ep.requests()) != 0 {
		t.Fatalf("empty Write = %v, %d requests", err, len(ep.requests()))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, loadEvents(t)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Write after Close = %v", err)
	}
	if err := s.Connect(ctx); err == nil {
		t.Error("Connect after Close = nil")
	}
}
