package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

func TestSearchCorpus(t *testing.T) {
	evs := corpus(t, 6000)
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	writeAll(t, s, evs, 1000)

	f := func(q string, since, until time.Time, wantCount int) {
		t.Helper()
		pq := query.MustParse(q)
		exp := want(evs, pq, since, until)
		if wantCount >= 0 && len(exp) != wantCount {
			t.Fatalf("%q: the corpus has %d matches, the test expects %d", q, len(exp), wantCount)
		}
		for _, limit := range []int{37, 1000} {
			got := searchAll(t, s, Request{Query: pq, Since: since, Until: until, Limit: limit})
			if diff := cmp.Diff(keys(exp), keys(got)); diff != "" {
				t.Fatalf("%q limit %d: %d events, want %d (-want +got):\n%.2000s", q, limit, len(got), len(exp), diff)
			}
		}
	}
	none := time.Time{}
	// Counts that follow from the corpus' construction.
	f("", none, none, 6000)
	f("severity:error", none, none, 750)
	f("severity:<=warning", none, none, 3750)
	f("group:heroku/shop", none, none, 1200)
	f("group:heroku/*", none, none, 2400)
	f("group:/aws/lambda/*", none, none, 2400)
	f(`"connection refused"`, none, none, 334) // 6000/18 rounded up
	f("fields.status:>=400", none, none, 3000)
	// Terms, phrases, exclusions, OR, globs, fields and filter patterns,
	// against the brute-force answer.
	f("timeout", none, none, -1)
	f("TIMEOUT", none, none, -1)
	f("time", none, none, -1)
	f("time*", none, none, -1)
	f(`"connection ref"*`, none, none, 334)
	f("stri*", none, none, -1)
	f("timeout_ms", none, none, 6000/18)
	f("runtime", none, none, 0)
	f("10.0.0.1", none, none, -1)
	f(`"Request timeout"`, none, none, -1)
	f(`"timeout request"`, none, none, 0)
	f("timeout -app:app", none, none, -1)
	f("-timeout", none, none, -1)
	f("timeout OR refused", none, none, -1)
	f("timeout OR severity:emerg", none, none, -1)
	f("(timeout OR refused) severity:<=error -group:heroku/api", none, none, -1)
	f("zeitüberschreitung", none, none, -1)
	f("proc:web.* stream:web.2", none, none, -1)
	f("host:host1 app:sshd", none, none, -1)
	f("-app:app -app:sshd", none, none, 2400)
	f("fields.level:error", none, none, -1)
	f("fields.level:warn severity:>info", none, none, -1)
	f(`{ $.level = "error" }`, none, none, -1)
	f(`pattern:'{ $.duration_ms > 1000 }' OR pattern:'"Task timed out"'`, none, none, -1)
	f(`[w1, w2 = publickey, ...]`, none, none, -1)
	f("Stripe", none, none, -1)
	f("api.stripe.com", none, none, -1)
	f(`"timeout_ms"`, none, none, -1)
	f(`::`, none, none, 0)
	f("id:ev-000042", none, none, 1)
	f(`id:""`, none, none, 600)
	// Time ranges within a day and across days.
	f("", day0.Add(10*time.Hour), day0.Add(11*time.Hour), -1)
	f("timeout", day0.Add(20*time.Hour), day0.Add(30*time.Hour), -1)
	f("severity:error", day0.Add(36*time.Hour), none, -1)
	f("", none, day0.Add(time.Minute), -1)
}

func TestSearchLimitsAndErrors(t *testing.T) {
	evs := corpus(t, 3000)
	s := openStore(t, t.TempDir(), func(c *Config) { c.QueryTimeout = time.Second })
	defer s.Close()
	writeAll(t, s, evs, 1000)
	ctx := context.Background()
	got, next, err := s.Search(ctx, Request{Limit: 5000})
	if err != nil || len(got) != MaxLimit || next == "" {
		t.Fatalf("Search(limit 5000) = %d events, next %q, %v; want %d and a cursor", len(got), next, err, MaxLimit)
	}
	got, _, err = s.Search(ctx, Request{})
	if err != nil || len(got) != DefaultLimit {
		t.Fatalf("Search() = %d events, %v; want %d", len(got), err, DefaultLimit)
	}
	f := func(cursor string) {
		t.Helper()
		_, _, err := s.Search(ctx, Request{Cursor: cursor})
		want := `cannot read cursor "` + cursor + `": pass the next value of an earlier search unchanged`
		if err == nil || err.Error() != want {
			t.Errorf("Search(cursor %q) = %v, want %q", cursor, err, want)
		}
	}
	f("x")
	f("2026-11-20")
	f("2026-11-20.x")
	f("20261120.5")
	f("2026-11-20.-5")

	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, _, err = s.Search(expired, Request{Query: query.MustParse("timeout")})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cannot search: the query took longer than 1s: narrow the time range") {
		t.Errorf("Search with an expired context = %v", err)
	}
}

