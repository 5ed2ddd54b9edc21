package elasticsearch

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
)

// The sink's errors carry Retry-After the way the helper reads it.
var (
	_ sinkhelper.RetryAfterError = (*retryError)(nil)
	_ sinkhelper.RetryAfterError = (*itemsRetryError)(nil)
)

// failedIndexes returns the batch indexes an ItemsError names, sorted, and
// how many of them are permanent.
func failedIndexes(t *testing.T, err error) (idx []int, permanent int) {
	t.Helper()
	var items *sink.ItemsError
	if !errors.As(err, &items) {
		t.Fatalf("error %v (%T) is not a *sink.ItemsError", err, err)
	}
	for _, f := range items.Failed {
		idx = append(idx, f.Index)
		if sink.IsPermanent(f.Err) {
			permanent++
		}
	}
	slices.Sort(idx)
	return idx, permanent
}

// itemErr returns the error an ItemsError gives for batch index i.
func itemErr(t *testing.T, err error, i int) error {
	t.Helper()
	var items *sink.ItemsError
	if !errors.As(err, &items) {
		t.Fatalf("error %v is not a *sink.ItemsError", err)
	}
	for _, f := range items.Failed {
		if f.Index == i {
			return f.Err
		}
	}
	t.Fatalf("event %d is not among the failed: %v", i, err)
	return nil
}

func TestWriteDocuments(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	s := newTestSink(t, Config{URLs: []string{srv.url()}, Index: "logs-{app}-%Y.%m.%d"})
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	events := loadEvents(t)
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("User-Agent") != "sluice" || r.Header.Get("Authorization") != "" {
		t.Errorf("headers %v", r.Header)
	}
	if r.Sent*2 > r.Encoded {
		t.Errorf("gzip'd body %d bytes for %d of NDJSON: expected at least 2:1", r.Sent, r.Encoded)
	}
	wantIndex := []string{
		"logs-heroku-2024.03.05", "logs-app-2024.03.05", "logs-_aws_lambda_checkout-2024.03.05",
		"logs-sshd-2024.03.05", "logs-billing-2024.03.05", "logs-web_app-2024.03.05",
	}
	if len(r.Docs) != len(events) {
		t.Fatalf("%d documents, want %d", len(r.Docs), len(events))
	}
	for i, d := range r.Docs {
		e := events[i]
		if d.Action != "index" || d.Index != wantIndex[i] || d.ID != e.ID {
			t.Errorf("doc %d: %s into %q id %q, want index into %q id %q", i, d.Action, d.Index, d.ID, wantIndex[i], e.ID)
		}
		ts := e.Time
		if ts.IsZero() {
			ts = e.Received
		}
		if d.Timestamp != ts.UTC().Format(event.TimeFormat) {
			t.Errorf("doc %d: @timestamp %s, want %s", i, d.Timestamp, ts.UTC().Format(event.TimeFormat))
		}
		if diff := cmp.Diff(e, d.Event); diff != "" {
			t.Errorf("doc %d is not the event (-want +got):\n%s", i, diff)
		}
	}
	st := s.Stats()
	if st.Requests != 1 || st.Indexed != uint64(len(events)) || st.BytesSent != uint64(r.Sent) || st.BytesEncoded != uint64(r.Encoded) || st.Rejected != 0 {
		t.Errorf("Stats = %+v", st)
	}
	if err := s.Write(context.Background(), nil); err != nil || len(srv.requests()) != 1 {
		t.Errorf("empty Write = %v and sent a request", err)
	}
}

