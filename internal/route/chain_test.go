package route

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
)

func TestChain(t *testing.T) {
	where, err := CompileWhere(`severity <= warning || fields.status >= 500`)
	if err != nil {
		t.Fatal(err)
	}
	// A stand-in for a CloudWatch filter pattern: lines without "DEBUG".
	pattern := func(msg string) bool { return !strings.Contains(msg, "DEBUG") }
	c := NewChain(where, pattern, []Transform{
		mustNew(t, Spec{Drop: &Drop{Where: `proc == "router" && fields.status == 502`}}),
		mustNew(t, Spec{Set: &Set{Field: "team", Expr: `group startsWith "/aws/lambda/" ? "payments" : "web"`}}),
		mustNew(t, Spec{Sample: &Sample{Rate: 2, Key: "{group}"}}),
		mustNew(t, Spec{Severity: &Severity{From: "level"}}),
	})
	events := testEvents(t)
	var kept []event.Event
	for i := range events {
		if c.Process(&events[i], testNow) {
			kept = append(kept, events[i])
		}
	}
	// Where: severity warning or worse, or a 5xx: h.1 h.2 h.5 h.6 h.7
	// h.10 l.2 l.5. Drop: h.2 (502). Sample 1 in 2 per group: h.1 h.6
	// h.10 of heroku, l.2 of lambda.
	if got, want := ids(kept), "h.1 h.6 h.10 l.2"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	for _, e := range kept {
		if team, _ := e.Field("team"); (team.Value == "payments") != strings.HasPrefix(e.Group, "/aws/lambda/") {
			t.Errorf("%s: team %q", e.ID, team.Value)
		}
	}
	want := ChainStats{
		Where: 9, Pattern: 0,
		Transforms: []TransformStats{
			{Index: 0, Kind: "drop", Dropped: 1},
			{Index: 1, Kind: "set"},
			{Index: 2, Kind: "sample", Dropped: 3},
			{Index: 3, Kind: "severity"},
		},
	}
	if diff := cmp.Diff(want, c.Stats()); diff != "" {
		t.Errorf("Stats() (-want +got):\n%s", diff)
	}
	if !c.Next().IsZero() {
		t.Errorf("Next() = %v with no dedupe", c.Next())
	}
}

func TestChainPatternAndNoWhere(t *testing.T) {
	c := NewChain(nil, func(msg string) bool { return strings.Contains(msg, "timeout") || strings.Contains(msg, "timed out") }, nil)
	events := testEvents(t)
	var kept []event.Event
	for i := range events {
		if c.Process(&events[i], testNow) {
			kept = append(kept, events[i])
		}
	}
	if got, want := ids(kept), "h.1 h.5 h.10 l.2"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	if s := c.Stats(); s.Where != 0 || s.Pattern != uint64(len(events)-4) {
		t.Errorf("Stats() = %+v", s)
	}
}

// TestChainSummariesGoThroughLaterTransforms: a dedupe keeps the event as
// it was before the redact after it; its summary must be redacted too.
func TestChainSummariesGoThroughLaterTransforms(t *testing.T) {
	c := NewChain(nil, nil, []Transform{
		mustNew(t, Spec{Dedupe: &Dedupe{Window: 30 * time.Second}}),
		mustNew(t, Spec{Redact: &Redact{Patterns: []string{"email"}}}),
		mustNew(t, Spec{Drop: &Drop{Where: `fields["dedupe.count"] > 5`}}),
	})
	line := func(msg string) *event.Event {
		return &event.Event{Host: "host", App: "app", Proc: "web.1", Message: msg}
	}
	now := testNow
	for i := range 3 {
		e := line("password reset for jane@example.com failed")
		if kept := c.Process(e, now.Add(time.Duration(i)*time.Second)); kept != (i == 0) {
			t.Fatalf("event %d: kept = %v", i, kept)
		}
		if i == 0 && e.Message != "password reset for [REDACTED] failed" {
			t.Errorf("first event not redacted: %s", e.Message)
		}
	}
	for range 7 {
		c.Process(line("noisy"), now)
	}
	if got, want := c.Next(), now.Add(30*time.Second); !got.Equal(want) {
		t.Fatalf("Next() = %v, want %v", got, want)
	}
	var got []string
	c.Flush(now.Add(30*time.Second), func(e *event.Event) { got = append(got, e.Message) })
	// The summary of "noisy" (6 repeats) is dropped by the last transform.
	if want := []string{"password reset for [REDACTED] failed (repeated 2 times)"}; !cmp.Equal(got, want) {
		t.Errorf("Flush emitted %q, want %q", got, want)
	}
	s := c.Stats()
	if s.Transforms[0].Dropped != 8 || s.Transforms[2].Dropped != 1 {
		t.Errorf("Stats() = %+v", s)
	}
	if !c.Next().IsZero() {
		t.Errorf("Next() = %v after the flush", c.Next())
	}
}

type upper struct{}

func (upper) Apply(e *event.Event, _ time.Time) bool {
	e.Message = strings.ToUpper(e.Message)
	return e.Message != ""
}

func TestChainStatsOfOtherTransforms(t *testing.T) {
	c := NewChain(nil, nil, []Transform{upper{}})
	c.Process(&event.Event{}, testNow)
	e := &event.Event{Message: "a"}
	c.Process(e, testNow)
	if e.Message != "A" {
		t.Errorf("message %q", e.Message)
	}
	want := []TransformStats{{Index: 0, Kind: "route.upper", Dropped: 1}}
	if diff := cmp.Diff(want, c.Stats().Transforms); diff != "" {
		t.Errorf("Stats().Transforms (-want +got):\n%s", diff)
	}
}