func TestRestartReplay(t *testing.T) {
	dir := t.TempDir()
	evs := corpus(t, 2000)
	s := openStore(t, dir, nil)
	writeAll(t, s, evs[:1500], 500)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), evs[:1]); err == nil {
		t.Error("Write after Close succeeded")
	}
	// A crash after the store committed 1500 events but before the cursor
	// moved: the sink helper replays from 1000.
	s = openStore(t, dir, nil)
	defer s.Close()
	writeAll(t, s, evs[1000:], 500)
	got := searchAll(t, s, Request{Limit: 1000})
	withoutID := 0
	for _, e := range evs[1000:1500] {
		if e.ID == "" {
			withoutID++
		}
	}
	if len(got) != len(evs)+withoutID {
		t.Fatalf("after the replay the store has %d events, want %d (the %d replayed events without an ID are stored twice)", len(got), len(evs)+withoutID, withoutID)
	}
	byID := map[string]int{}
	for _, e := range got {
		if e.ID != "" {
			byID[e.ID]++
		}
	}
	for id, n := range byID {
		if n != 1 {
			t.Fatalf("event %s stored %d times", id, n)
		}
	}
	// Summaries count each stored event once.
	gs, err := s.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, g := range gs {
		total += g.Counts.Total()
	}
	if total != int64(len(got)) {
		t.Errorf("groups count %d events, the store holds %d", total, len(got))
	}
}

func TestRoundTrip(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	in := event.Event{
		Time: day0.Add(time.Hour + 123456789), Received: day0.Add(2 * time.Hour),
		Severity: event.Warning, SeveritySource: event.SeverityField, Facility: event.FacilityFromCode(16),
		Host: "h", App: "a", Proc: "p", MsgID: "m", Message: "hello wörld\n",
		Fields: []event.Field{{Key: "s", Value: "x"}, {Key: "n", Value: "1.5", Type: event.Number},
			{Key: "b", Value: "true", Type: event.Bool}, {Key: "j", Value: `{"a":[1,2]}`, Type: event.JSON}},
		Group: "g", Stream: "st", Source: "src", ID: "id1", Raw: "not stored",
	}
	if err := s.Write(context.Background(), []event.Event{in}); err != nil {
		t.Fatal(err)
	}
	got, next, err := s.Search(context.Background(), Request{})
	if err != nil || len(got) != 1 || next != "" {
		t.Fatalf("Search = %v, %q, %v", got, next, err)
	}
	in.Raw = ""
	if diff := cmp.Diff(in, got[0]); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}

func dayFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	slices.Sort(m)
	return m
}

func TestRetentionAge(t *testing.T) {
	dir := t.TempDir()
	now := day0.Add(10*24*time.Hour + 12*time.Hour) // 2026-11-30 12:00
	clock := func() time.Time { return now }
	s := openStore(t, dir, func(c *Config) { c.Now = clock; c.Retention = 3 * 24 * time.Hour })
	var evs []event.Event
	for d := range 11 {
		// Received then too: an old event that arrives now is kept
		// (TestOldAndFutureEventsAreFiledUnderTheirArrival).
		at := day0.Add(time.Duration(d)*24*time.Hour + time.Hour)
		evs = append(evs, event.Event{Time: at, Received: at, Message: "day", ID: "d" + string(rune('a'+d))})
	}
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	// Days ending after now-3d (2026-11-27 12:00) are kept; older events were
	// never stored.
	wantFiles := []string{"2026-11-27.db", "2026-11-28.db", "2026-11-29.db", "2026-11-30.db"}
	if got := dayFiles(t, dir); !slices.Equal(got, wantFiles) {
		t.Fatalf("files %v, want %v", got, wantFiles)
	}
	now = now.Add(24 * time.Hour)
	if err := s.ApplyRetention(); err != nil {
		t.Fatal(err)
	}
	if got := dayFiles(t, dir); !slices.Equal(got, wantFiles[1:]) {
		t.Fatalf("a day later: files %v, want %v", got, wantFiles[1:])
	}
	got := searchAll(t, s, Request{})
	if len(got) != 3 {
		t.Fatalf("%d events left, want 3", len(got))
	}
	s.Close()
	// Open applies retention too.
	now = now.Add(24 * time.Hour)
	s = openStore(t, dir, func(c *Config) { c.Now = clock; c.Retention = 3 * 24 * time.Hour })
	defer s.Close()
	if got := dayFiles(t, dir); !slices.Equal(got, wantFiles[2:]) {
		t.Fatalf("after reopening: files %v, want %v", got, wantFiles[2:])
	}
}