func TestWriteReplaySameIDs(t *testing.T) {
	leakCheck(t)
	f := func(cfg Config, wantAction string) {
		t.Helper()
		srv := newESServer(t)
		cfg.URLs = []string{srv.url()}
		s := newTestSink(t, cfg)
		events := manyEvents(t, "replay", 50)
		events[7].ID = "" // the destination picks an id: a replay duplicates it
		for range 3 {
			if err := s.Write(context.Background(), events); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		if got, want := srv.count(), len(events)-1+3; got != want {
			t.Errorf("%s: %d documents stored after 3 deliveries, want %d", wantAction, got, want)
		}
		for _, r := range srv.requests() {
			for _, d := range r.Docs {
				if d.Action != wantAction {
					t.Fatalf("action %q, want %q", d.Action, wantAction)
				}
			}
		}
		st := s.Stats()
		if wantAction == "create" && (st.Duplicates != 2*49 || st.Indexed != 50+2) {
			t.Errorf("create: Stats = %+v, want 98 duplicates, 52 indexed", st)
		}
		if wantAction == "index" && (st.Duplicates != 0 || st.Indexed != 150) {
			t.Errorf("index: Stats = %+v, want 150 indexed", st)
		}
	}
	f(Config{DataStream: "logs-sluice-default"}, "create")
	f(Config{}, "index")
}

func TestWriteItemFailures(t *testing.T) {
	leakCheck(t)
	f := func(cfg Config, file string, n int, wantFailed []int, wantPermanent int, reasons map[int]string) {
		t.Helper()
		srv := newESServer(t)
		srv.respond = func(int, *bulkRequest) answer { return statusAnswer(t, 200, file) }
		cfg.URLs = []string{srv.url()}
		s := newTestSink(t, cfg)
		err := s.Write(context.Background(), manyEvents(t, "items", n))
		idx, permanent := failedIndexes(t, err)
		if !slices.Equal(idx, wantFailed) || permanent != wantPermanent {
			t.Errorf("%s: failed %v (%d permanent), want %v (%d)", file, idx, permanent, wantFailed, wantPermanent)
		}
		if sink.IsPermanent(err) {
			t.Errorf("the ItemsError itself is permanent: %v", err)
		}
		for i, want := range reasons {
			if got := itemErr(t, err, i).Error(); got != want {
				t.Errorf("%s: event %d\n got %s\nwant %s", file, i, got, want)
			}
		}
	}
	// Data stream (create): 201, 409 (delivered before), 429, 400, 503.
	f(Config{DataStream: "logs-sluice-default"}, "mixed-create.json", 5, []int{2, 3, 4}, 1, map[int]string{
		2: "cannot index event yet: 429 es_rejected_execution_exception: rejected execution of primary operation [shard_detail=[.ds-logs-sluice-default-2024.03.05-000001][0][C], shard_operation_bytes=2048, primary_operation_bytes=0, max_primary_bytes=0]",
		3: "cannot index event: 400 document_parsing_exception: [1:412] failed to parse field [fields.customer] of type [keyword] in document with id 'ingest-7f3a-12'. Preview of field's value: '{plan=pro, id=42}' (caused by illegal_state_exception: Can't get text on a START_OBJECT at 1:390)",
		4: "cannot index event yet: 503 unavailable_shards_exception: [.ds-logs-sluice-default-2024.03.05-000001][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[.ds-logs-sluice-default-2024.03.05-000001][0]] containing [5] requests]",
	})
	// The same answer to index actions: a 409 is not expected there.
	f(Config{}, "mixed-create.json", 5, []int{1, 2, 3, 4}, 2, map[int]string{
		1: "cannot index event: 409 version_conflict_engine_exception: [1700000000-1]: version conflict, document already exists (current version [1])",
	})
	f(Config{}, "filtered-errors.json", 3, []int{1}, 1, nil)
	// Elasticsearch 1.x answered with a string error: a 409 of unknown
	// type is a failure.
	f(Config{DataStream: "logs-x-y"}, "es1-string-error.json", 2, []int{0}, 1, nil)
}

func TestWriteWholeRequestErrors(t *testing.T) {
	leakCheck(t)
	f := func(cfg Config, a answer, permanent bool, after time.Duration, want ...string) {
		t.Helper()
		srv := newESServer(t)
		srv.respond = func(int, *bulkRequest) answer { return a }
		cfg.URLs = []string{srv.url()}
		s := newTestSink(t, cfg)
		err := s.Write(context.Background(), manyEvents(t, "whole", 3))
		if err == nil {
			t.Fatalf("%d: Write = nil", a.status)
		}
		var items *sink.ItemsError
		if errors.As(err, &items) {
			t.Errorf("%d: got an ItemsError %v, want the request's error", a.status, err)
		}
		if sink.IsPermanent(err) != permanent {
			t.Errorf("%d: permanent = %v, want %v: %v", a.status, !permanent, permanent, err)
		}
		var ra sinkhelper.RetryAfterError
		got := time.Duration(0)
		if errors.As(err, &ra) {
			got = ra.RetryAfter()
		}
		if got < after-time.Second || got > after+time.Second { // HTTP dates have whole seconds
			t.Errorf("%d: RetryAfter %v, want %v", a.status, got, after)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%d: error %q\nwant it to mention %q", a.status, err, w)
			}
		}
	}
	basic := Config{Username: "sluice", Password: "secret"}
	f(basic, statusAnswer(t, 401, "401-security.json"), true, 0, "401 Unauthorized", "security_exception: unable to authenticate user [sluice]", "check username and password")
	f(Config{APIKey: "id:key"}, statusAnswer(t, 401, "401-security.json"), true, 0, "check the api_key")
	f(Config{}, statusAnswer(t, 401, "401-security.json"), true, 0, "none are configured")
	f(basic, statusAnswer(t, 403, "403-security.json"), true, 0, "403 Forbidden", "is unauthorized for user [sluice]", `check that user "sluice" may write`, "create_doc")
	f(Config{}, statusAnswer(t, 403, "403-aws.json"), true, 0, "not authorized to perform: es:ESHttpPost", "access policy")
	f(Config{}, statusAnswer(t, 404, "404-no-handler.json"), true, 0, "404 Not Found", "no handler found", "check that the URL")
	f(Config{}, statusAnswer(t, 400, "", "Content-Type", "text/plain"), true, 0, "400 Bad Request (empty body)")
	f(Config{}, statusAnswer(t, 301, "", "Location", "https://es.example/_bulk"), true, 0, `redirects to "https://es.example/_bulk"`)
	f(Config{}, statusAnswer(t, 429, "429-rejected.json", "Retry-After", "7"), false, 7*time.Second, "429 Too Many Requests", "es_rejected_execution_exception")
	f(Config{}, statusAnswer(t, 429, "429-rejected.json"), false, 0, "coordinating operation")
	f(Config{}, statusAnswer(t, 503, "503-cluster-block.json", "Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat)), false, 89*time.Second, "cluster_block_exception")
	f(Config{}, statusAnswer(t, 502, "413-nginx.html"), false, 0, "502 Bad Gateway")
	f(Config{}, statusAnswer(t, 500, ""), false, 0, "500 Internal Server Error (empty body)")
	f(Config{}, statusAnswer(t, 408, ""), false, 0, "408")
	f(Config{}, statusAnswer(t, 200, "not-bulk.json"), false, 0, `cannot read the bulk response of http://127.0.0.1`, `no "errors" key`)
	f(Config{}, statusAnswer(t, 200, "mixed-create.json"), false, 0, "5 items answer 3 actions")
}

func TestWrite413Splits(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	const limit = 8 << 10 // the destination's limit on the NDJSON
	var mu sync.Mutex
	refused := 0
	srv.respond = func(_ int, r *bulkRequest) answer {
		if r.Encoded > limit {
			mu.Lock()
			refused++
			mu.Unlock()
			return statusAnswer(t, 413, "413-aws.json")
		}
		return answer{}
	}
	s := newTestSink(t, Config{URLs: []string{srv.url()}})
	events := manyEvents(t, "split", 100)
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if srv.count() != 100 {
		t.Fatalf("%d documents stored, want 100", srv.count())
	}
	st := s.Stats()
	if st.Splits == 0 || st.Splits != uint64(refused) || st.Indexed != 100 {
		t.Errorf("Stats = %+v, %d refused", st, refused)
	}
	// The order is kept: documents arrive in batch order.
	var ids []string
	for _, r := range srv.requests() {
		if r.Encoded <= limit {
			for _, d := range r.Docs {
				ids = append(ids, d.ID)
			}
		}
	}
	for i, id := range ids {
		if id != events[i].ID {
			t.Fatalf("document %d is %s, want %s", i, id, events[i].ID)
		}
	}
	// Later batches are sent small enough at once.
	before := refused
	if err := s.Write(context.Background(), manyEvents(t, "later", 100)); err != nil {
		t.Fatal(err)
	}
	if refused != before {
		t.Errorf("%d more requests refused with 413 after the limit was learnt", refused-before)
	}
}

func TestWrite413SingleEvent(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	srv.respond = func(_ int, r *bulkRequest) answer {
		for _, d := range r.Docs {
			if strings.HasPrefix(d.Event.Message, "HUGE") {
				return statusAnswer(t, 413, "413-nginx.html")
			}
		}
		return answer{}
	}
	s := newTestSink(t, Config{URLs: []string{srv.url()}})
	events := manyEvents(t, "huge", 10)
	events[6].Message = "HUGE " + strings.Repeat("x", 64<<10)
	err := s.Write(context.Background(), events)
	idx, permanent := failedIndexes(t, err)
	if !slices.Equal(idx, []int{6}) || permanent != 1 {
		t.Fatalf("failed %v (%d permanent), want [6] for good", idx, permanent)
	}
	if msg := itemErr(t, err, 6).Error(); !strings.Contains(msg, "as too large (413: body \"<html>") || !strings.Contains(msg, "http.max_content_length") {
		t.Errorf("reason %q", msg)
	}
	if srv.count() != 9 {
		t.Errorf("%d documents stored, want 9", srv.count())
	}
}

func TestWriteMaxBulkBytes(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	s := newTestSink(t, Config{URLs: []string{srv.url()}, MaxBulkBytes: 4096, DisableGzip: true})
	events := manyEvents(t, "chunk", 60)
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) < 5 {
		t.Errorf("%d requests for ~25 KB under 4 KB each", len(reqs))
	}
	n := 0
	for _, r := range reqs {
		if r.Encoded > 4096 && len(r.Docs) > 1 {
			t.Errorf("request of %d bytes with %d documents", r.Encoded, len(r.Docs))
		}
		if r.Header.Get("Content-Encoding") != "" || r.Sent != r.Encoded {
			t.Errorf("DisableGzip: Content-Encoding %q, %d bytes sent for %d", r.Header.Get("Content-Encoding"), r.Sent, r.Encoded)
		}
		for _, d := range r.Docs {
			if d.ID != events[n].ID {
				t.Fatalf("document %d is %s, want %s", n, d.ID, events[n].ID)
			}
			n++
		}
	}
	if n != 60 {
		t.Errorf("%d documents sent, want 60", n)
	}
}

func TestWriteLaterRequestFails(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	srv.respond = func(n int, _ *bulkRequest) answer {
		if n == 1 {
			return statusAnswer(t, 503, "503-cluster-block.json", "Retry-After", "3")
		}
		return answer{}
	}
	s := newTestSink(t, Config{URLs: []string{srv.url()}, MaxBulkBytes: 4096})
	events := manyEvents(t, "later", 60)
	err := s.Write(context.Background(), events)
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (none after the failed one)", len(reqs))
	}
	first := len(reqs[0].Docs)
	idx, permanent := failedIndexes(t, err)
	want := make([]int, 0, len(events)-first)
	for i := first; i < len(events); i++ {
		want = append(want, i)
	}
	if !slices.Equal(idx, want) || permanent != 0 {
		t.Errorf("failed %v (%d permanent), want %v", idx, permanent, want)
	}
	var ra sinkhelper.RetryAfterError
	if !errors.As(err, &ra) || ra.RetryAfter() != 3*time.Second {
		t.Errorf("error %v does not carry Retry-After 3s", err)
	}
	if !strings.Contains(itemErr(t, err, first).Error(), "503 Service Unavailable") {
		t.Errorf("reason %v", itemErr(t, err, first))
	}
}

