package sinkhelper

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/wal"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scriptedSink records what it is given and fails as its script says: the
// n-th call to Write returns script[n] (nil beyond the script).
type scriptedSink struct {
	mu       sync.Mutex
	script   []func(batch []event.Event) error
	calls    int
	got      []string // messages delivered, in delivery order
	connects int
}

func (s *scriptedSink) Connect(context.Context) error {
	s.mu.Lock()
	s.connects++
	s.mu.Unlock()
	return nil
}

func (s *scriptedSink) Write(_ context.Context, batch []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.calls < len(s.script) && s.script[s.calls] != nil {
		err = s.script[s.calls](batch)
	}
	s.calls++
	n := len(batch)
	var p *sink.PartialError
	switch {
	case errors.As(err, &p):
		n = p.Delivered
	case err != nil:
		n = 0
	}
	for _, e := range batch[:n] {
		s.got = append(s.got, strings.Clone(e.Message)) // strings are reused after Write
	}
	return err
}

func (s *scriptedSink) Close() error { return nil }

func (s *scriptedSink) delivered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// openLog makes a real write-ahead log holding n events "m0".."m<n-1>".
func openLog(t *testing.T, n int) (*wal.Log, *wal.Cursor) {
	t.Helper()
	l, err := wal.Open(wal.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var recs [][]byte
	for i := range n {
		e := event.Event{Severity: event.Info, Message: fmt.Sprintf("m%d", i)}
		recs = append(recs, e.Marshal(nil))
	}
	if n > 0 {
		if _, _, err := l.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := l.OpenCursor("sub")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cur.Close() })
	return l, cur
}

// runUntil runs the helper until cond holds or 10 s pass.
func runUntil(t *testing.T, cur Cursor, s sink.Sink, cfg Config, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cur, s, cfg) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func seq(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%d", i)
	}
	return out
}

func TestDeliversInBatchesAndAcks(t *testing.T) {
	_, cur := openLog(t, 2500)
	s := &scriptedSink{}
	runUntil(t, cur, s, Config{Name: "sub", MaxEvents: 1000, MaxAge: 10 * time.Millisecond}, func() bool { return cur.Acked() == 2500 })
	if got := s.delivered(); fmt.Sprint(got) != fmt.Sprint(seq(2500)) {
		t.Fatalf("delivered %d events out of order or incomplete", len(got))
	}
	if s.calls != 3 {
		t.Fatalf("%d writes for 2500 events at 1000 a batch, want 3", s.calls)
	}
}

func TestRetriesAndResumesAfterPartialDelivery(t *testing.T) {
	_, cur := openLog(t, 10)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	s := &scriptedSink{script: []func([]event.Event) error{
		func([]event.Event) error { return errors.New("connection refused") },
		func([]event.Event) error { return &sink.PartialError{Delivered: 4, Err: errors.New("reset")} },
	}}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: time.Millisecond, Metrics: m}, func() bool { return cur.Acked() == 10 })
	if got := s.delivered(); fmt.Sprint(got) != fmt.Sprint(seq(10)) {
		t.Fatalf("delivered %v: want every event exactly once, in order", got)
	}
	if s.connects < 3 {
		t.Fatalf("%d connects: want a reconnect after each failure", s.connects)
	}
	if got := counterValue(t, m.Retried.WithLabelValues("sub")); got != 16 {
		t.Fatalf("retried metric %v, want 10 + 6", got)
	}
	if got := counterValue(t, m.Delivered.WithLabelValues("sub")); got != 10 {
		t.Fatalf("delivered metric %v, want 10", got)
	}
}

type retryAfter struct{ d time.Duration }

func (r retryAfter) Error() string             { return "429 too many requests" }
func (r retryAfter) RetryAfter() time.Duration { return r.d }

func TestHonoursRetryAfter(t *testing.T) {
	_, cur := openLog(t, 1)
	var times []time.Time
	s := &scriptedSink{script: []func([]event.Event) error{
		func([]event.Event) error {
			times = append(times, time.Now())
			return retryAfter{300 * time.Millisecond}
		},
		func([]event.Event) error { times = append(times, time.Now()); return nil },
	}}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: time.Millisecond}, func() bool { return cur.Acked() == 1 })
	if gap := times[1].Sub(times[0]); gap < 300*time.Millisecond {
		t.Fatalf("retried after %s, before the sink's Retry-After of 300ms", gap)
	}
}