func TestRetentionSize(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	defer s.Close()
	msgs := readMessages(t)
	var evs []event.Event
	for d := range 5 {
		for i := range 2000 {
			evs = append(evs, event.Event{Time: day0.Add(time.Duration(d-3)*24*time.Hour + time.Duration(i)*time.Second), Message: msgs[i%len(msgs)]})
		}
	}
	writeAll(t, s, evs, 1000)
	if got := dayFiles(t, dir); len(got) != 5 {
		t.Fatalf("files %v, want 5", got)
	}
	var sizes []int64
	for _, n := range dayFiles(t, dir) {
		var sz int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(filepath.Join(dir, n+suffix)); err == nil {
				sz += fi.Size()
			}
		}
		sizes = append(sizes, sz)
	}
	// Room for the newest two days and a bit.
	s.cfg.MaxBytes = sizes[3] + sizes[4] + sizes[2]/2
	if err := s.ApplyRetention(); err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"2026-11-20.db", "2026-11-21.db"}
	if got := dayFiles(t, dir); !slices.Equal(got, wantFiles) {
		t.Fatalf("files %v, want %v", got, wantFiles)
	}
	if got := searchAll(t, s, Request{Limit: 1000}); len(got) != 4000 {
		t.Fatalf("%d events left, want 4000", len(got))
	}
	// The newest day is never deleted; the error says what to do.
	s.cfg.MaxBytes = 1
	err := s.ApplyRetention()
	if err == nil || !strings.Contains(err.Error(), "cannot keep the store under 1 bytes: the newest day alone takes") {
		t.Fatalf("ApplyRetention = %v", err)
	}
	if got := dayFiles(t, dir); !slices.Equal(got, wantFiles[1:]) {
		t.Fatalf("files %v, want %v", got, wantFiles[1:])
	}
}