func TestWriteIndexNameRefused(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	s := newTestSink(t, Config{URLs: []string{srv.url()}, Index: "{fields.team}-logs"})
	events := manyEvents(t, "name", 4)
	for i := range events {
		events[i].Fields = []event.Field{{Key: "team", Value: []string{"Ops", "_private", "Dev Team", ""}[i]}}
	}
	err := s.Write(context.Background(), events)
	idx, permanent := failedIndexes(t, err)
	if !slices.Equal(idx, []int{1, 3}) || permanent != 2 {
		t.Fatalf("failed %v (%d permanent), want [1 3] for good", idx, permanent)
	}
	if msg := itemErr(t, err, 1).Error(); msg != `cannot name the index for the event with template "{fields.team}-logs": the name _private-logs starts with _ (not allowed in index names)` {
		t.Errorf("reason %q", msg)
	}
	var names []string
	for _, d := range srv.requests()[0].Docs {
		names = append(names, d.Index)
	}
	if !slices.Equal(names, []string{"ops-logs", "dev_team-logs"}) {
		t.Errorf("indexes %q", names)
	}
	if st := s.Stats(); st.Local != 2 || st.Rejected != 2 || st.Indexed != 2 {
		t.Errorf("Stats = %+v", st)
	}
}

// deadURL returns an http:// URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestWriteFailover(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	dead := deadURL(t)
	s := newTestSink(t, Config{URLs: []string{dead, srv.url()}})
	for i := range 6 {
		if err := s.Write(context.Background(), manyEvents(t, fmt.Sprint("fo", i), 5)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if srv.count() != 30 {
		t.Errorf("%d documents, want 30", srv.count())
	}
	// The dead URL is tried once, then last (after the live one).
	if st := s.Stats(); st.ConnectErrors != 1 || st.Failovers != 1 || st.Requests != 7 {
		t.Errorf("Stats = %+v, want 1 connect error, 1 failover, 7 requests", st)
	}

	// Every URL refused: retryable, naming each.
	dead2 := deadURL(t)
	s2 := newTestSink(t, Config{URLs: []string{dead, dead2}})
	err := s2.Write(context.Background(), manyEvents(t, "none", 2))
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("Write = %v, want a retryable error", err)
	}
	for _, w := range []string{"cannot reach any of the 2 URLs", strings.TrimPrefix(dead, "http://"), strings.TrimPrefix(dead2, "http://"), "connection refused"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestWriteRoundRobin(t *testing.T) {
	leakCheck(t)
	a, b := newESServer(t), newESServer(t)
	s := newTestSink(t, Config{URLs: []string{a.url(), b.url()}})
	for i := range 6 {
		if err := s.Write(context.Background(), manyEvents(t, fmt.Sprint("rr", i), 2)); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.requests()) != 3 || len(b.requests()) != 3 {
		t.Errorf("requests %d and %d, want 3 each", len(a.requests()), len(b.requests()))
	}
}

func TestWriteTimeout(t *testing.T) {
	leakCheck(t)
	slow := newESServer(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes
	slow.respond = func(int, *bulkRequest) answer {
		<-release
		return answer{}
	}
	good := newESServer(t)

	s := newTestSink(t, Config{URLs: []string{slow.url()}, Timeout: 200 * time.Millisecond})
	err := s.Write(context.Background(), manyEvents(t, "slow", 3))
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("Write = %v, want a retryable timeout", err)
	}

	// With a second URL the batch goes there.
	s2 := newTestSink(t, Config{URLs: []string{slow.url(), good.url()}, Timeout: 200 * time.Millisecond})
	if err := s2.Write(context.Background(), manyEvents(t, "slow", 3)); err != nil {
		t.Fatal(err)
	}
	if good.count() != 3 {
		t.Errorf("%d documents on the second URL, want 3", good.count())
	}
}

func TestWriteContextCanceled(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes
	ctx, cancel := context.WithCancel(context.Background())
	srv.respond = func(int, *bulkRequest) answer {
		cancel() // while the request is under way; no answer until the end
		<-release
		return answer{}
	}
	s := newTestSink(t, Config{URLs: []string{srv.url(), srv.url()}})
	err := s.Write(ctx, manyEvents(t, "cancel", 3))
	if !errors.Is(err, context.Canceled) || sink.IsPermanent(err) {
		t.Fatalf("Write = %v, want context.Canceled, retryable", err)
	}
	if st := s.Stats(); st.Failovers != 0 {
		t.Errorf("a canceled request failed over: %+v", st)
	}
}

func TestWriteAuth(t *testing.T) {
	leakCheck(t)
	f := func(cfg Config, want string) {
		t.Helper()
		srv := newESServer(t)
		cfg.URLs = []string{srv.url() + "/prefix/"}
		s := newTestSink(t, cfg)
		if err := s.Write(context.Background(), manyEvents(t, "auth", 1)); err != nil {
			t.Fatal(err)
		}
		r := srv.requests()[0]
		if got := r.Header.Get("Authorization"); got != want {
			t.Errorf("Authorization %q, want %q", got, want)
		}
		if r.Path != "/prefix/_bulk" {
			t.Errorf("path %q, want /prefix/_bulk", r.Path)
		}
	}
	f(Config{}, "")
	f(Config{Username: "elastic", Password: "changeme"}, "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")
	f(Config{Username: "elastic"}, "Basic ZWxhc3RpYzo=")
	// The encoded key Elasticsearch returns, sent as is; id:api_key, encoded.
	f(Config{APIKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="}, "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
	f(Config{APIKey: "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"}, "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
}

func TestWriteTLS(t *testing.T) {
	leakCheck(t)
	es := newESServer(t) // its handler, served over TLS below
	tlsSrv := httptest.NewUnstartedServer(es.srv.Config.Handler)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := tlsSrv.Certificate()
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestSink(t, Config{URLs: []string{tlsSrv.URL}, CAFile: ca})
	if err := s.Write(context.Background(), manyEvents(t, "tls", 2)); err != nil {
		t.Fatal(err)
	}
	if es.count() != 2 {
		t.Errorf("%d documents, want 2", es.count())
	}
	// Without the CA the certificate is refused: retryable, it may be fixed
	// on the other side.
	s2 := newTestSink(t, Config{URLs: []string{tlsSrv.URL}})
	err := s2.Write(context.Background(), manyEvents(t, "tls", 2))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || sink.IsPermanent(err) {
		t.Errorf("Write without the CA = %v, want a retryable x509.UnknownAuthorityError", err)
	}
	s3 := newTestSink(t, Config{URLs: []string{tlsSrv.URL}, InsecureSkipVerify: true})
	if err := s3.Write(context.Background(), manyEvents(t, "tls3", 2)); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}
	if _, err := New(Config{URLs: []string{tlsSrv.URL}, CAFile: filepath.Join(t.TempDir(), "missing.pem")}, nil); err == nil || !strings.Contains(err.Error(), "cannot load CA file") {
		t.Errorf("New with a missing CA file = %v", err)
	}
}

func TestWriteConcurrent(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	s := newTestSink(t, Config{URLs: []string{srv.url(), srv.url()}, DataStream: "logs-sluice-default", MaxBulkBytes: 16 << 10})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := s.Write(context.Background(), manyEvents(t, fmt.Sprintf("c%d-%d", w, i), 40)); err != nil {
					t.Errorf("Write: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if srv.count() != 4*5*40 {
		t.Errorf("%d documents, want %d", srv.count(), 4*5*40)
	}
}

func TestWriteClosed(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	s := newTestSink(t, Config{URLs: []string{srv.url()}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), manyEvents(t, "closed", 1)); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if err := s.Connect(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("Connect after Close = %v", err)
	}
	if len(srv.requests()) != 0 {
		t.Error("a closed sink sent a request")
	}
}

func TestNewInvalid(t *testing.T) {
	if _, err := New(Config{URLs: []string{"localhost:9200"}}, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot create elasticsearch sink: cannot use url") {
		t.Errorf("New = %v", err)
	}
}

// TestWriteWithoutFilterPath: a compatible server that refuses the
// filter_path parameter gets the request again without it, and later ones
// without it from the start.
func TestWriteWithoutFilterPath(t *testing.T) {
	leakCheck(t)
	srv := newESServer(t)
	srv.noFilterPath = true
	s := newTestSink(t, Config{URLs: []string{srv.url()}, DataStream: "logs-a-b"})
	for i := range 2 {
		if err := s.Write(context.Background(), manyEvents(t, fmt.Sprint("nf", i), 5)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	if srv.count() != 10 {
		t.Errorf("%d documents, want 10", srv.count())
	}
	if st := s.Stats(); st.Requests != 3 || st.StatusErrors != 0 {
		t.Errorf("Stats = %+v, want 3 requests (one refused for filter_path)", st)
	}
	for _, r := range srv.requests() {
		if r.Query != "" {
			t.Errorf("query %q after filter_path was refused", r.Query)
		}
	}
}
