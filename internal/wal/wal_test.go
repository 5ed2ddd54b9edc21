package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testOptions returns options for a test log in dir: no fdatasync, small
// segments, logs to t.
func testOptions(t testing.TB, dir string) Options {
	return Options{Dir: dir, SegmentBytes: 4096, NoSync: true, CursorSync: -1, Logger: testLogger(t)}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func mustOpen(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func mustClose(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// payload returns a deterministic record of n bytes for key.
func payload(key string, n int) []byte {
	b := make([]byte, 0, n)
	for len(b) < n {
		b = append(b, key...)
		b = append(b, '|')
	}
	return b[:n]
}

// batch returns count records of size bytes, keyed by prefix.
func batch(prefix string, count, size int) [][]byte {
	recs := make([][]byte, count)
	for i := range recs {
		recs[i] = payload(fmt.Sprintf("%s-%d", prefix, i), size)
	}
	return recs
}

func mustAppend(t testing.TB, l *Log, recs [][]byte) (uint64, uint64) {
	t.Helper()
	first, last, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if want := first + uint64(len(recs)) - 1; last != want {
		t.Fatalf("Append returned %d-%d for %d records", first, last, len(recs))
	}
	return first, last
}

func mustCursor(t testing.TB, l *Log, name string) *Cursor {
	t.Helper()
	c, err := l.OpenCursor(name)
	if err != nil {
		t.Fatalf("OpenCursor(%q): %v", name, err)
	}
	return c
}

// readN reads exactly n records (copying their data) with the given limits.
func readN(t testing.TB, c *Cursor, n, maxRecords, maxBytes int) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, dst []Record
	for len(out) < n {
		var err error
		dst, err = c.Read(ctx, dst[:0], maxRecords, maxBytes)
		if err != nil {
			t.Fatalf("Read after %d of %d records: %v", len(out), n, err)
		}
		for _, r := range dst {
			out = append(out, Record{Seq: r.Seq, Data: bytes.Clone(r.Data)})
		}
	}
	if len(out) != n {
		t.Fatalf("read %d records, want %d", len(out), n)
	}
	return out
}

// expectNothing asserts that Read has no record to return right now.
func expectNothing(t testing.TB, c *Cursor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	recs, err := c.Read(ctx, nil, 10, 1<<20)
	if !errors.Is(err, context.DeadlineExceeded) || len(recs) != 0 {
		t.Fatalf("Read = %d records, %v; want none and DeadlineExceeded", len(recs), err)
	}
}

func wantRecords(first uint64, recs [][]byte) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		out[i] = Record{Seq: first + uint64(i), Data: r}
	}
	return out
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppendReadRoundTrip(t *testing.T) {
	f := func(segmentBytes int64, sizes []int, maxRecords, maxBytes int, wantSegs int) {
		t.Helper()
		dir := t.TempDir()
		opts := testOptions(t, dir)
		opts.SegmentBytes = segmentBytes
		l := mustOpen(t, opts)
		var all [][]byte
		for i, size := range sizes {
			recs := batch(fmt.Sprintf("b%d", i), 1+i%7, size)
			first, _ := mustAppend(t, l, recs)
			if first != uint64(len(all))+1 {
				t.Fatalf("batch %d starts at %d, want %d", i, first, len(all)+1)
			}
			all = append(all, recs...)
		}
		c := mustCursor(t, l, "sub")
		got := readN(t, c, len(all), maxRecords, maxBytes)
		if diff := diffRecords(wantRecords(1, all), got); diff != "" {
			t.Fatalf("records differ (-want +got):\n%s", diff)
		}
		expectNothing(t, c)
		if wantSegs == 0 {
			wantSegs = expectedSegments(segmentBytes, all)
		}
		if n := len(segFiles(t, dir)); n != wantSegs {
			t.Fatalf("%d segment files, want %d", n, wantSegs)
		}
		st := l.Stats()
		if st.Segments != wantSegs || st.FirstSeq != 1 || st.LastSeq != uint64(len(all)) {
			t.Fatalf("Stats = %+v", st)
		}
		mustClose(t, l)

		// Everything is still there after reopening, and appends continue.
		l = mustOpen(t, opts)
		defer mustClose(t, l)
		extra := batch("extra", 3, 10)
		if first, _ := mustAppend(t, l, extra); first != uint64(len(all))+1 {
			t.Fatalf("append after reopen starts at %d, want %d", first, len(all)+1)
		}
		all = append(all, extra...)
		c = mustCursor(t, l, "other")
		got = readN(t, c, len(all), 1000, 1<<20)
		if diff := diffRecords(wantRecords(1, all), got); diff != "" {
			t.Fatalf("records after reopen differ (-want +got):\n%s", diff)
		}
	}
	// One segment, default size.
	f(DefaultSegmentBytes, []int{1, 10, 100, 1000}, 100, 1<<20, 1)
	// Many small segments; reads one record at a time.
	f(1024, repeat(40, 100), 1, 1<<20, 0)
	// Reads limited by bytes across segment boundaries.
	f(4096, repeat(60, 300), 1000, 1000, 0)
	// Records larger than a segment get a segment of their own, and
	// larger than maxBytes are still returned one by one.
	f(1024, []int{3000, 10, 5000, 10}, 100, 100, 0)
	// Records larger than the minimum pread size.
	f(DefaultSegmentBytes, []int{200 << 10, 1, 300 << 10}, 2, 1<<20, 1)
}

// expectedSegments lays out recs the way the committer does.
func expectedSegments(segmentBytes int64, recs [][]byte) int {
	segs, off := 1, int64(headerSize)
	for _, r := range recs {
		n := int64(recordHeaderSize + len(r))
		if off+n > segmentBytes && off > headerSize {
			segs++
			off = headerSize
		}
		off += n
	}
	return segs
}

// diffRecords compares records, their data with bytes.Equal (cmp's
// reflective walk over large payloads is slow).
func diffRecords(want, got []Record) string {
	return cmp.Diff(want, got, cmp.Comparer(bytes.Equal))
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

func TestReadLimits(t *testing.T) {
	l := mustOpen(t, testOptions(t, t.TempDir()))
	defer mustClose(t, l)
	recs := [][]byte{payload("a", 10), payload("b", 10), payload("c", 100), payload("d", 10)}
	mustAppend(t, l, recs)
	f := func(maxRecords, maxBytes int, want ...uint64) {
		t.Helper()
		c := mustCursor(t, l, "limits")
		defer func() {
			c.Close()
			if err := l.DeleteCursor("limits"); err != nil {
				t.Fatal(err)
			}
		}()
		got, err := c.Read(context.Background(), nil, maxRecords, maxBytes)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		var seqs []uint64
		for _, r := range got {
			seqs = append(seqs, r.Seq)
			if !bytes.Equal(r.Data, recs[r.Seq-1]) {
				t.Fatalf("record %d has wrong data %q", r.Seq, r.Data)
			}
		}
		if diff := cmp.Diff(want, seqs); diff != "" {
			t.Fatalf("Read(%d, %d) seqs differ (-want +got):\n%s", maxRecords, maxBytes, diff)
		}
	}
	f(1, 1<<20, 1)
	f(2, 1<<20, 1, 2)
	f(10, 1<<20, 1, 2, 3, 4)
	f(10, 20, 1, 2)
	f(10, 19, 1)
	f(10, 0, 1)
	f(0, 0, 1)
	f(10, 120, 1, 2, 3)

	// At least one record, even when it is larger than maxBytes.
	c := mustCursor(t, l, "big")
	defer c.Close()
	readN(t, c, 2, 10, 20)
	got, err := c.Read(context.Background(), nil, 10, 5)
	if err != nil || len(got) != 1 || got[0].Seq != 3 {
		t.Fatalf("Read = %v, %v; want record 3 alone", got, err)
	}
	// dst is appended to.
	dst := []Record{{Seq: 99}}
	dst, err = c.Read(context.Background(), dst, 10, 100)
	if err != nil || len(dst) != 2 || dst[0].Seq != 99 || dst[1].Seq != 4 {
		t.Fatalf("Read = %v, %v; want [99 4]", dst, err)
	}
}

func TestConcurrentAppenders(t *testing.T) {
	l := mustOpen(t, Options{Dir: t.TempDir(), SegmentBytes: 64 << 10, NoSync: true, Logger: testLogger(t)})
	defer mustClose(t, l)
	const writers, batches = 8, 60
	total := 0
	for b := range batches {
		total += 1 + b%13
	}
	total *= writers

	c := mustCursor(t, l, "reader")
	var (
		got     []Record
		readErr error
		rwg     sync.WaitGroup
	)
	rwg.Add(1)
	go func() { // reads concurrently with the appends
		defer rwg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var dst []Record
		for len(got) < total {
			dst, readErr = c.Read(ctx, dst[:0], 37, 4096)
			if readErr != nil {
				return
			}
			for _, r := range dst {
				got = append(got, Record{Seq: r.Seq, Data: bytes.Clone(r.Data)})
			}
		}
	}()

	want := make([][]byte, total+1)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				recs := batch(fmt.Sprintf("w%d-b%d", w, b), 1+b%13, 10+(w*b)%300)
				first, last, err := l.Append(context.Background(), recs)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if last-first+1 != uint64(len(recs)) {
					errs = append(errs, fmt.Errorf("Append returned %d-%d for %d records", first, last, len(recs)))
				} else {
					for i, r := range recs {
						if want[first+uint64(i)] != nil {
							errs = append(errs, fmt.Errorf("seq %d returned twice", first+uint64(i)))
						}
						want[first+uint64(i)] = r
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rwg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if readErr != nil {
		t.Fatalf("Read: %v", readErr)
	}
	if diff := diffRecords(wantRecords(1, want[1:]), got); diff != "" {
		t.Fatalf("records differ (-want +got):\n%s", diff)
	}
	expectNothing(t, c)
}

func TestReadBlocks(t *testing.T) {
	l := mustOpen(t, testOptions(t, t.TempDir()))
	c := mustCursor(t, l, "sub")

	// Read waits for Append.
	type result struct {
		recs []Record
		err  error
	}
	res := make(chan result)
	go func() {
		recs, err := c.Read(context.Background(), nil, 10, 1<<20)
		res <- result{recs, err}
	}()
	select {
	case r := <-res:
		t.Fatalf("Read returned before Append: %v, %v", r.recs, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	mustAppend(t, l, [][]byte{[]byte("hello")})
	r := <-res
	if r.err != nil || len(r.recs) != 1 || string(r.recs[0].Data) != "hello" {
		t.Fatalf("Read = %v, %v", r.recs, r.err)
	}

	// Cancelling ctx ends a blocked Read.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		recs, err := c.Read(ctx, nil, 10, 1<<20)
		res <- result{recs, err}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if r := <-res; !errors.Is(r.err, context.Canceled) || len(r.recs) != 0 {
		t.Fatalf("Read = %v, %v; want context.Canceled", r.recs, r.err)
	}

	// Closing the cursor ends a blocked Read with ErrClosed.
	go func() {
		recs, err := c.Read(context.Background(), nil, 10, 1<<20)
		res <- result{recs, err}
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if r := <-res; !errors.Is(r.err, ErrClosed) {
		t.Fatalf("Read after Cursor.Close = %v, %v; want ErrClosed", r.recs, r.err)
	}
	c = mustCursor(t, l, "sub")
	if err := c.Ack(1); err != nil {
		t.Fatal(err)
	}

	// Closing the log ends a blocked Read with ErrClosed.
	go func() {
		recs, err := c.Read(context.Background(), nil, 10, 1<<20)
		res <- result{recs, err}
	}()
	time.Sleep(20 * time.Millisecond)
	mustClose(t, l)
	if r := <-res; !errors.Is(r.err, ErrClosed) {
		t.Fatalf("Read after Close = %v, %v; want ErrClosed", r.recs, r.err)
	}
	if _, _, err := l.Append(context.Background(), [][]byte{[]byte("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v; want ErrClosed", err)
	}
	if err := c.Ack(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ack after Close = %v; want ErrClosed", err)
	}
	if _, err := l.OpenCursor("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("OpenCursor after Close = %v; want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestAppendCancelled(t *testing.T) {
	l := mustOpen(t, testOptions(t, t.TempDir()))
	defer mustClose(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.Append(ctx, [][]byte{[]byte("x")}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append = %v; want context.Canceled", err)
	}
	if st := l.Stats(); st.LastSeq != 0 {
		t.Fatalf("LastSeq = %d after a cancelled Append", st.LastSeq)
	}
}

func TestAppendErrors(t *testing.T) {
	l := mustOpen(t, testOptions(t, t.TempDir()))
	defer mustClose(t, l)
	f := func(recs [][]byte, want string) {
		t.Helper()
		_, _, err := l.Append(context.Background(), recs)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Append error = %v; want it to contain %q", err, want)
		}
	}
	f([][]byte{[]byte("a"), {}}, "cannot append record 1 of 2: empty")
	f([][]byte{make([]byte, MaxRecordBytes+1)}, "over the limit")
	if first, last, err := l.Append(context.Background(), nil); first != 0 || last != 0 || err != nil {
		t.Fatalf("Append(nil) = %d, %d, %v", first, last, err)
	}
	if first, _ := mustAppend(t, l, [][]byte{[]byte("ok")}); first != 1 {
		t.Fatalf("first = %d after refused batches, want 1", first)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, testOptions(t, dir))
	defer mustClose(t, l)
	if _, err := Open(testOptions(t, dir)); err == nil || !strings.Contains(err.Error(), "cannot lock") {
		t.Fatalf("second Open of the same directory = %v; want a lock error", err)
	}
	for _, name := range []string{"", ".", "..", "a/b", "a b", "x~", strings.Repeat("a", 201), "é"} {
		if _, err := l.OpenCursor(name); err == nil {
			t.Fatalf("OpenCursor(%q) succeeded", name)
		}
	}
	c := mustCursor(t, l, "A-z_0.9")
	if _, err := l.OpenCursor("A-z_0.9"); err == nil {
		t.Fatal("opening an open cursor twice succeeded")
	}
	if err := l.DeleteCursor("A-z_0.9"); err == nil {
		t.Fatal("deleting an open cursor succeeded")
	}
	c.Close()
	if err := l.DeleteCursor("A-z_0.9"); err != nil {
		t.Fatalf("DeleteCursor: %v", err)
	}
	if err := l.DeleteCursor("A-z_0.9"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("DeleteCursor of a deleted cursor = %v", err)
	}
	for _, opts := range []Options{{}, {Dir: dir, SegmentBytes: 100}, {Dir: dir, MaxBytes: -1}} {
		if _, err := Open(opts); err == nil {
			t.Fatalf("Open(%+v) succeeded", opts)
		}
	}
}

func TestCursorPersists(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	l := mustOpen(t, opts)
	recs := batch("r", 50, 100)
	mustAppend(t, l, recs)
	c := mustCursor(t, l, "sub")
	readN(t, c, 30, 30, 1<<20)
	if err := c.Ack(20); err != nil {
		t.Fatal(err)
	}
	if err := c.Ack(10); err != nil { // going back is ignored
		t.Fatal(err)
	}
	if err := c.Ack(51); err == nil {
		t.Fatal("Ack beyond the last record succeeded")
	}
	if c.Acked() != 20 || c.Lag() != 30 {
		t.Fatalf("Acked, Lag = %d, %d; want 20, 30", c.Acked(), c.Lag())
	}
	// Rewind goes back to the first unacknowledged record.
	c.Rewind()
	if got := readN(t, c, 5, 5, 1<<20); got[0].Seq != 21 {
		t.Fatalf("after Rewind read %d, want 21", got[0].Seq)
	}
	// Ack past the read position moves it.
	if err := c.Ack(40); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 1, 1, 1<<20); got[0].Seq != 41 {
		t.Fatalf("after Ack(40) read %d, want 41", got[0].Seq)
	}
	other := mustCursor(t, l, "other")
	other.Close()
	mustClose(t, l)

	l = mustOpen(t, opts)
	defer mustClose(t, l)
	st := l.Stats()
	// "other" was created after Ack(40) deleted the first segment.
	oldest := st.FirstSeq
	if oldest == 1 {
		t.Fatal("no segment was deleted")
	}
	wantCursors := []CursorStats{{Name: "other", Acked: oldest - 1, Lag: 50 - (oldest - 1)}, {Name: "sub", Acked: 40, Lag: 10}}
	if diff := cmp.Diff(wantCursors, st.Cursors); diff != "" {
		t.Fatalf("cursors after reopen differ (-want +got):\n%s", diff)
	}
	c = mustCursor(t, l, "sub")
	if got := readN(t, c, 10, 100, 1<<20); got[0].Seq != 41 || !bytes.Equal(got[9].Data, recs[49]) {
		t.Fatalf("after reopen read from %d", got[0].Seq)
	}
	expectNothing(t, c)
}

func TestRetentionAndFull(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.SegmentBytes = 1024
	opts.MaxBytes = 8 << 10
	l := mustOpen(t, opts)
	defer func() { mustClose(t, l) }()
	c := mustCursor(t, l, "sub")

	// Fill the log up to the cap.
	var appended uint64
	for {
		_, last, err := l.Append(context.Background(), batch("x", 4, 92))
		if err != nil {
			var fe *FullError
			if !errors.Is(err, ErrFull) || !errors.As(err, &fe) {
				t.Fatalf("Append = %v; want ErrFull", err)
			}
			if fe.MaxBytes != opts.MaxBytes || fe.Bytes+fe.Batch <= fe.MaxBytes || fe.Batch != 400 {
				t.Fatalf("FullError = %+v", fe)
			}
			if !strings.Contains(err.Error(), "cannot append 400 bytes") {
				t.Fatalf("error text %q", err)
			}
			break
		}
		appended = last
	}
	st := l.Stats()
	if st.LastSeq != appended || st.Bytes > opts.MaxBytes || st.Segments < 3 {
		t.Fatalf("Stats after filling = %+v (appended %d)", st, appended)
	}
	// A second cursor, open or closed, holds retention back until it is
	// deleted.
	late := mustCursor(t, l, "late")
	readN(t, c, int(appended), 1000, 1<<20)
	if err := c.Ack(appended); err != nil {
		t.Fatal(err)
	}
	late.Close()
	if l.Stats().Segments != st.Segments {
		t.Fatal("segments deleted while the late cursor has not acknowledged them")
	}
	if _, _, err := l.Append(context.Background(), batch("x", 4, 92)); !errors.Is(err, ErrFull) {
		t.Fatalf("Append = %v; want ErrFull while the late cursor holds the log", err)
	}
	if err := l.DeleteCursor("late"); err != nil {
		t.Fatal(err)
	}
	st2 := l.Stats()
	if st2.Segments != 1 || st2.FirstSeq != l.segs[0].first || st2.Bytes >= st.Bytes {
		t.Fatalf("Stats after acking everything = %+v", st2)
	}
	if n := len(segFiles(t, dir)); n != 1 {
		t.Fatalf("%d segment files after acking everything, want 1", n)
	}
	// Space is free again.
	first, _ := mustAppend(t, l, batch("y", 4, 92))
	if first != appended+1 {
		t.Fatalf("append after freeing starts at %d, want %d", first, appended+1)
	}
	if got := readN(t, c, 4, 10, 1<<20); got[0].Seq != first {
		t.Fatalf("read %d, want %d", got[0].Seq, first)
	}

	// A new cursor starts at the oldest retained record, after reopening too.
	mustClose(t, l)
	l = mustOpen(t, opts)
	n := mustCursor(t, l, "new")
	oldest := l.Stats().FirstSeq
	if oldest <= 1 {
		t.Fatalf("FirstSeq = %d after retention", oldest)
	}
	if got := readN(t, n, 1, 1, 1<<20); got[0].Seq != oldest {
		t.Fatalf("new cursor read %d, want the oldest retained %d", got[0].Seq, oldest)
	}
}

func TestRetentionAfterRoll(t *testing.T) {
	// A segment that was fully acknowledged while it was being written is
	// deleted when it is sealed.
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.SegmentBytes = 1024
	l := mustOpen(t, opts)
	defer mustClose(t, l)
	c := mustCursor(t, l, "sub")
	_, last := mustAppend(t, l, batch("a", 5, 190)) // 32 + 5*198 = 1022 bytes: full
	if err := c.Ack(last); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, batch("b", 5, 100))
	if st := l.Stats(); st.Segments != 1 || st.FirstSeq != last+1 {
		t.Fatalf("Stats = %+v; want only the new segment", st)
	}
}

func TestCorruptCursorFile(t *testing.T) {
	f := func(name string, damage func(path string) error) {
		t.Helper()
		dir := t.TempDir()
		opts := testOptions(t, dir)
		opts.SegmentBytes = 1024
		l := mustOpen(t, opts)
		c := mustCursor(t, l, "sub")
		keep := mustCursor(t, l, "keep")
		mustAppend(t, l, batch("a", 30, 100))
		if err := keep.Ack(12); err != nil { // holds segments from 12 on
			t.Fatal(err)
		}
		if err := c.Ack(25); err != nil {
			t.Fatal(err)
		}
		oldest := l.Stats().FirstSeq
		if oldest == 1 || oldest > 12 {
			t.Fatalf("oldest = %d; the test wants some segments deleted", oldest)
		}
		mustClose(t, l)
		if err := damage(filepath.Join(dir, "cursors", "sub")); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, opts)
		defer mustClose(t, l)
		c = mustCursor(t, l, "sub")
		if c.Acked() != oldest-1 {
			t.Fatalf("%s: Acked = %d, want %d (the oldest retained record - 1)", name, c.Acked(), oldest-1)
		}
		if got := readN(t, c, 1, 1, 1<<20); got[0].Seq != oldest {
			t.Fatalf("%s: read %d, want %d", name, got[0].Seq, oldest)
		}
	}
	f("garbage", func(p string) error { return os.WriteFile(p, []byte("not a cursor file at all"), 0o644) })
	f("empty", func(p string) error { return os.WriteFile(p, nil, 0o644) })
	f("missing", os.Remove)
	f("flipped", func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[9] ^= 0x40
		return os.WriteFile(p, b, 0o644)
	})
}

// lastSegment returns the path of the newest segment file in dir.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	segs := segFiles(t, dir)
	if len(segs) == 0 {
		t.Fatal("no segment files")
	}
	return segs[len(segs)-1]
}

func TestTornTail(t *testing.T) {
	// Each damage function gets the newest segment's path and the offset
	// of its last record, and returns how many of the records survive.
	f := func(name string, damage func(t *testing.T, path string, lastOff int64) int) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(t, dir)
			opts.SegmentBytes = 64 << 10
			l := mustOpen(t, opts)
			recs := batch("r", 20, 150)
			mustAppend(t, l, recs[:10])
			mustAppend(t, l, recs[10:])
			mustClose(t, l)
			lastOff := int64(headerSize + 19*(recordHeaderSize+150))
			keep := damage(t, lastSegment(t, dir), lastOff)

			l = mustOpen(t, opts)
			if st := l.Stats(); st.LastSeq != uint64(keep) {
				t.Fatalf("LastSeq = %d after recovery, want %d", st.LastSeq, keep)
			}
			more := batch("more", 5, 50)
			if first, _ := mustAppend(t, l, more); first != uint64(keep)+1 {
				t.Fatalf("append after recovery starts at %d, want %d", first, keep+1)
			}
			mustClose(t, l)

			// Reopen again: the recovered records and the new ones, nothing else.
			l = mustOpen(t, opts)
			defer mustClose(t, l)
			want := append(append([][]byte{}, recs[:keep]...), more...)
			c := mustCursor(t, l, "sub")
			got := readN(t, c, len(want), 100, 1<<20)
			if diff := diffRecords(wantRecords(1, want), got); diff != "" {
				t.Fatalf("records differ (-want +got):\n%s", diff)
			}
			expectNothing(t, c)
		})
	}
	rewrite := func(t *testing.T, path string, fn func(b []byte) []byte) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fn(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f("intact", func(t *testing.T, path string, lastOff int64) int { return 20 })
	f("truncated mid-record", func(t *testing.T, path string, lastOff int64) int {
		if err := os.Truncate(path, lastOff+50); err != nil {
			t.Fatal(err)
		}
		return 19
	})
	f("truncated mid-header", func(t *testing.T, path string, lastOff int64) int {
		if err := os.Truncate(path, lastOff+3); err != nil {
			t.Fatal(err)
		}
		return 19
	})
	f("truncated at record end", func(t *testing.T, path string, lastOff int64) int {
		if err := os.Truncate(path, lastOff); err != nil {
			t.Fatal(err)
		}
		return 19
	})
	f("flipped payload byte in last record", func(t *testing.T, path string, lastOff int64) int {
		rewrite(t, path, func(b []byte) []byte { b[lastOff+100] ^= 1; return b })
		return 19
	})
	f("flipped crc byte in a middle record", func(t *testing.T, path string, lastOff int64) int {
		off := int64(headerSize + 15*(recordHeaderSize+150))
		rewrite(t, path, func(b []byte) []byte { b[off+5] ^= 0x80; return b })
		return 15
	})
	f("huge length in last record", func(t *testing.T, path string, lastOff int64) int {
		rewrite(t, path, func(b []byte) []byte { b[lastOff+3] = 0x7f; return b })
		return 19
	})
	f("payload of last record zeroed", func(t *testing.T, path string, lastOff int64) int {
		rewrite(t, path, func(b []byte) []byte {
			clear(b[lastOff+recordHeaderSize : lastOff+recordHeaderSize+150])
			return b
		})
		return 19
	})
	f("garbage after the last record", func(t *testing.T, path string, lastOff int64) int {
		rewrite(t, path, func(b []byte) []byte {
			end := lastOff + recordHeaderSize + 150
			copy(b[end:], bytes.Repeat([]byte("garbage!"), 100))
			return b
		})
		return 20
	})
	f("stale valid record after zeros", func(t *testing.T, path string, lastOff int64) int {
		// A torn write can persist later sectors but not earlier ones:
		// the stale record must not reappear after new appends.
		rewrite(t, path, func(b []byte) []byte {
			rec := bytes.Clone(b[lastOff : lastOff+recordHeaderSize+150])
			clear(b[lastOff:])
			copy(b[lastOff+recordHeaderSize+50:], rec) // where the 2nd "more" record starts... or not
			copy(b[lastOff+4*(recordHeaderSize+50):], rec)
			return b
		})
		return 19
	})
	f("zero-filled preallocation", func(t *testing.T, path string, lastOff int64) int {
		rewrite(t, path, func(b []byte) []byte {
			end := lastOff + recordHeaderSize + 150
			return append(b[:end], make([]byte, 1<<20)...)
		})
		return 20
	})
	f("file cut to the header", func(t *testing.T, path string, lastOff int64) int {
		if err := os.Truncate(path, headerSize); err != nil {
			t.Fatal(err)
		}
		return 0
	})
}

func TestBadSegmentHeaders(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.SegmentBytes = 700
	l := mustOpen(t, opts)
	recs := batch("r", 24, 100) // 4 segments of 6 records
	mustAppend(t, l, recs)
	mustClose(t, l)
	segs := segFiles(t, dir)
	if len(segs) != 4 {
		t.Fatalf("%d segments, want 4", len(segs))
	}
	// The newest segment was being created when the machine crashed.
	if err := os.WriteFile(segs[3], make([]byte, 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	// An older one has a damaged header.
	b, _ := os.ReadFile(segs[1])
	b[2] ^= 1
	if err := os.WriteFile(segs[1], b, 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	if _, err := os.Stat(segs[3]); !os.IsNotExist(err) {
		t.Fatalf("zero-header newest segment not removed: %v", err)
	}
	if _, err := os.Stat(segs[1] + ".corrupt"); err != nil {
		t.Fatalf("damaged segment not set aside: %v", err)
	}
	if st := l.Stats(); st.LastSeq != 18 || st.Segments != 2 {
		t.Fatalf("Stats = %+v; want LastSeq 18 in 2 segments", st)
	}
	c := mustCursor(t, l, "sub")
	got := readN(t, c, 6, 100, 1<<20)
	if diff := diffRecords(wantRecords(1, recs[:6]), got); diff != "" {
		t.Fatalf("first segment differs (-want +got):\n%s", diff)
	}
	// The records of the damaged segment are skipped, loudly.
	got = readN(t, c, 6, 100, 1<<20)
	if diff := diffRecords(wantRecords(13, recs[12:18]), got); diff != "" {
		t.Fatalf("third segment differs (-want +got):\n%s", diff)
	}
	// Appends continue after the last good record.
	if first, _ := mustAppend(t, l, batch("n", 1, 10)); first != 19 {
		t.Fatalf("append starts at %d, want 19", first)
	}
}

func TestCorruptSealedSegment(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.SegmentBytes = 700
	l := mustOpen(t, opts)
	recs := batch("r", 18, 100) // 3 segments of 6 records
	mustAppend(t, l, recs)
	mustClose(t, l)
	segs := segFiles(t, dir)
	b, _ := os.ReadFile(segs[0])
	b[headerSize+3*(recordHeaderSize+100)+20] ^= 1 // record 4
	if err := os.WriteFile(segs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, opts)
	defer mustClose(t, l)
	c := mustCursor(t, l, "sub")
	got := readN(t, c, 15, 100, 1<<20)
	want := append(wantRecords(1, recs[:3]), wantRecords(7, recs[6:])...)
	if diff := diffRecords(want, got); diff != "" {
		t.Fatalf("records differ (-want +got):\n%s", diff)
	}
}

func TestRewindAndSeekAcrossIndex(t *testing.T) {
	// Many index entries per segment; rewinds seek through the index.
	l := mustOpen(t, Options{Dir: t.TempDir(), SegmentBytes: 1 << 20, NoSync: true})
	defer mustClose(t, l)
	recs := batch("r", 3000, 200)
	for i := 0; i < len(recs); i += 100 {
		mustAppend(t, l, recs[i:i+100])
	}
	c := mustCursor(t, l, "sub")
	for _, ack := range []uint64{0, 1, 327, 328, 1500, 2999} {
		if err := c.Ack(ack); err != nil {
			t.Fatal(err)
		}
		readN(t, c, 1, 1, 1<<20)
		c.Rewind()
		got := readN(t, c, min(2, 3000-int(ack)), 2, 1<<20)
		if diff := diffRecords(wantRecords(ack+1, recs[ack:ack+1]), got[:1]); diff != "" {
			t.Fatalf("after Ack(%d) and Rewind (-want +got):\n%s", ack, diff)
		}
	}
}

// TestCursorSyncLazy: with a sync interval, acks between writes stay in
// memory: the file keeps the last written position, no segment behind an
// unwritten position is deleted, and Close writes the last one.
func TestCursorSyncLazy(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.CursorSync = time.Hour
	l := mustOpen(t, opts)
	mustAppend(t, l, batch("r", 50, 100))
	c := mustCursor(t, l, "sub")
	path := filepath.Join(dir, "cursors", "sub")
	if _, err := os.Stat(path); err != nil {
		path = c.path
	}
	if err := c.Ack(5); err != nil { // the first ack is written
		t.Fatal(err)
	}
	if err := c.Ack(45); err != nil { // within the interval: memory only
		t.Fatal(err)
	}
	if got, err := readCursor(path); err != nil || got != 5 {
		t.Fatalf("cursor file holds %d (%v), want 5 until the next write", got, err)
	}
	if st := l.Stats(); st.FirstSeq != 1 {
		t.Fatalf("segments behind an unwritten position were deleted: first seq %d", st.FirstSeq)
	}
	if c.Acked() != 45 || c.Lag() != 5 {
		t.Fatalf("Acked, Lag = %d, %d; want 45, 5", c.Acked(), c.Lag())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readCursor(path); got != 45 {
		t.Fatalf("after Close the cursor file holds %d, want 45", got)
	}
	mustClose(t, l)
}
