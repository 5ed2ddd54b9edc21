package route

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// dedupeRun feeds a dedupe the steps: "at SECONDS LINE" applies an event
// (a Heroku app line, "proc message") at testNow+SECONDS, "flush SECONDS"
// flushes at that time. It returns what happened, one entry per step:
// K or - for an event, the summaries' messages for a flush, and Next()
// after each step as +SECONDS ("+0" when nothing is pending).
func dedupeRun(t *testing.T, tr Transform, steps ...string) string {
	t.Helper()
	p := tr.(Pending)
	var out []string
	for _, step := range steps {
		verb, rest, _ := strings.Cut(step, " ")
		secs, line, _ := strings.Cut(rest, " ")
		d, err := time.ParseDuration(secs + "s")
		if err != nil {
			t.Fatalf("bad step %q", step)
		}
		now := testNow.Add(d)
		var got string
		switch verb {
		case "at":
			proc, msg, _ := strings.Cut(line, " ")
			// The event's strings come from a buffer reused after Apply,
			// as in a source or a sink: the dedupe must copy what it keeps.
			buf := []byte(proc + " " + msg)
			e := &event.Event{Host: "host", App: "app", Proc: string(buf[:len(proc)]), Message: string(buf[len(proc)+1:]), ID: "frame." + secs, Raw: "<190>1 raw " + msg}
			if tr.Apply(e, now) {
				got = "K"
			} else {
				got = "-"
			}
			clear(buf)
		case "flush":
			var sums []string
			p.Flush(now, func(e *event.Event) {
				n, _ := e.Field(DedupeCountField)
				sums = append(sums, "["+e.Proc+" "+e.Message+" count="+n.Value+" id="+e.ID+" raw="+e.Raw+"]")
			})
			got = strings.Join(sums, "")
		default:
			t.Fatalf("bad step %q", step)
		}
		next := "+0"
		if n := p.Next(); !n.IsZero() {
			next = "+" + n.Sub(testNow).String()
		}
		out = append(out, got+next)
	}
	return strings.Join(out, " ")
}

func TestDedupe(t *testing.T) {
	f := func(d Dedupe, want string, steps ...string) {
		t.Helper()
		tr := mustNew(t, Spec{Dedupe: &d})
		if got := dedupeRun(t, tr, steps...); got != want {
			t.Errorf("dedupe %+v\ngot  %s\nwant %s", d, got, want)
		}
	}
	const boom = "web.1 PG::ConnectionBad: could not connect to server"
	// A burst of the same line: the first passes, a summary follows when
	// the window ends.
	f(Dedupe{Window: 10 * time.Second},
		"K+0 -+10s -+10s K+10s -+10s +10s [web.1 PG::ConnectionBad: could not connect to server (repeated 3 times) count=3 id=frame.0.repeated raw=]+0 K+0",
		"at 0 "+boom, "at 1 "+boom, "at 2 "+boom, "at 3 web.1 other line", "at 9.5 "+boom, "flush 9.9", "flush 10", "at 11 "+boom)
	// One repeat: singular wording.
	f(Dedupe{Window: time.Minute},
		"K+0 -+1m0s [web.1 x (repeated 1 time) count=1 id=frame.0.repeated raw=]+0",
		"at 0 web.1 x", "at 5 web.1 x", "flush 60")
	// No repeats: no summary.
	f(Dedupe{}, "K+0 K+0 +0", "at 0 web.1 x", "at 1 web.2 x", "flush 120")
	// The window ended before anyone flushed: the next event starts a new
	// window and the old summary is still due.
	f(Dedupe{Window: 10 * time.Second},
		"K+0 -+10s K+10s -+10s [web.1 x (repeated 1 time) count=1 id=frame.0.repeated raw=]+30s [web.1 x (repeated 1 time) count=1 id=frame.20.repeated raw=]+0",
		"at 0 web.1 x", "at 1 web.1 x", "at 20 web.1 x", "at 21 web.1 x", "flush 25", "flush 30")
	// The key decides what is the same.
	f(Dedupe{Key: "{proc}", Window: 10 * time.Second},
		"K+0 -+10s K+10s [web.1 a (repeated 1 time) count=1 id=frame.0.repeated raw=]+0",
		"at 0 web.1 a", "at 1 web.1 b", "at 2 web.2 c", "flush 10")
}

func TestDedupeEvictedKeyKeepsItsSummary(t *testing.T) {
	tr, err := newDedupe(Dedupe{Window: 10 * time.Second}, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := dedupeRun(t, tr, "at 0 web.1 a", "at 1 web.1 a", "at 2 web.1 b", "at 3 web.1 b", "flush 10", "flush 12")
	want := "K+0 -+10s K+10s -+10s [web.1 a (repeated 1 time) count=1 id=frame.0.repeated raw=]+12s [web.1 b (repeated 1 time) count=1 id=frame.2.repeated raw=]+0"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDedupeSummaryKeepsTheFirstEvent(t *testing.T) {
	tr := mustNew(t, Spec{Dedupe: &Dedupe{Window: time.Minute}})
	first := eventByID(t, "h.5")
	want := first.Clone()
	tr.Apply(first, testNow)
	again := eventByID(t, "h.5")
	again.ID, again.Time = "h.5-again", testNow
	tr.Apply(again, testNow.Add(time.Second))
	var got []event.Event
	tr.(Pending).Flush(testNow.Add(time.Minute), func(e *event.Event) { got = append(got, e.Clone()) })
	if len(got) != 1 {
		t.Fatalf("got %d summaries, want 1", len(got))
	}
	want.Message += " (repeated 1 time)"
	want.ID += ".repeated"
	want.Fields = append(want.Fields, event.Field{Key: "dedupe.count", Value: "1", Type: event.Number})
	if g, w := eventJSON(&got[0]), eventJSON(&want); g != w {
		t.Errorf("summary\ngot  %s\nwant %s", g, w)
	}
}

// TestDedupeMemoryIsBounded checks that many distinct lines keep at most
// MaxKeys windows.
func TestDedupeMemoryIsBounded(t *testing.T) {
	tr, err := newDedupe(Dedupe{Window: time.Hour}, 100)
	if err != nil {
		t.Fatal(err)
	}
	e := &event.Event{Proc: "web.1"}
	for i := range 10000 {
		e.Message = "request " + string(rune('a'+i%26)) + strings.Repeat("x", i%500)
		tr.Apply(e, testNow)
	}
	if len(tr.keys.slots) > 100 {
		t.Errorf("%d windows kept, want at most 100", len(tr.keys.slots))
	}
}
