package parse

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

var fixedNow = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

func readAll(t *testing.T, rd Reader, in []byte) ([]event.Event, Result, error) {
	t.Helper()
	rd.Now = func() time.Time { return fixedNow }
	var got []event.Event
	res, err := rd.Read(bytes.NewReader(in), func(e *event.Event) error {
		got = append(got, e.Clone())
		return nil
	})
	return got, res, err
}

func TestDetect(t *testing.T) {
	f := func(in string, want Format) {
		t.Helper()
		if got := Detect([]byte(in)); got != want {
			t.Fatalf("Detect(%q) = %s, want %s", in, got, want)
		}
	}
	f("", FormatLines)
	f("hello world", FormatLines)
	f("83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n", FormatLogplex)
	f("12 is a number", FormatLines)
	f("157 <155>1 2026-11-20T23:06:18.573228+00:00 vm billing - - [timeQuality tzKnown=\"1\"] x", FormatSyslog)
	f("<34>Oct 11 22:14:15 mymachine su: 'su root' failed", FormatSyslog)
	f("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - x", FormatSyslog)
	f(`{"requestId":"ed4acda5","timestamp":1578090901599,"records":[]}`, FormatFirehose)
	f(`{"awslogs":{"data":"H4sI"}}`, FormatCloudWatch)
	f(`[{"awslogs":{"data":"H4sI"}}]`, FormatCloudWatch)
	f(`{"messageType":"DATA_MESSAGE","logEvents":[]}`, FormatCWDocument)
	f("\x1f\x8b\x08\x00", FormatCWDocument)
	f(`{"severity":6,"severity_name":"info","message":"x"}`, FormatEvents)
	f(`{"level":"info","msg":"x"}`, FormatLines)
	f("  \n<13>1 - - - - - - x", FormatSyslog)
}

func TestReadExamples(t *testing.T) {
	f := func(file string, wantFormat Format, wantEvents, wantControl int) []event.Event {
		t.Helper()
		in, err := os.ReadFile("../../examples/" + file)
		if err != nil {
			t.Fatal(err)
		}
		got, res, err := readAll(t, Reader{}, in)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if res.Format != wantFormat || res.Events != wantEvents || len(got) != wantEvents || res.Control != wantControl || res.Malformed != 0 {
			t.Fatalf("%s: result %+v with %d events; want format %s, %d events, %d control messages",
				file, res, len(got), wantFormat, wantEvents, wantControl)
		}
		for _, e := range got {
			if !e.Received.Equal(fixedNow) {
				t.Fatalf("%s: received %v, want %v", file, e.Received, fixedNow)
			}
		}
		return got
	}
	drain := f("heroku-drain.logplex", FormatLogplex, 11, 0)
	if drain[2].Message != `Started GET "/" for 204.204.204.204 at 2024-05-01 12:00:01 +0000` || drain[2].Group != "heroku" || drain[2].Stream != "web.1" {
		t.Fatalf("drain event 2: %+v", drain[2])
	}
	fh := f("firehose-request.json", FormatFirehose, 9, 1)
	if fh[0].Group != "/aws/lambda/checkout" || fh[0].ID == "" || fh[2].Severity != event.Error {
		t.Fatalf("firehose events: %+v / %+v", fh[0], fh[2])
	}
	if fh[5].Group != "/aws/lambda/resize-images" || fh[6].Severity != event.Error {
		t.Fatalf("timeout line not an error: %+v", fh[6])
	}
	cw := f("cloudwatch-event.json", FormatCloudWatch, 6, 0)
	if cw[3].Severity != event.Error || cw[3].SeveritySource != event.SeverityField {
		t.Fatalf("JSON error line in a Lambda group: %+v", cw[3])
	}
}

