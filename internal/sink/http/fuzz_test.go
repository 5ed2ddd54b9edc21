package httpsink

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// readLines reads a testdata file of one seed per line.
func readLines(f *testing.F, name string) []string {
	f.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// FuzzRetryAfter: any header value gives a wait from 0 to MaxRetryAfter.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range readLines(f, "retry-after.txt") {
		f.Add(s)
	}
	now := time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		if d < 0 || d > MaxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", v, d)
		}
	})
}

// FuzzLineTemplate: a template parses or is refused with an error; one
// that parses expands without panicking, and a template without
// placeholders expands to itself.
func FuzzLineTemplate(f *testing.F) {
	for _, s := range readLines(f, "templates.txt") {
		f.Add(s)
	}
	e := &event.Event{
		Time: time.Date(2026, 3, 7, 4, 5, 6, 789e6, time.UTC), Message: "m", App: "a", Proc: "p",
		Fields: []event.Field{{Key: "level", Value: "info"}},
	}
	f.Fuzz(func(t *testing.T, text string) {
		lt, err := parseLine(text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cannot use template ") {
				t.Fatalf("parseLine(%q) error %q", text, err)
			}
			return
		}
		got := string(lt.execute(nil, e))
		if !strings.ContainsAny(text, "{}%") && got != text {
			t.Fatalf("parseLine(%q) expands to %q", text, got)
		}
	})
}

// FuzzEncode: whatever an event holds, an ndjson body reads back as the
// events, a json body is one valid array of them, a text body is valid
// UTF-8 with one line per event whose message has no line break, and a
// header value rendered from the event is a valid, trimmed header value.
func FuzzEncode(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "events.ndjson"))
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e event.Event
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			f.Fatal(err)
		}
		fv := ""
		if len(e.Fields) > 0 {
			fv = e.Fields[0].Value
		}
		f.Add(e.Message, e.Host, fv, uint8(e.Severity))
	}
	f.Fuzz(func(t *testing.T, msg, host, fieldValue string, sev uint8) {
		events := []event.Event{
			{Message: msg, Host: host, Severity: event.Severity(sev % 8), Fields: []event.Field{{Key: "k", Value: fieldValue, Type: event.JSON}}},
			{Message: "second", Host: host},
		}
		for _, enc := range []Encoding{EncodingNDJSON, EncodingJSON, EncodingText} {
			en := encoder{enc: enc}
			en.line, _ = parseLine("{host} {message}")
			body := en.begin(nil)
			for i := range events {
				body = en.add(body, en.appendEvent(nil, &events[i]), i)
			}
			body = en.end(body)
			if !utf8.Valid(body) {
				t.Fatalf("%s body is not UTF-8: %q", enc, body)
			}
			switch enc {
			case EncodingNDJSON:
				lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
				if len(lines) != len(events) {
					t.Fatalf("ndjson: %d lines for %d events: %q", len(lines), len(events), body)
				}
				for _, l := range lines {
					var e event.Event
					if err := e.UnmarshalJSON([]byte(l)); err != nil {
						t.Fatalf("ndjson line %q: %v", l, err)
					}
				}
			case EncodingJSON:
				var arr []json.RawMessage
				if err := json.Unmarshal(body, &arr); err != nil || len(arr) != len(events) {
					t.Fatalf("json body %q: %v, %d elements", body, err, len(arr))
				}
			case EncodingText:
				if !strings.ContainsAny(msg, "\r\n") && !strings.ContainsAny(host, "\r\n") {
					if n := bytes.Count(body, []byte("\n")); n != len(events) {
						t.Fatalf("text: %d lines for %d events: %q", n, len(events), body)
					}
				}
			}
		}
		v := appendHeaderValue(nil, []byte(host+fieldValue))
		for _, c := range v {
			if c < 0x20 && c != '\t' || c == 0x7f {
				t.Fatalf("header value %q holds a control character", v)
			}
		}
		if len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
			t.Fatalf("header value %q is not trimmed", v)
		}
	})
}
