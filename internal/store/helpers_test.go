package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// day0 is the first day of the generated corpus; the clock of the tests
// stands at the end of day0+1.
var day0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func testNow() time.Time { return day0.Add(48*time.Hour - time.Second) }

func readMessages(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "messages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

var groups = [...]struct{ group, app string }{
	{"heroku/shop", "app"}, {"heroku/api", "app"}, {"/aws/lambda/orders", ""}, {"/aws/lambda/billing", ""}, {"web01", "sshd"},
}

// corpus generates n events over two days, with known structure: event i
// has message msgs[i%len(msgs)], severity i%8, group groups[i%5], stream
// "web.(i%3+1)", field status 200+(i%4)*100, an ID unless i%10 == 9, and
// a time that mostly increases, with runs of equal times (i%50 < 3 share
// one) and some events out of order.
func corpus(t testing.TB, n int) []event.Event {
	msgs := readMessages(t)
	evs := make([]event.Event, n)
	step := 2 * 24 * time.Hour / time.Duration(n+1)
	for i := range evs {
		g := groups[i%len(groups)]
		tm := day0.Add(time.Duration(i) * step)
		if i%50 < 3 {
			tm = day0.Add(time.Duration(i-i%50) * step)
		}
		if i%97 == 5 {
			tm = tm.Add(-time.Duration(i%13) * step)
		}
		e := event.Event{
			Time:     tm,
			Received: tm.Add(time.Second),
			Severity: event.Severity(i % 8),
			Host:     "host" + fmt.Sprint(i%2),
			App:      g.app,
			Proc:     fmt.Sprintf("web.%d", i%3+1),
			Message:  msgs[i%len(msgs)],
			Group:    g.group,
			Stream:   fmt.Sprintf("web.%d", i%3+1),
			Source:   "test",
		}
		if i%10 != 9 {
			e.ID = fmt.Sprintf("ev-%06d", i)
		}
		e.AddNumber("status", fmt.Sprint(200+(i%4)*100))
		if i%6 == 0 {
			e.AddString("level", []string{"error", "WARN", "info"}[i%3])
		}
		evs[i] = e
	}
	return evs
}

func openStore(t testing.TB, dir string, mod func(*Config)) *Store {
	t.Helper()
	cfg := Config{Dir: dir, Now: testNow, Retention: 30 * 24 * time.Hour}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeAll(t testing.TB, s *Store, evs []event.Event, batch int) {
	t.Helper()
	for i := 0; i < len(evs); i += batch {
		if err := s.Write(context.Background(), evs[i:min(i+batch, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
}

// searchAll pages through a search and checks the pages: newest first, no
// event twice.
func searchAll(t testing.TB, s *Store, req Request) []event.Event {
	t.Helper()
	var all []event.Event
	seen := map[string]bool{}
	for page := 0; ; page++ {
		evs, next, err := s.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("Search(%q): %v", req.Query.String(), err)
		}
		if len(evs) > max(req.Limit, 0) && req.Limit > 0 {
			t.Fatalf("Search(%q) returned %d events, more than the limit %d", req.Query.String(), len(evs), req.Limit)
		}
		for _, e := range evs {
			key := e.ID + "|" + e.Time.String() + "|" + e.Message
			if e.ID != "" && seen[e.ID] {
				t.Fatalf("Search(%q): event %s on two pages", req.Query.String(), key)
			}
			seen[e.ID] = true
			if n := len(all); n > 0 && all[n-1].Time.Before(e.Time.Truncate(time.Microsecond)) {
				t.Fatalf("Search(%q): %v after %v: not newest first", req.Query.String(), e.Time, all[n-1].Time)
			}
			all = append(all, e)
		}
		if next == "" {
			return all
		}
		req.Cursor = next
		if page > 100000 {
			t.Fatal("too many pages")
		}
	}
}

// want returns the events of evs that q matches within [since, until).
func want(evs []event.Event, q *query.Query, since, until time.Time) []event.Event {
	var out []event.Event
	for i := range evs {
		e := &evs[i]
		if !since.IsZero() && e.Time.Before(since) || !until.IsZero() && !e.Time.Before(until) {
			continue
		}
		if q.Match(e) {
			out = append(out, *e)
		}
	}
	return out
}

// keys returns sortable identities of events (ID or, without one, time and
// message).
func keys(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s|%d|%s|%d", e.ID, e.Time.UnixNano(), e.Group, e.Severity)
	}
	slices.Sort(out)
	return out
}