func TestConcurrentReadersDuringWrites(t *testing.T) {
	evs := corpus(t, 6000)
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	writeAll(t, s, evs[:1000], 1000)
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 1000; i < len(evs); i += 250 {
			if err := s.Write(ctx, evs[i:i+250]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	queries := []string{"timeout", "severity:<=error", "group:/aws/lambda/*", `"connection refused" OR fields.status:500`}
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := query.MustParse(queries[r%len(queries)])
			prev := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				got, _, err := s.Search(ctx, Request{Query: q, Limit: 1000})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) < prev && len(got) < 1000 {
					t.Errorf("%q: %d results after %d: the store lost events", q, len(got), prev)
					return
				}
				prev = len(got)
				if _, err := s.Groups(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := searchAll(t, s, Request{Limit: 1000}); len(got) != len(evs) {
		t.Fatalf("%d events stored, want %d", len(got), len(evs))
	}
}

func TestHistogram(t *testing.T) {
	evs := corpus(t, 6000)
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	writeAll(t, s, evs, 1000)
	f := func(q string, since, until time.Time, buckets int, wantInterval time.Duration) {
		t.Helper()
		pq := query.MustParse(q)
		h, err := s.Histogram(context.Background(), pq, since, until, buckets)
		if err != nil {
			t.Fatal(err)
		}
		if h.Interval != wantInterval {
			t.Fatalf("%q: interval %v, want %v", q, h.Interval, wantInterval)
		}
		start := h.Buckets[0].Start
		exp := make([]Counts, len(h.Buckets))
		for _, e := range want(evs, pq, start, start.Add(time.Duration(len(h.Buckets))*h.Interval)) {
			exp[int(e.Time.Sub(start)/h.Interval)][e.Severity]++
		}
		for i, b := range h.Buckets {
			if !b.Start.Equal(start.Add(time.Duration(i) * h.Interval)) {
				t.Fatalf("%q: bucket %d starts at %v", q, i, b.Start)
			}
			if b.Counts != exp[i] {
				t.Fatalf("%q: bucket %d (%v): %v, want %v", q, i, b.Start, b.Counts, exp[i])
			}
		}
	}
	f("", day0, day0.Add(48*time.Hour), 48, time.Hour)
	f("", day0.Add(90*time.Minute+7*time.Second), day0.Add(30*time.Hour), 100, 30*time.Minute)
	f("severity:<=warning group:heroku/*", day0, day0.Add(48*time.Hour), 200, 30*time.Minute)
	f("timeout", day0, day0.Add(48*time.Hour), 60, time.Hour)
	f("-severity:debug fields.status:200", day0.Add(time.Hour), day0.Add(2*time.Hour), 100, time.Minute)
	f("", day0.Add(time.Hour), day0.Add(time.Hour+time.Minute), 10, 10*time.Second)

	if _, err := s.Histogram(context.Background(), nil, day0, day0, 10); err == nil {
		t.Error("Histogram with since == until succeeded")
	}
}

func TestGroupsAndStreams(t *testing.T) {
	evs := corpus(t, 3000)
	s := openStore(t, t.TempDir(), nil)
	defer s.Close()
	writeAll(t, s, evs, 1000)
	gs, err := s.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type agg struct {
		last   time.Time
		counts Counts
		hour   int64
	}
	expG := map[string]*agg{}
	expS := map[string]*agg{}
	for _, e := range evs {
		for _, m := range []struct {
			m map[string]*agg
			k string
		}{{expG, e.Group}, {expS, e.Group + "|" + e.Stream}} {
			a := m.m[m.k]
			if a == nil {
				a = &agg{}
				m.m[m.k] = a
			}
			a.counts[e.Severity]++
			if e.Time.After(a.last) {
				a.last = e.Time
			}
			if e.Time.Unix()/60 >= testNow().Add(-time.Hour).Unix()/60 {
				a.hour++
			}
		}
	}
	if len(gs) != len(expG) {
		t.Fatalf("%d groups, want %d", len(gs), len(expG))
	}
	for i, g := range gs {
		e := expG[g.Name]
		if e == nil || !g.Last.Equal(e.last) || g.Counts != e.counts || g.LastHour != e.hour {
			t.Errorf("group %+v, want %+v", g, e)
		}
		if i > 0 && gs[i-1].Last.Before(g.Last) {
			t.Errorf("groups not most recent first: %v before %v", gs[i-1].Last, g.Last)
		}
		sts, err := s.Streams(context.Background(), g.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(sts) != 3 {
			t.Errorf("group %s: %d streams, want 3", g.Name, len(sts))
		}
		for _, st := range sts {
			e := expS[g.Name+"|"+st.Name]
			if e == nil || st.Group != g.Name || !st.Last.Equal(e.last) || st.Counts != e.counts {
				t.Errorf("stream %+v, want %+v", st, e)
			}
		}
	}
	if sts, err := s.Streams(context.Background(), "nope"); err != nil || len(sts) != 0 {
		t.Errorf("Streams(nope) = %v, %v", sts, err)
	}
}

func TestConfigValidate(t *testing.T) {
	f := func(c Config, want string) {
		t.Helper()
		err := c.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("Validate(%+v) = %q, want %q", c, got, want)
		}
	}
	f(Config{Dir: "x"}, "")
	f(Config{}, "dir: must be set, e.g. ./sluice-data/store")
	f(Config{Dir: "x", Retention: -1, MaxBytes: -1}, "retention: cannot use -1ns: want a positive duration such as 168h\nmax_bytes: cannot use -1: want 0 (no limit) or a positive size")
	if _, err := Open(Config{}); err == nil || err.Error() != "cannot open store: dir: must be set, e.g. ./sluice-data/store" {
		t.Errorf("Open(Config{}) = %v", err)
	}
}
