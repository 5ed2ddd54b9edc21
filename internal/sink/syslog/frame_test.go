package syslog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
	parsesyslog "github.com/sluicelog/sluice/internal/parse/syslog"
)

// frame prefixes msg with its length, for expectations written without one.
func frame(msg string) string { return fmt.Sprintf("%d %s", len(msg), msg) }

// Frames of heroku/log-iss cmd/forwarder/fixer_test.go (the `input`
// variable), split into single frames and without their length prefix,
// which is what Event.Raw holds. The fourth is 59 bytes although log-iss's
// prefix says 58: lpx reads the six header fields up to their SP whatever
// the length says, so the body is empty either way.
const (
	issHi      = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - - hi\n"
	issHello   = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - - hello\n"
	issSD      = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [meta sequenceId=\"hello\"][foo bar=\"baz\"] hello\n"
	issNoSD    = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - hello\n"
	issNoMsg   = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - "
	issSDNoMsg = "<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [60607e20-f12d-483e-aa89-ffaf954e7527]"
	issToken   = "d.34bc219c-983b-463e-a17d-3d34ee7db812"
)

func logplexEvent(raw string, fields ...event.Field) *event.Event {
	return &event.Event{Raw: raw, Fields: fields}
}

func ip(v string) event.Field    { return event.Field{Key: FieldOriginIP, Value: v} }
func token(v string) event.Field { return event.Field{Key: FieldDrainToken, Value: v} }

func TestAppendFrame(t *testing.T) {
	ts := time.Date(2024, 3, 5, 6, 7, 8, 123456789, time.UTC)
	full := &event.Event{
		Time:     ts,
		Severity: event.Warning,
		Facility: event.FacilityFromCode(16), // local0
		Host:     "web-1",
		App:      "api",
		Proc:     "1234",
		MsgID:    "ID47",
		Message:  "hello world",
		Fields: []event.Field{
			{Key: "exampleSDID@32473.iut", Value: "3"},
			{Key: "exampleSDID@32473.eventSource", Value: "Application"},
			{Key: "meta.note", Value: `a "q" \ ] end`},
			{Key: "plain", Value: "not structured data"},
			{Key: "exampleSDID@32473.eventID", Value: "1011"},
		},
		Raw: "<1>1 - - - - - - raw body",
	}
	long := func(c string, n int) string { return strings.Repeat(c, n) }

	tests := []struct {
		name   string
		format Format
		e      *event.Event
		want   string
	}{
		// rfc5424
		{"rfc5424/full", FormatRFC5424, full, frame(`<132>1 2024-03-05T06:07:08.123456Z web-1 api 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][meta note="a \"q\" \\ \] end"] hello world`)},
		{"rfc5424/empty event", FormatRFC5424, &event.Event{}, "16 <8>1 - - - - - -"},
		{"rfc5424/received when no time, converted to UTC", FormatRFC5424,
			&event.Event{Received: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600)), Severity: event.Info, Message: "m"},
			frame("<14>1 2024-01-02T02:04:05.000006Z - - - - - m")},
		{"rfc5424/time wins over received", FormatRFC5424,
			&event.Event{Time: ts, Received: ts.Add(time.Hour), Severity: event.Debug, Facility: event.FacilityFromCode(0)},
			frame("<7>1 2024-03-05T06:07:08.123456Z - - - - -")},
		{"rfc5424/year out of range", FormatRFC5424,
			&event.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Severity: event.Info},
			frame("<14>1 - - - - - -")},
		{"rfc5424/sanitised and truncated header", FormatRFC5424,
			&event.Event{Severity: event.Info, Host: "my host\x01é", App: long("a", 60), Proc: long("p", 130), MsgID: "ü" + long("m", 40)},
			frame("<14>1 - my_host__ " + long("a", 48) + " " + long("p", 128) + " _" + long("m", 31) + " -")},
		{"rfc5424/only invalid sd keys", FormatRFC5424,
			&event.Event{Severity: event.Info, Fields: []event.Field{
				{Key: ".x", Value: "1"}, {Key: "x.", Value: "1"}, {Key: "a b.c", Value: "1"},
				{Key: long("i", 33) + ".p", Value: "1"}, {Key: "a=b.c", Value: "1"}, {Key: "nodot", Value: "1"},
			}},
			frame("<14>1 - - - - - -")},
		{"rfc5424/origin and logplex fields are structured data too", FormatRFC5424,
			&event.Event{Severity: event.Info, Message: "m", Fields: []event.Field{ip("10.0.0.1"), token("d.x"), {Key: "ourSDID@32473.1.x", Value: "y"}}},
			frame(`<14>1 - - - - - [origin ip="10.0.0.1"][logplex drain_token="d.x"][ourSDID@32473.1 x="y"] m`)},

		// raw
		{"raw/log-iss input frame", FormatRaw, logplexEvent(issHi), "64 " + issHi},
		{"raw/with raw", FormatRaw, full, "25 <1>1 - - - - - - raw body"},
		{"raw/without raw falls back to rfc5424", FormatRaw, &event.Event{Severity: event.Info, Message: "x"}, frame("<14>1 - - - - - - x")},

		// logiss: heroku/log-iss cmd/forwarder/fixer_test.go TestFix (remote
		// address 1.2.3.4, no drain token).
		{"logiss/TestFix 1a", FormatLogISS, logplexEvent(issHi, ip("1.2.3.4")), "84 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"] hi\n"},
		{"logiss/TestFix 1b", FormatLogISS, logplexEvent(issHello, ip("1.2.3.4")), "87 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"] hello\n"},
		{"logiss/TestFix 2", FormatLogISS, logplexEvent(issSD, ip("1.2.3.4")), "127 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][meta sequenceId=\"hello\"][foo bar=\"baz\"] hello\n"},
		{"logiss/TestFix 3", FormatLogISS, logplexEvent(issNoSD, ip("1.2.3.4")), "87 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"] hello\n"},
		{"logiss/TestFix 4", FormatLogISS, logplexEvent(issNoMsg, ip("1.2.3.4")), "80 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"]"},
		{"logiss/TestFix 5", FormatLogISS, logplexEvent(issSDNoMsg, ip("1.2.3.4")), "118 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][60607e20-f12d-483e-aa89-ffaf954e7527]"},
		// TestFixWithLogplexDrainToken, token from the field.
		{"logiss/drain token 1a", FormatLogISS, logplexEvent(issHi, ip("1.2.3.4"), token(issToken)), "118 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"] hi\n"},
		{"logiss/drain token 1b", FormatLogISS, logplexEvent(issHello, ip("1.2.3.4"), token(issToken)), "121 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"] hello\n"},
		{"logiss/drain token 2", FormatLogISS, logplexEvent(issSD, ip("1.2.3.4"), token(issToken)), "161 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"][meta sequenceId=\"hello\"][foo bar=\"baz\"] hello\n"},
		{"logiss/drain token 3", FormatLogISS, logplexEvent(issNoSD, ip("1.2.3.4"), token(issToken)), "121 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"] hello\n"},
		{"logiss/drain token 4", FormatLogISS, logplexEvent(issNoMsg, ip("1.2.3.4"), token(issToken)), "114 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"]"},
		{"logiss/drain token 5", FormatLogISS, logplexEvent(issSDNoMsg, ip("1.2.3.4"), token(issToken)), "152 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"][60607e20-f12d-483e-aa89-ffaf954e7527]"},
		{"logiss/drain token from Source", FormatLogISS, &event.Event{Raw: issHi, Source: issToken, Fields: []event.Field{ip("1.2.3.4")}}, "118 <13>1 2013-06-07T13:17:49.468822+00:00 d.34bc219c-983b-463e-a17d-3d34ee7db812 heroku web.7 - [origin ip=\"1.2.3.4\"] hi\n"},
		{"logiss/empty token field wins over Source", FormatLogISS, &event.Event{Raw: issHi, Source: "src", Fields: []event.Field{token("")}}, frame("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 -  hi\n")},
		// TestTruncationOfFields (no remote address: no origin element, and
		// log-iss still writes the SP after MSGID).
		{"logiss/truncate HOSTNAME", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 " + long("a", 256) + " heroku web.7 - "),
			"310 <13>1 2013-06-07T13:17:49.468822+00:00 " + long("a", 255) + " heroku web.7 - "},
		{"logiss/truncate APP-NAME", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 host " + long("a", 49) + " web.7 - "),
			"101 <13>1 2013-06-07T13:17:49.468822+00:00 host " + long("a", 48) + " web.7 - "},
		{"logiss/truncate PROCID", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku " + long("a", 129) + " - "),
			"182 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku " + long("a", 128) + " - "},
		{"logiss/truncate MSGID", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 " + long("a", 33) + " "),
			"90 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 " + long("a", 32) + " "},
		// Beyond log-iss's vectors.
		{"logiss/drain token cut to 255", FormatLogISS, logplexEvent(issHi, token(long("t", 300))),
			frame("<13>1 2013-06-07T13:17:49.468822+00:00 " + long("t", 255) + " heroku web.7 -  hi\n")},
		{"logiss/only the default host is replaced", FormatLogISS, logplexEvent(strings.Replace(issHi, " host ", " myhost ", 1), token(issToken)),
			frame("<13>1 2013-06-07T13:17:49.468822+00:00 myhost heroku web.7 -  hi\n")},
		{"logiss/ip escaped (log-iss does not)", FormatLogISS, logplexEvent(issHi, ip(`1.2.3.4"]\`)),
			frame(`<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip="1.2.3.4\"\]\\"] hi` + "\n")},
		{"logiss/nil value alone", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - -", ip("1.2.3.4")),
			frame(`<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip="1.2.3.4"] -`)},
		{"logiss/frame ending after MSGID without SP", FormatLogISS, logplexEvent("<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 -", ip("1.2.3.4")),
			frame(`<13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip="1.2.3.4"]`)},
		{"logiss/empty header fields kept as lpx reads them", FormatLogISS, logplexEvent("<13>1  host  web.7 - - x", ip("1.2.3.4")),
			frame(`<13>1  host  web.7 - [origin ip="1.2.3.4"] x`)},
		{"logiss/no raw: built from the event", FormatLogISS,
			&event.Event{Time: time.Date(2013, 6, 7, 13, 17, 49, 468822000, time.UTC), Severity: event.Info, Host: "host", App: "app", Proc: "web.1", Message: "hi",
				Fields: []event.Field{ip("1.2.3.4"), token("d.x"), {Key: "meta.a", Value: "b"}}},
			frame(`<14>1 2013-06-07T13:17:49.468822Z d.x app web.1 - [origin ip="1.2.3.4"][meta a="b"] hi`)},
		{"logiss/no raw, no structured data", FormatLogISS,
			&event.Event{Severity: event.Info, Host: "h", Message: "hi", Fields: []event.Field{ip("1.2.3.4")}},
			frame(`<14>1 - h - - - [origin ip="1.2.3.4"] hi`)},
		{"logiss/raw not RFC 5424: built from the event", FormatLogISS,
			&event.Event{Raw: "<13>Jun  7 13:17:49 myhost app: msg", Severity: event.Notice, Facility: event.FacilityFromCode(1), Host: "myhost", App: "app", Message: "msg"},
			frame(`<13>1 - myhost app - -  msg`)},
		{"logiss/raw with too few fields: built from the event", FormatLogISS,
			&event.Event{Raw: "<13>1 2013-06-07T13:17:49Z host", Severity: event.Info, Message: "m"},
			frame(`<14>1 - - - - -  m`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendFrame(nil, tt.e, tt.format))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AppendFrame (-want +got):\n%s", diff)
			}
			// Appending keeps what dst held, and the prefix counts exactly.
			got = string(AppendFrame([]byte("prev"), tt.e, tt.format))
			if got != "prev"+tt.want {
				t.Errorf("AppendFrame after a prefix = %q, want %q", got, "prev"+tt.want)
			}
			n, msg, _ := strings.Cut(tt.want, " ")
			if fmt.Sprint(len(msg)) != n {
				t.Errorf("expectation is mis-counted: prefix %s, message %d bytes", n, len(msg))
			}
		})
	}
}

// TestAppendFrameLogISSMetadata checks log-iss's METADATA_ID element
// (heroku/log-iss cmd/forwarder/fixer_test.go TestFixWithQueryParameters,
// TestFixWithCustomQueryParametersNoCreds, TestFixWithDeprecatedCredential),
// from the fields the logplex source records.
func TestAppendFrameLogISSMetadata(t *testing.T) {
	meta := func(k, v string) event.Field { return event.Field{Key: "metadata@123." + k, Value: v} }
	params := []event.Field{meta("index", "i"), meta("source", "s"), meta("sourcetype", "st")}
	with := func(extra ...event.Field) []event.Field {
		return append(append([]event.Field{ip("1.2.3.4")}, params...), extra...)
	}
	tests := []struct {
		name string
		e    *event.Event
		want string
	}{
		{"TestFixWithQueryParameters hi", logplexEvent(issHi, with()...),
			"135 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][metadata@123 index=\"i\" source=\"s\" sourcetype=\"st\"] hi\n"},
		{"TestFixWithQueryParameters hello", logplexEvent(issHello, with()...),
			"138 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][metadata@123 index=\"i\" source=\"s\" sourcetype=\"st\"] hello\n"},
		{"TestFixWithCustomQueryParametersNoCreds", logplexEvent(issHi, with(meta("fields", "custom1=cq1,custom2=cq2"))...),
			"168 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][metadata@123 index=\"i\" source=\"s\" sourcetype=\"st\" fields=\"custom1=cq1,custom2=cq2\"] hi\n"},
		{"TestFixWithDeprecatedCredential", logplexEvent(issHello, with(meta("fields", "credential_deprecated=true,credential_name=cred"))...),
			"195 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"][metadata@123 index=\"i\" source=\"s\" sourcetype=\"st\" fields=\"credential_deprecated=true,credential_name=cred\"] hello\n"},
		{"no metadata fields: no element", logplexEvent(issHi, ip("1.2.3.4")),
			"84 <13>1 2013-06-07T13:17:49.468822+00:00 host heroku web.7 - [origin ip=\"1.2.3.4\"] hi\n"},
		{"from the event, metadata not repeated", &event.Event{Severity: event.Info, Host: "h", Message: "m", Fields: with(event.Field{Key: "x.y", Value: "z"})},
			frame(`<14>1 - h - - - [origin ip="1.2.3.4"][metadata@123 index="i" source="s" sourcetype="st"][x y="z"] m`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendFrame(nil, tt.e, FormatLogISS, "metadata@123")); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestAppendFrameDoesNotAllocate(t *testing.T) {
	events := benchEvents()
	buf := make([]byte, 0, 4096)
	for _, f := range []Format{FormatRFC5424, FormatRaw, FormatLogISS} {
		for i := range events {
			e := &events[i]
			if n := testing.AllocsPerRun(20, func() { buf = AppendFrame(buf[:0], e, f) }); n != 0 {
				t.Errorf("AppendFrame(%s, event %d) allocates %v times", f, i, n)
			}
		}
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	events := benchEvents()
	for _, bc := range []struct {
		name string
		f    Format
		e    *event.Event
	}{
		{"rfc5424", FormatRFC5424, &events[0]},
		{"raw", FormatRaw, &events[0]},
		{"logiss", FormatLogISS, &events[0]},
		{"logiss-from-event", FormatLogISS, &events[1]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf := AppendFrame(nil, bc.e, bc.f)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendFrame(buf[:0], bc.e, bc.f)
			}
		})
	}
}

// benchEvents returns a parsed Heroku router line with its Raw and fields,
// and an event without Raw.
func benchEvents() []event.Event {
	raw := `<158>1 2024-03-05T06:07:08.123456+00:00 host heroku router - at=info method=GET path="/api/v1/items?page=2" host=example.herokuapp.com request_id=5b8f5bd8-7d1c-4f2e-9a7b-3c0c2f1d2e3f fwd="203.0.113.7" dyno=web.1 connect=0ms service=12ms status=200 bytes=1532 protocol=https` + "\n"
	return []event.Event{
		{
			Time:     time.Date(2024, 3, 5, 6, 7, 8, 123456000, time.UTC),
			Severity: event.Info, Facility: event.FacilityFromCode(19),
			Host: "host", App: "heroku", Proc: "router",
			Message: raw[strings.Index(raw, "at=") : len(raw)-1],
			Fields: []event.Field{
				{Key: "at", Value: "info"}, {Key: "method", Value: "GET"}, {Key: "status", Value: "200", Type: event.Number},
				ip("203.0.113.7"), token(issToken),
			},
			Source: "heroku", Raw: raw,
		},
		{
			Time:     time.Date(2024, 3, 5, 6, 7, 8, 123456000, time.UTC),
			Severity: event.Error, Host: "ip-10-0-0-1", App: "/aws/lambda/fn", Proc: "2024/03/05/[$LATEST]abc",
			Message: "ERROR something failed: connection refused",
			Fields:  []event.Field{ip("198.51.100.1"), {Key: "lambda.request_id", Value: "8f5c-1"}},
		},
	}
}

// FuzzRFC5424RoundTrip checks that what FormatRFC5424 writes is read back by
// sluice's own RFC 5424 parser with the same (sanitised) fields.
func FuzzRFC5424RoundTrip(f *testing.F) {
	f.Add("web-1", "api", "1234", "ID47", "hello world", "meta.note", `a "q" \ ] end`, int64(1709618828123456789), uint8(4), uint8(17))
	f.Add("", "", "", "", "", "", "", int64(0), uint8(0), uint8(0))
	f.Add("my host\x01é", strings.Repeat("a", 60), "p", "ü", "- [x]", "x@1.2.p", "v]", int64(-1), uint8(7), uint8(24))
	f.Fuzz(func(t *testing.T, host, app, proc, msgID, msg, key, value string, unixNano int64, sev, fac uint8) {
		e := event.Event{
			Severity: event.Severity(sev % 8), Facility: event.Facility(fac % 25),
			Host: host, App: app, Proc: proc, MsgID: msgID, Message: msg,
			Fields: []event.Field{{Key: key, Value: value}},
		}
		if unixNano != 0 {
			e.Time = time.Unix(0, unixNano)
		}
		out := AppendFrame(nil, &e, FormatRFC5424)
		n, line, ok := strings.Cut(string(out), " ")
		if !ok || n != fmt.Sprint(len(line)) {
			t.Fatalf("bad frame %q", out)
		}
		var got event.Event
		if err := parsesyslog.Parse5424(line, &got); err != nil {
			t.Fatalf("Parse5424(%q): %v", line, err)
		}
		nil5424 := func(s string, max int) string {
			b := appendHeaderField(nil, s, max)
			if string(b) == "-" {
				return ""
			}
			return string(b)
		}
		if got.Host != nil5424(host, maxHostname) || got.App != nil5424(app, maxAppName) ||
			got.Proc != nil5424(proc, maxProcID) || got.MsgID != nil5424(msgID, maxMsgID) {
			t.Errorf("header of %q read back as %q %q %q %q", line, got.Host, got.App, got.Proc, got.MsgID)
		}
		wantFacility := e.Facility.Code()
		if e.Facility == event.FacilityNone {
			wantFacility = 1 // user
		}
		if got.Severity != e.Severity || got.Facility.Code() != wantFacility {
			t.Errorf("PRI of %q read back as %v/%v", line, got.Facility, got.Severity)
		}
		if !e.Time.IsZero() && e.Time.UTC().Year() >= 0 && e.Time.UTC().Year() <= 9999 && !got.Time.Equal(e.Time.Truncate(time.Microsecond)) {
			t.Errorf("time %v read back as %v", e.Time, got.Time)
		}
		id, param, isSD := splitSDKey(key)
		if isSD && strings.IndexByte(param, '.') < 0 {
			if len(got.Fields) != 1 || got.Fields[0].Key != id+"."+param || got.Fields[0].Value != value {
				t.Errorf("SD field %q=%q read back as %+v from %q", key, value, got.Fields, line)
			}
		} else if len(got.Fields) != 0 {
			t.Errorf("non-SD field %q became %+v in %q", key, got.Fields, line)
		}
	})
}
