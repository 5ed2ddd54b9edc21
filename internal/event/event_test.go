package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleEvent() Event {
	return Event{
		Time:           time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC),
		Received:       time.Date(2024, 5, 1, 12, 0, 1, 5, time.UTC),
		Severity:       Error,
		SeveritySource: SeverityInferred,
		Facility:       FacilityFromCode(23),
		Host:           "host",
		App:            "app",
		Proc:           "web.1",
		Message:        `Completed 500 Internal Server Error in 12ms "quoted" \ tab	end`,
		Fields: []Field{
			{Key: "status", Value: "500", Type: Number},
			{Key: "ok", Value: "false", Type: Bool},
			{Key: "user", Value: `{"id": 7, "tags": ["a"]}`, Type: JSON},
			{Key: "path", Value: "/"},
		},
		Group:  "heroku/myapp",
		Stream: "web.1",
		Source: "drain:d.0123",
		ID:     "8b1c0f7e6d5a4b3c2d1e0f9a8b7c6d5e.3",
	}
}

// cmpEvent compares events by instant, not by time.Location.
var cmpEvent = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func TestBinaryRoundTrip(t *testing.T) {
	f := func(e Event) {
		t.Helper()
		data := e.Marshal(nil)
		var got Event
		if err := got.Unmarshal(data); err != nil {
			t.Fatalf("Unmarshal: %v", err)
		}
		if diff := cmp.Diff(e, got, cmpEvent, cmp.Comparer(fieldsEqual)); diff != "" {
			t.Fatalf("round trip differs (-want +got):\n%s", diff)
		}
	}
	f(sampleEvent())
	f(Event{})
	f(Event{Severity: Debug, Message: "only a message"})
	f(Event{Time: time.Unix(0, -1).UTC(), Message: "before 1970"})
	f(Event{Time: time.Date(2300, 1, 1, 0, 0, 0, 1, time.UTC), Received: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Message: "outside UnixNano's range"})
	f(Event{Time: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)})
	f(Event{Fields: []Field{{Key: "", Value: ""}}})
	f(Event{Raw: "<190>1 2024-05-01T12:00:00+00:00 host app web.1 - hi\n", Message: "hi"})
	f(Event{Message: strings.Repeat("x", 70000), Facility: FacilityFromCode(0)})
}

