package syslog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// octetFrame returns s octet-counted.
func octetFrame(s string) string { return fmt.Sprintf("%d %s", len(s), s) }

const logplexExample = "83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n" +
	"119 <40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n"

func TestSplitOctetCounted(t *testing.T) {
	f := func(body string, max int, want ...string) {
		t.Helper()
		var got []string
		err := SplitOctetCounted(body, max, func(frame string, off int) error {
			got = append(got, fmt.Sprintf("%d:%s", off, frame))
			return nil
		})
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FrameError", err)
			}
			got = append(got, "ERR "+err.Error())
		}
		if !slices.Equal(got, want) {
			t.Fatalf("body %q:\n got %q\nwant %q", body, got, want)
		}
	}
	const e = "ERR cannot split syslog frames: at byte "
	f("", 0)
	f("\n", 0)
	f(logplexExample, 0,
		"0:<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n",
		"86:<40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n")
	f("3 abc\r\n3 def\n", 0, "0:abc", "7:def")
	f("3 abc3 def", 3, "0:abc", "5:def")
	f("3 abc4 defg", 3, "0:abc", e+"5: frame of 4 bytes exceeds maximum of 3")
	f("3 abcxyz", 0, "0:abc", e+"5: expected a frame length, found 'x'")
	f("3 abc 3 def", 0, "0:abc", e+"5: expected a frame length, found ' '")
	f("3 abc10 de", 0, "0:abc", e+"5: truncated frame: 2 of 10 bytes")
	f("3 abc10", 0, "0:abc", e+"5: truncated frame: no SP after frame length")
	f("3 abc10x", 0, "0:abc", e+"5: expected SP after frame length, found 'x'")
	f("03 abc", 0, e+"0: frame length starts with 0")
	f("0 ", 0, e+"0: frame length starts with 0")
	f("99999999999 x", 0, e+"0: frame length has more than 10 digits")
	f("9999999999 x", 0, e+"0: frame of 9999999999 bytes exceeds maximum of 65536")
	f("<13>1 - - - - - no framing", 0, e+"0: expected a frame length, found '<'")

	stop := errors.New("stop")
	if err := SplitOctetCounted("3 abc3 def", 0, func(string, int) error { return stop }); err != stop {
		t.Fatalf("error from fn: got %v", err)
	}
}