func TestPermanentErrorsGoToDeadLetters(t *testing.T) {
	_, cur := openLog(t, 5)
	dir := t.TempDir()
	s := &scriptedSink{script: []func([]event.Event) error{
		func([]event.Event) error {
			return &sink.PartialError{Delivered: 2, Err: sink.Permanent(errors.New("400 mapper_parsing_exception"))}
		},
	}}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, DeadLetter: &DeadLetterDir{Dir: dir}}, func() bool { return cur.Acked() == 5 })
	if got := s.delivered(); fmt.Sprint(got) != "[m0 m1]" {
		t.Fatalf("delivered %v", got)
	}
	f, err := os.Open(filepath.Join(dir, "sub.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var dead []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Error string         `json:"error"`
			Event map[string]any `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Error != "400 mapper_parsing_exception" {
			t.Fatalf("dead letter %s: %v", sc.Text(), err)
		}
		dead = append(dead, rec.Event["message"].(string))
	}
	if fmt.Sprint(dead) != "[m2 m3 m4]" {
		t.Fatalf("dead letters %v, want the 3 refused events", dead)
	}
}

// TestAcksInOrderWithWorkers: with several batches in flight, a slow early
// batch holds the cursor back until it is done, so a crash can only replay,
// never skip.
func TestAcksInOrderWithWorkers(t *testing.T) {
	_, cur := openLog(t, 30)
	release := make(chan struct{})
	var once sync.Once
	s := &slowFirst{release: release}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cur, s, Config{Name: "sub", MaxEvents: 10, MaxAge: time.Millisecond, Workers: 3})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if a := cur.Acked(); a != 0 {
		t.Fatalf("acked %d while the first batch is still in flight", a)
	}
	once.Do(func() { close(release) })
	for cur.Acked() != 30 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if cur.Acked() != 30 {
		t.Fatalf("acked %d, want 30", cur.Acked())
	}
}

type slowFirst struct {
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (s *slowFirst) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *slowFirst) Connect(context.Context) error { return nil }
func (s *slowFirst) Close() error                  { return nil }
func (s *slowFirst) Write(ctx context.Context, batch []event.Event) error {
	s.mu.Lock()
	s.n++
	first := batch[0].Message == "m0"
	s.mu.Unlock()
	if first {
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// TestFilterAcksSkippedEvents: events a filter leaves out still move the
// cursor.
func TestFilterAcksSkippedEvents(t *testing.T) {
	_, cur := openLog(t, 6)
	s := &scriptedSink{}
	odd := func(e *event.Event) bool { return e.Message[len(e.Message)-1]%2 == 1 }
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, Filter: odd}, func() bool { return cur.Acked() == 6 })
	if got := s.delivered(); fmt.Sprint(got) != "[m1 m3 m5]" {
		t.Fatalf("delivered %v", got)
	}
}

// TestCancelDoesNotAck: a batch whose delivery is cut short by shutdown is
// not acknowledged, so it is delivered again after a restart.
func TestCancelDoesNotAck(t *testing.T) {
	_, cur := openLog(t, 3)
	s := &scriptedSink{script: []func([]event.Event) error{
		func([]event.Event) error { return errors.New("down") },
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: time.Hour})
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	if a := cur.Acked(); a != 0 {
		t.Fatalf("acked %d after shutdown during a retry wait", a)
	}
}

type failingDeadLetter struct{ calls int }

func (f *failingDeadLetter) Write(string, []event.Event, error) error {
	f.calls++
	return errors.New("no space left on device")
}

// TestDeadLetterFailureKeepsEvents: when the dead-letter file cannot be
// written, the refused events are not acknowledged: the log keeps them.
func TestDeadLetterFailureKeepsEvents(t *testing.T) {
	_, cur := openLog(t, 3)
	dl := &failingDeadLetter{}
	s := &scriptedSink{script: []func([]event.Event) error{
		func([]event.Event) error { return sink.Permanent(errors.New("400 bad request")) },
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: 5 * time.Millisecond, DeadLetter: dl})
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if cur.Acked() != 0 || dl.calls < 2 {
		t.Fatalf("acked %d with %d failed dead-letter writes; want 0 acked and retries", cur.Acked(), dl.calls)
	}
}

// blockingSink blocks its first Write until released.
type blockingSink struct {
	started, release chan struct{}
	once             sync.Once
}

func (b *blockingSink) Connect(context.Context) error { return nil }
func (b *blockingSink) Close() error                  { return nil }
func (b *blockingSink) Write(ctx context.Context, _ []event.Event) error {
	b.once.Do(func() { close(b.started) })
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStopGraceFinishesWriteInFlight: shutdown does not cut a write under
// way; it finishes within StopGrace and its batch is acknowledged.
func TestStopGraceFinishesWriteInFlight(t *testing.T) {
	_, cur := openLog(t, 5)
	b := &blockingSink{started: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cur, b, Config{Name: "sub", MaxAge: time.Millisecond, StopGrace: 5 * time.Second})
	}()
	<-b.started
	cancel()
	time.AfterFunc(100*time.Millisecond, func() { close(b.release) })
	<-done
	if cur.Acked() != 5 {
		t.Fatalf("acked %d: the write in flight at shutdown was cut off", cur.Acked())
	}
}

// itemsSink fails items as its first answer says, then delivers everything.
type itemsSink struct {
	mu     sync.Mutex
	first  bool
	failed []sink.ItemError
	got    []string
}

func (s *itemsSink) Connect(context.Context) error { return nil }
func (s *itemsSink) Close() error                  { return nil }
func (s *itemsSink) Write(_ context.Context, batch []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.first {
		s.first = true
		bad := map[int]bool{}
		for _, f := range s.failed {
			bad[f.Index] = true
		}
		for i, e := range batch {
			if !bad[i] {
				s.got = append(s.got, strings.Clone(e.Message)) // strings are reused after Write
			}
		}
		return &sink.ItemsError{Failed: s.failed}
	}
	for _, e := range batch {
		s.got = append(s.got, strings.Clone(e.Message)) // strings are reused after Write
	}
	return nil
}

type recordingDeadLetter struct {
	mu      sync.Mutex
	got     []string
	reasons []string
}

func (d *recordingDeadLetter) Write(_ string, events []event.Event, reason error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range events {
		d.got = append(d.got, strings.Clone(e.Message))
	}
	d.reasons = append(d.reasons, reason.Error())
	return nil
}

// TestItemsErrorRetriesOnlyFailed: of a batch delivered in part, only the
// events that failed for a retryable reason are written again; those
// refused for good are dead-lettered; the cursor moves past all of them.
func TestItemsErrorRetriesOnlyFailed(t *testing.T) {
	_, cur := openLog(t, 5)
	s := &itemsSink{failed: []sink.ItemError{
		{Index: 1, Err: errors.New("429 es_rejected_execution_exception")},
		{Index: 3, Err: sink.Permanent(errors.New("400 mapper_parsing_exception"))},
	}}
	dl := &recordingDeadLetter{}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: time.Millisecond, DeadLetter: dl, Metrics: m},
		func() bool { return cur.Acked() == 5 })
	s.mu.Lock()
	got := fmt.Sprint(s.got)
	s.mu.Unlock()
	if got != "[m0 m2 m4 m1]" {
		t.Errorf("delivered %s, want [m0 m2 m4 m1]", got)
	}
	if fmt.Sprint(dl.got) != "[m3]" || len(dl.reasons) != 1 || dl.reasons[0] != "400 mapper_parsing_exception" {
		t.Errorf("dead letters %v (reasons %q), want [m3] for the mapping error", dl.got, dl.reasons)
	}
	if v := counterValue(t, m.Delivered.WithLabelValues("sub")); v != 4 {
		t.Errorf("delivered counter %v, want 4", v)
	}
}

// summaryRoute drops repeated messages and, MaxAge after the first repeat,
// emits one summary event — the shape of a dedupe transform.
type summaryRoute struct {
	mu      sync.Mutex
	seen    map[string]int
	due     time.Time
	pending string
}

func (r *summaryRoute) Process(e *event.Event, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := strings.Clone(e.Message) // strings are reused after the batch
	r.seen[msg]++
	if r.seen[msg] == 1 {
		return true
	}
	if r.due.IsZero() {
		r.due = now.Add(20 * time.Millisecond)
	}
	r.pending = msg
	return false
}

func (r *summaryRoute) Next() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.due
}

func (r *summaryRoute) Flush(now time.Time, emit func(*event.Event)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.due.IsZero() || now.Before(r.due) {
		return
	}
	emit(&event.Event{Message: fmt.Sprintf("%s (repeated %d times)", r.pending, r.seen[r.pending]-1)})
	r.due = time.Time{}
}

// TestRouteSummaryWithoutFurtherInput: a summary a route has pending is
// delivered when it is due, even if nothing more arrives in the log.
func TestRouteSummaryWithoutFurtherInput(t *testing.T) {
	l, cur := openLog(t, 0)
	var recs [][]byte
	for _, m := range []string{"a", "b", "b", "b"} {
		e := event.Event{Message: m}
		recs = append(recs, e.Marshal(nil))
	}
	if _, _, err := l.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSink{}
	rt := &summaryRoute{seen: map[string]int{}}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, Route: rt},
		func() bool { return len(s.delivered()) == 3 && cur.Acked() == 4 })
	if got := fmt.Sprint(s.delivered()); got != "[a b b (repeated 2 times)]" {
		t.Fatalf("delivered %s", got)
	}
}

type retryAfterErr struct{ d time.Duration }

func (e retryAfterErr) Error() string             { return "429 Too Many Requests" }
func (e retryAfterErr) RetryAfter() time.Duration { return e.d }

// timedSink answers its first write with a Retry-After and records when
// every write started.
type timedSink struct {
	mu     sync.Mutex
	starts []time.Time
}

func (s *timedSink) Connect(context.Context) error { return nil }
func (s *timedSink) Close() error                  { return nil }
func (s *timedSink) Write(_ context.Context, batch []event.Event) error {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	first := len(s.starts) == 1
	s.mu.Unlock()
	if first {
		return retryAfterErr{300 * time.Millisecond}
	}
	return nil
}

// TestRetryAfterPausesEveryWorker: a destination's Retry-After holds back
// the other batches in flight too, not only the one it answered.
func TestRetryAfterPausesEveryWorker(t *testing.T) {
	_, cur := openLog(t, 40)
	s := &timedSink{}
	runUntil(t, cur, s, Config{Name: "sub", MaxEvents: 5, MaxAge: time.Millisecond, Workers: 4, RetryInitial: time.Millisecond},
		func() bool { return cur.Acked() == 40 })
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.starts[0]
	for i, at := range s.starts[1:] {
		if d := at.Sub(first); d > 5*time.Millisecond && d < 290*time.Millisecond {
			t.Errorf("write %d started %s after the 429 asked for 300ms", i+1, d)
		}
	}
}

// badItemsSink reports an index outside the batch once, then delivers.
type badItemsSink struct{ itemsSink }

func (s *badItemsSink) Write(ctx context.Context, batch []event.Event) error {
	s.mu.Lock()
	first := !s.first
	s.first = true
	s.mu.Unlock()
	if first {
		return &sink.ItemsError{Failed: []sink.ItemError{{Index: len(batch) + 3, Err: errors.New("?")}}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		s.got = append(s.got, strings.Clone(e.Message)) // strings are reused after Write
	}
	return nil
}

// TestItemsErrorOutOfRangeRetriesAll: a sink naming impossible indexes
// gets the whole batch again; nothing is counted delivered on its word.
func TestItemsErrorOutOfRangeRetriesAll(t *testing.T) {
	_, cur := openLog(t, 3)
	s := &badItemsSink{}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, RetryInitial: time.Millisecond},
		func() bool { return cur.Acked() == 3 })
	if got := fmt.Sprint(s.got); got != "[m0 m1 m2]" {
		t.Fatalf("delivered %s", got)
	}
}

// TestSummariesFlushedAtStop: a summary still pending when Run stops is
// delivered before Run returns.
func TestSummariesFlushedAtStop(t *testing.T) {
	l, cur := openLog(t, 0)
	var recs [][]byte
	for _, m := range []string{"x", "x", "x"} {
		e := event.Event{Message: m}
		recs = append(recs, e.Marshal(nil))
	}
	l.Append(context.Background(), recs)
	s := &scriptedSink{}
	rt := &longSummaryRoute{summaryRoute{seen: map[string]int{}}}
	runUntil(t, cur, s, Config{Name: "sub", MaxAge: time.Millisecond, Route: rt}, func() bool { return cur.Acked() == 3 })
	if got := fmt.Sprint(s.delivered()); got != "[x x (repeated 2 times)]" {
		t.Fatalf("delivered %s", got)
	}
}

// longSummaryRoute is a summaryRoute whose window lasts an hour.
type longSummaryRoute struct{ summaryRoute }

func (r *longSummaryRoute) Process(e *event.Event, now time.Time) bool {
	keep := r.summaryRoute.Process(e, now)
	r.mu.Lock()
	if !r.due.IsZero() {
		r.due = now.Add(time.Hour)
	}
	r.mu.Unlock()
	return keep
}
