package route

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// runKept applies tr to a sequence of events, one per second from testNow,
// each given as "proc message", and returns which were kept as a string of
// K (kept) and - (dropped).
func runKept(t *testing.T, tr Transform, step time.Duration, lines ...string) string {
	t.Helper()
	var b strings.Builder
	now := testNow
	for _, l := range lines {
		proc, msg, _ := strings.Cut(l, " ")
		e := &event.Event{App: "app", Proc: proc, Message: msg}
		if tr.Apply(e, now) {
			b.WriteByte('K')
		} else {
			b.WriteByte('-')
		}
		now = now.Add(step)
	}
	return b.String()
}

func repeat(line string, n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = line
	}
	return lines
}

func TestSample(t *testing.T) {
	f := func(s Sample, want string, lines ...string) {
		t.Helper()
		tr := mustNew(t, Spec{Sample: &s})
		if got := runKept(t, tr, time.Second, lines...); got != want {
			t.Errorf("sample %+v: got %s, want %s", s, got, want)
		}
		if got, want := tr.(Dropper).Dropped(), uint64(strings.Count(want, "-")); got != want {
			t.Errorf("sample %+v: Dropped() = %d, want %d", s, got, want)
		}
	}
	f(Sample{Rate: 3}, "K--K--K", repeat("router at=info status=200", 7)...)
	f(Sample{Rate: 1}, "KKKK", repeat("router at=info status=200", 4)...)
	// Per key: the first of each key is kept.
	f(Sample{Rate: 2, Key: "{proc}"}, "KKK-K---",
		"router a", "web.1 b", "worker.1 c", "router d", "router e", "web.1 f", "worker.1 g", "router h")
}

func TestSampleForgetsTheLeastRecentlyUsedKey(t *testing.T) {
	tr, err := newSample(Sample{Rate: 10, Key: "{proc}"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// web.1 is forgotten when worker.1 comes, so it starts again (kept);
	// router, used since, is remembered (dropped).
	got := runKept(t, tr, time.Second, "web.1 a", "router b", "router c", "worker.1 d", "web.1 e", "router f")
	if want := "KK-KKK"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestThrottle(t *testing.T) {
	f := func(s Throttle, step time.Duration, want string, lines ...string) {
		t.Helper()
		tr := mustNew(t, Spec{Throttle: &s})
		if got := runKept(t, tr, step, lines...); got != want {
			t.Errorf("throttle %+v every %s: got %s, want %s", s, step, got, want)
		}
		if got, want := tr.(Dropper).Dropped(), uint64(strings.Count(want, "-")); got != want {
			t.Errorf("throttle %+v: Dropped() = %d, want %d", s, got, want)
		}
	}
	// 2 per 5 s, one event a second: windows start at 0 s, 5 s, 10 s.
	f(Throttle{Limit: 2, Window: 5 * time.Second}, time.Second, "KK---KK---KK", repeat("web.1 x", 12)...)
	// The default window is a minute.
	f(Throttle{Limit: 3}, 10*time.Second, "KKK---KKK", repeat("web.1 x", 9)...)
	// Per key.
	f(Throttle{Limit: 1, Window: time.Minute, Key: "{proc}"}, time.Second, "KK-K--",
		"router a", "web.1 b", "router c", "worker.1 d", "web.1 e", "worker.1 f")
}

func TestThrottleClockGoingBack(t *testing.T) {
	tr := mustNew(t, Spec{Throttle: &Throttle{Limit: 1, Window: time.Minute}})
	e := &event.Event{Message: "x"}
	if !tr.Apply(e, testNow) {
		t.Fatal("first event dropped")
	}
	// An hour back: the window that "ends" 61 minutes later is not trusted.
	if !tr.Apply(e, testNow.Add(-time.Hour)) {
		t.Error("event after the clock went back dropped")
	}
}

func TestThrottleForgetsTheLeastRecentlyUsedKey(t *testing.T) {
	tr, err := newThrottle(Throttle{Limit: 1, Window: time.Hour, Key: "{proc}"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// worker.1 evicts web.1, web.1 then evicts router, router evicts
	// worker.1: each starts a new window.
	got := runKept(t, tr, time.Second, "web.1 a", "router b", "router c", "worker.1 d", "web.1 e", "router f")
	if want := "KK-KKK"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