func TestParseLogplex(t *testing.T) {
	evs, res := ParseLogplex(logplexExample, nil)
	if res != (LogplexResult{Frames: 2}) || len(evs) != 2 {
		t.Fatalf("result %+v, %d events", res, len(evs))
	}
	want := []event.Event{
		wantEvent(t, "2012-11-30T06:45:29Z", 40, "host", "app", "web.3", "", "State changed from starting to up"),
		wantEvent(t, "2012-11-30T06:45:26Z", 40, "host", "app", "web.3", "", "Starting process with command `bundle exec rackup config.ru -p 24405`"),
	}
	for i := range want {
		if d := diffEvent(evs[i], want[i]); d != "" {
			t.Fatalf("event %d (-want +got):\n%s", i, d)
		}
	}

	// A frame that does not parse is kept raw, and counted.
	bad := "<13>1 2024-13-01T00:00:00Z host app web.1 - bad month\n"
	body := octetFrame("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - one\n") + octetFrame(bad) +
		octetFrame(`<190>1 2024-05-01T12:00:01+00:00 host app web.1 - [origin ip="192.0.2.1"] three`+"\n")
	// Reuse a dst whose elements hold stale data.
	dst := make([]event.Event, 1, 8)
	dst = dst[:cap(dst)]
	for i := range dst {
		dst[i] = event.Event{Host: "stale", Source: "stale", Fields: make([]event.Field, 1, 4)}
	}
	fieldsCap := &dst[3].Fields[:1][0]
	evs, res = ParseLogplex(body, dst[:1])
	if res.Frames != 3 || res.Malformed != 1 || res.FramingError != nil || len(evs) != 4 {
		t.Fatalf("result %+v, %d events", res, len(evs))
	}
	wantErr := "cannot parse RFC 5424 line: TIMESTAMP at column 12: month 13 out of range"
	var pe *ParseError
	if !errors.As(res.FirstError, &pe) || res.FirstError.Error() != wantErr {
		t.Fatalf("FirstError %v", res.FirstError)
	}
	if evs[0].Host != "stale" {
		t.Fatalf("dst[0] was overwritten")
	}
	if d := diffEvent(evs[1], wantEvent(t, "2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", "one")); d != "" {
		t.Fatalf("event 1 (-want +got):\n%s", d)
	}
	raw := wantEvent(t, "", 0, "", "", "", "", strings.TrimSuffix(bad, "\n"), "parse_error="+wantErr)
	raw.Severity, raw.SeveritySource, raw.Facility = event.Info, event.SeverityUnset, event.FacilityNone
	if d := diffEvent(evs[2], raw); d != "" {
		t.Fatalf("malformed event (-want +got):\n%s", d)
	}
	if d := diffEvent(evs[3], wantEvent(t, "2024-05-01T12:00:01Z", 190, "host", "app", "web.1", "", "three", "origin.ip=192.0.2.1")); d != "" {
		t.Fatalf("event 3 (-want +got):\n%s", d)
	}
	if &evs[3].Fields[0] != fieldsCap {
		t.Fatalf("Fields capacity of dst was not reused")
	}

	// Framing errors end the body; what came before is kept.
	f := func(body string, frames int, wantErr string) {
		t.Helper()
		evs, res := ParseLogplex(body, nil)
		var fe *FrameError
		if res.Frames != frames || len(evs) != frames || !errors.As(res.FramingError, &fe) || res.FramingError.Error() != wantErr {
			t.Fatalf("body %q: %d events, result %+v", body, len(evs), res)
		}
	}
	f(logplexExample+"junk", 2, "cannot split syslog frames: at byte 209: expected a frame length, found 'j'")
	f(logplexExample+"83 <40>1 2012", 2, "cannot split syslog frames: at byte 209: truncated frame: 10 of 83 bytes")
	f("<40>1 2012-11-30T06:45:29+00:00 host app web.3 - not framed\n", 0, "cannot split syslog frames: at byte 0: expected a frame length, found '<'")
}