func fieldsEqual(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUnmarshalReusesBufferSafely(t *testing.T) {
	e := sampleEvent()
	buf := e.Marshal(nil)
	var got Event
	if err := got.Unmarshal(buf); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 0
	}
	if got.Message != e.Message || got.Fields[3].Value != "/" {
		t.Fatalf("decoded strings changed when the input buffer was reused: %q", got.Message)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good := sampleEvent()
	valid := good.Marshal(nil)
	f := func(data []byte, wantErr string) {
		t.Helper()
		var e Event
		err := e.Unmarshal(data)
		if err == nil {
			t.Fatalf("Unmarshal(%q): want error containing %q, got nil", data, wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Unmarshal(%q): error %q does not contain %q", data, err, wantErr)
		}
	}
	f(nil, "data ends in the middle of the event")
	f([]byte{2, 0}, "unknown event encoding version 2 (this build reads 1)")
	f([]byte{1, 0x80}, "unknown flags 0x80")
	f([]byte{1, 0, 8, 0, 0}, "severity 8 out of range 0..7")
	f([]byte{1, 0, 3, 4, 0}, "severity source 4 out of range 0..3")
	f([]byte{1, 1, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03}, "nanoseconds 1000000000 out of range 0..999999999")
	f([]byte{1, 0, 3, 1, 25}, "facility 25 out of range 0..24")
	f([]byte{1, 0, 3, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, "string of 4294967295 bytes exceeds the remaining 0 bytes")
	f(append(append([]byte{}, valid...), 0), "1 trailing bytes after the event")
	f(valid[:len(valid)-1], "string of 1 bytes exceeds the remaining 0 bytes")
	f(valid[:3], "data ends in the middle of the event")
	f([]byte{1, 0, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, "field count 268435455 exceeds the remaining 0 bytes")
	f([]byte{1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "varint overflows 64 bits")

	var e Event
	if err := e.Unmarshal([]byte{9}); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("want ErrUnknownVersion, got %v", err)
	}
}

func TestJSONForm(t *testing.T) {
	f := func(e Event, want string) {
		t.Helper()
		got := string(e.AppendJSON(nil))
		if got != want {
			t.Fatalf("AppendJSON:\n got %s\nwant %s", got, want)
		}
		if !json.Valid([]byte(got)) {
			t.Fatalf("AppendJSON produced invalid JSON: %s", got)
		}
	}
	f(sampleEvent(), `{"time":"2024-05-01T12:00:00.123456000Z","received":"2024-05-01T12:00:01.000000005Z","severity":3,"severity_name":"error","severity_source":"inferred","facility":"local7","host":"host","app":"app","proc":"web.1","message":"Completed 500 Internal Server Error in 12ms \"quoted\" \\ tab\tend","fields":{"status":500,"ok":false,"user":{"id":7,"tags":["a"]},"path":"/"},"group":"heroku/myapp","stream":"web.1","source":"drain:d.0123","id":"8b1c0f7e6d5a4b3c2d1e0f9a8b7c6d5e.3"}`)
	f(Event{}, `{"severity":0,"severity_name":"emerg"}`)
	f(Event{Severity: Info, Message: "bad \xff utf8 \x01 \u2028"}, `{"severity":6,"severity_name":"info","message":"bad \ufffd utf8 \u0001 \u2028"}`)
	// Invalid UTF-8 inside a JSON-typed field is replaced too.
	f(Event{Severity: Info, Fields: []Field{{Key: "j", Value: "{\"b\":\"\xff\"}", Type: JSON}}},
		`{"severity":6,"severity_name":"info","fields":{"j":{"b":"�"}}}`)
	// Repeated keys get suffixes, so the object stays unique and nothing is lost.
	f(Event{Severity: Info, Fields: []Field{{Key: "origin.ip", Value: "1"}, {Key: "x", Value: "2"}, {Key: "origin.ip", Value: "3"}, {Key: "origin.ip", Value: "4"}}},
		`{"severity":6,"severity_name":"info","fields":{"origin.ip":"1","x":"2","origin.ip#2":"3","origin.ip#3":"4"}}`)
	// A field whose text does not fit its type is written as a string.
	f(Event{Severity: Info, Fields: []Field{{Key: "n", Value: "12ms", Type: Number}, {Key: "b", Value: "yes", Type: Bool}, {Key: "j", Value: "{", Type: JSON}}},
		`{"severity":6,"severity_name":"info","fields":{"n":"12ms","b":"yes","j":"{"}}`)
}

func TestJSONRoundTrip(t *testing.T) {
	e := sampleEvent()
	e.Fields[2].Value = `{"id":7,"tags":["a"]}` // compact form, as it is written
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got Event
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("UnmarshalJSON(%s): %v", data, err)
	}
	if diff := cmp.Diff(e, got, cmpEvent, cmp.Comparer(fieldsEqual)); diff != "" {
		t.Fatalf("JSON round trip differs (-want +got):\n%s", diff)
	}
}

func TestUnmarshalJSONErrors(t *testing.T) {
	f := func(in, wantErr string) {
		t.Helper()
		var e Event
		err := e.UnmarshalJSON([]byte(in))
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("UnmarshalJSON(%s): want error containing %q, got %v", in, wantErr, err)
		}
	}
	f(`{"severity":9}`, "severity 9 out of range 0..7")
	f(`{"severity_name":"loud"}`, `unknown severity_name "loud"`)
	f(`{"severity_source":"guess"}`, `unknown severity_source "guess"`)
	f(`{"facility":"local9"}`, `unknown facility "local9"`)
	f(`{"time":"yesterday"}`, "time: parsing time")
	f(`{"colour":"red"}`, `unknown field "colour"`)
	f(`{"fields":[1]}`, "fields: want an object")
	f(`[`, "cannot decode event JSON")
}

func TestSeverityNames(t *testing.T) {
	f := func(name string, want Severity) {
		t.Helper()
		got, ok := ParseSeverity(name)
		if !ok || got != want {
			t.Fatalf("ParseSeverity(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	f("emerg", Emerg)
	f("PANIC", Emerg)
	f("alert", Alert)
	f("Critical", Crit)
	f("fatal", Crit)
	f("err", Error)
	f("ERROR", Error)
	f("warn", Warning)
	f("Warning", Warning)
	f("notice", Notice)
	f("informational", Info)
	f("trace", Debug)
	for s := Emerg; s <= Debug; s++ {
		f(s.String(), s)
	}
	if _, ok := ParseSeverity("loud"); ok {
		t.Fatal("ParseSeverity accepted an unknown name")
	}
	if got := PRI(FacilityFromCode(23), Info); got != 190 {
		t.Fatalf("PRI(local7, info) = %d, want 190", got)
	}
	if got := PRI(FacilityNone, Error); got != 11 {
		t.Fatalf("PRI(none, error) = %d, want 11 (user.err)", got)
	}
	if FacilityFromCode(24) != FacilityNone || FacilityFromCode(0).String() != "kern" {
		t.Fatal("facility codes are off")
	}
}

func TestFieldHelpers(t *testing.T) {
	var e Event
	e.AddString("a", "1")
	e.AddNumber("b", "2")
	e.SetField(Field{Key: "a", Value: "3"})
	e.SetField(Field{Key: "c", Value: "true", Type: Bool})
	want := []Field{{Key: "a", Value: "3"}, {Key: "b", Value: "2", Type: Number}, {Key: "c", Value: "true", Type: Bool}}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Fatalf("fields (-want +got):\n%s", diff)
	}
	if f, ok := e.Field("b"); !ok || f.Value != "2" {
		t.Fatalf("Field(b) = %v, %v", f, ok)
	}
	c := e.Clone()
	e.Reset()
	if len(e.Fields) != 0 || cap(e.Fields) < 3 || len(c.Fields) != 3 {
		t.Fatalf("Reset/Clone: %d fields, cap %d; clone has %d", len(e.Fields), cap(e.Fields), len(c.Fields))
	}
}

func TestIsJSONNumber(t *testing.T) {
	f := func(s string, want bool) {
		t.Helper()
		if got := IsJSONNumber(s); got != want {
			t.Fatalf("IsJSONNumber(%q) = %v, want %v", s, got, want)
		}
		if got := json.Valid([]byte(s)) && s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')); got != want {
			t.Fatalf("test table disagrees with encoding/json for %q", s)
		}
	}
	f("0", true)
	f("-0", true)
	f("12.5", true)
	f("1e9", true)
	f("-1.5E-3", true)
	f("", false)
	f("01", false)
	f("1.", false)
	f(".5", false)
	f("1e", false)
	f("+1", false)
	f("12ms", false)
	f("-", false)
}