func TestReadSyslogStream(t *testing.T) {
	in := "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n" +
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...\n" +
		"not syslog at all\n"
	got, res, err := readAll(t, Reader{Format: FormatSyslog}, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || res.Malformed != 0 {
		t.Fatalf("got %d events, result %+v", len(got), res)
	}
	if got[0].Host != "mymachine" || got[0].App != "su" || got[0].Severity != event.Crit || got[0].Group != "mymachine" || got[0].Stream != "su" {
		t.Fatalf("3164 event: %+v", got[0])
	}
	if got[1].MsgID != "ID47" || got[1].Fields[0].Key != "exampleSDID@32473.iut" || got[1].Time.Year() != 2003 {
		t.Fatalf("5424 event: %+v", got[1])
	}
	// RFC 3164 section 4.3.3: a message without PRI is taken as user.notice.
	if got[2].Message != "not syslog at all" || got[2].Severity != event.Notice || got[2].Facility != event.FacilityFromCode(1) {
		t.Fatalf("line without PRI: %+v", got[2])
	}
	// A message that starts like RFC 5424 but breaks is kept raw.
	got, res, err = readAll(t, Reader{Format: FormatSyslog}, []byte("<13>1 2024-13-01T00:00:00Z h a - - - bad month\n"))
	if err != nil || len(got) != 1 || res.Malformed != 1 || got[0].Fields[0].Key != "parse_error" || got[0].Message != "<13>1 2024-13-01T00:00:00Z h a - - - bad month" {
		t.Fatalf("raw event: %v %+v %+v", err, res, got)
	}

	// Octet-counted framing is detected in the same format.
	oc := "29 <13>1 - host app - - - first\n30 <13>1 - host app - - - second\n"
	got, res, err = readAll(t, Reader{Format: FormatSyslog}, []byte(oc))
	if err != nil || len(got) != 2 || got[1].Message != "second" || res.Malformed != 0 {
		t.Fatalf("octet-counted stream: %v %+v %+v", err, res, got)
	}
}

func TestReadLinesAndEvents(t *testing.T) {
	in := "plain line one\r\n\n{\"level\":\"error\",\"msg\":\"boom\",\"code\":7}\n<11>1 - web01 api - - - failed\n"
	got, res, err := readAll(t, Reader{Group: "/app/test", Source: "stdin"}, []byte(in))
	if err != nil || res.Format != FormatLines || len(got) != 3 {
		t.Fatalf("lines: %v %+v %d", err, res, len(got))
	}
	if got[0].Message != "plain line one" || got[0].Severity != event.Info || got[0].Group != "/app/test" || got[0].Source != "stdin" {
		t.Fatalf("line 1: %+v", got[0])
	}
	if got[1].Severity != event.Error || len(got[1].Fields) != 3 || got[1].Fields[2] != (event.Field{Key: "code", Value: "7", Type: event.Number}) {
		t.Fatalf("JSON line: %+v", got[1])
	}
	if got[2].App != "api" || got[2].Severity != event.Error || got[2].Group != "/app/test" {
		t.Fatalf("syslog line: %+v", got[2])
	}

	// What sluice prints, sluice reads back unchanged.
	var out []byte
	for i := range got {
		out = got[i].AppendJSON(out)
		out = append(out, '\n')
	}
	back, res, err := readAll(t, Reader{}, out)
	if err != nil || res.Format != FormatEvents || len(back) != len(got) {
		t.Fatalf("events: %v %+v %d", err, res, len(back))
	}
	for i := range got {
		if a, b := string(got[i].AppendJSON(nil)), string(back[i].AppendJSON(nil)); a != b {
			t.Fatalf("event %d changed on the way back:\n%s\n%s", i, a, b)
		}
	}
}

func TestReadCWDocumentGzip(t *testing.T) {
	doc := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/ecs/api","logStream":"api/abc","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1714564800123,"message":"WARN low disk"}]}`
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(doc))
	zw.Close()
	got, res, err := readAll(t, Reader{}, b.Bytes())
	if err != nil || res.Format != FormatCWDocument || len(got) != 1 {
		t.Fatalf("%v %+v %d", err, res, len(got))
	}
	if got[0].Group != "/ecs/api" || got[0].Severity != event.Warning || got[0].Time != time.UnixMilli(1714564800123).UTC() {
		t.Fatalf("%+v", got[0])
	}
}

func TestReadErrors(t *testing.T) {
	f := func(rd Reader, in, wantErr string) {
		t.Helper()
		_, _, err := readAll(t, rd, []byte(in))
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Read(%q): want error containing %q, got %v", in, wantErr, err)
		}
	}
	f(Reader{Format: FormatFirehose}, `{"records":[]}`, "requestId")
	f(Reader{Format: FormatCloudWatch}, `{"awslogs":{"data":"not base64!"}}`, "awslogs.data")
	f(Reader{Format: FormatCWDocument}, `{"messageType":"DATA_MESSAGE"`, "cannot")
	f(Reader{Format: FormatLogplex, MaxBodyBytes: 10}, "83 <40>1 2012-11-30T06:45:29+00:00 host app", "larger than the 10-byte limit")
	f(Reader{Format: "yaml"}, "x", `unknown format "yaml"`)
}

func TestReadSkipsLongLines(t *testing.T) {
	in := "short one\n" + strings.Repeat("x", 100) + "\n\nshort two\r\n" + strings.Repeat("y", 17) + "\n" + strings.Repeat("z", 16) + "\nlast" + strings.Repeat("!", 90)
	got, res, err := readAll(t, Reader{Format: FormatLines, MaxLineBytes: 16}, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range got {
		msgs = append(msgs, e.Message)
	}
	want := []string{"short one", "short two", strings.Repeat("z", 16)}
	if strings.Join(msgs, "|") != strings.Join(want, "|") || res.Malformed != 3 || len(res.Errors) != 3 {
		t.Fatalf("got %q, result %+v", msgs, res)
	}
	for i, line := range []int{2, 5, 7} {
		if want := fmt.Sprintf("line %d: longer than the 16-byte limit; skipped", line); res.Errors[i].Error() != want {
			t.Fatalf("error %d = %q, want %q", i, res.Errors[i], want)
		}
	}
}

// TestReadLogplexManyFrames is the memory guard: a body of millions of tiny
// frames is streamed, not materialised as events.
func TestReadLogplexManyFrames(t *testing.T) {
	body := []byte(strings.Repeat("1 x", 1_000_000))
	var n int
	rd := Reader{Format: FormatLogplex, Now: func() time.Time { return fixedNow }}
	res, err := rd.Read(bytes.NewReader(body), func(e *event.Event) error { n++; return nil })
	if err != nil || n != 1_000_000 || res.Malformed != 1_000_000 || len(res.Errors) != maxErrors {
		t.Fatalf("err %v, %d events, result malformed %d errors %d", err, n, res.Malformed, len(res.Errors))
	}
}

func TestReadStopsOnEmitError(t *testing.T) {
	rd := Reader{}
	calls := 0
	stop := os.ErrClosed
	_, err := rd.Read(strings.NewReader("a\nb\nc\n"), func(*event.Event) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}