func TestParseLogplexNoAllocs(t *testing.T) {
	body := herokuBody(50)
	dst := make([]event.Event, 0, 50)
	allocs := testing.AllocsPerRun(100, func() {
		var res LogplexResult
		dst, res = ParseLogplex(body, dst[:0])
		if res.Frames != 50 || res.Malformed != 0 || res.FramingError != nil {
			t.Fatalf("result %+v", res)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseLogplex allocates %v times per body", allocs)
	}
}

func TestParse5424Allocs(t *testing.T) {
	f := func(line string, want float64) {
		t.Helper()
		var e event.Event
		allocs := testing.AllocsPerRun(100, func() {
			e.Reset()
			if err := Parse5424(line, &e); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != want {
			t.Fatalf("Parse5424(%q): %v allocations, want %v", line, allocs, want)
		}
	}
	f(herokuLines[0], 0)
	f(herokuLines[1], 0)
	f("<13>1 - h a p m [y][z] msg", 0)
	f(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`, 1)
	f(`<13>1 - h a p m [x a="\"q\""] msg`, 2)
	// STRUCTURED-DATA that turns out to be MSG costs nothing.
	f("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - [8a1b5c2e-1111-2222-3333-444455556666] Started GET \"/\"\n", 0)
	f(`<13>1 - h a p m [x a="\"q\""]msg`, 0)
	f(`<13>1 - h a p m [x a="b" c="d"][nodemon] x`, 0)
	f("<30>1 2024-05-01T12:00:00.123456+08:00 a.vm docker/billing-api-worker/0123456789ab 1787791 docker/billing-api-worker/0123456789ab - msg", 0)
}

// TestParse5424SDFallback checks that when STRUCTURED-DATA turns out to be
// MSG, the fields parsed on the way are removed and the event's existing
// fields are kept.
func TestParse5424SDFallback(t *testing.T) {
	f := func(line, wantMsg string) {
		t.Helper()
		e := event.Event{Fields: make([]event.Field, 1, 8)}
		e.Fields[0] = event.Field{Key: "k", Value: "v"}
		if err := Parse5424(line, &e); err != nil {
			t.Fatalf("Parse5424(%q): %v", line, err)
		}
		if e.Message != wantMsg || len(e.Fields) != 1 || e.Fields[0].Key != "k" {
			t.Fatalf("Parse5424(%q): message %q, fields %+v", line, e.Message, e.Fields)
		}
		if rest := e.Fields[1:cap(e.Fields)]; rest[0] != (event.Field{}) || rest[1] != (event.Field{}) {
			t.Fatalf("Parse5424(%q): stale fields left in the capacity: %+v", line, rest)
		}
	}
	f(`<13>1 - h a p m [x a="b" c="d"][nodemon] x`, `[x a="b" c="d"][nodemon] x`)
	f(`<13>1 - h a p m [x a="b"][y c="d"]junk`, `[x a="b"][y c="d"]junk`)
	f(`<13>1 - h a p m [x a="b"][y c="d`, `[x a="b"][y c="d`)
}

// TestParseLogplexBrackets checks that Heroku app lines starting with '['
// are events with their whole text as message, not malformed frames.
func TestParseLogplexBrackets(t *testing.T) {
	msgs := []string{
		`[8a1b5c2e-1111-2222-3333-444455556666] Started GET "/" for 1.2.3.4 at 2024-05-01 12:00:00 +0000`,
		`[2024-05-01 12:00:00 +0000] [7] [ERROR] Exception in worker process`,
		`[Worker(host:abc pid:4)] Job SendEmail (id=42) RUNNING`,
		`[3] Puma starting in cluster mode...`,
		`[nodemon] starting ` + "`node index.js`",
	}
	var body strings.Builder
	for _, m := range msgs {
		body.WriteString(octetFrame("<190>1 2024-05-01T12:00:00+00:00 host app web.1 - " + m + "\n"))
	}
	evs, res := ParseLogplex(body.String(), nil)
	if res.Frames != len(msgs) || res.Malformed != 0 || res.FramingError != nil {
		t.Fatalf("result %+v", res)
	}
	for i, m := range msgs {
		if d := diffEvent(evs[i], wantEvent(t, "2024-05-01T12:00:00Z", 190, "host", "app", "web.1", "", m)); d != "" {
			t.Fatalf("event %d (-want +got):\n%s", i, d)
		}
	}
}

// herokuLines are realistic Logplex frames: router, app and platform lines.
var herokuLines = []string{
	`<190>1 2024-05-01T12:00:00.123456+00:00 host app web.1 - Started GET "/" for 10.1.2.3 at 2024-05-01 12:00:00 +0000` + "\n",
	`<158>1 2024-05-01T12:00:00.223456+00:00 host heroku router - at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=0ms service=18ms status=200 bytes=13 protocol=https` + "\n",
	`<190>1 2024-05-01T12:00:00.323456+00:00 host app web.1 - Completed 200 OK in 12ms (Views: 8.1ms | ActiveRecord: 1.2ms | Allocations: 4242)` + "\n",
	`<45>1 2024-05-01T12:00:01+00:00 host heroku web.2 - Process running mem=512M(100.0%)` + "\n",
	`<190>1 2024-05-01T12:00:01.423456+00:00 host app worker.1 - {"level":"info","msg":"job done","job":"SendEmail","duration_ms":42}` + "\n",
}

// herokuBody returns n octet-counted frames cycling through herokuLines.
func herokuBody(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(octetFrame(herokuLines[i%len(herokuLines)]))
	}
	return b.String()
}
