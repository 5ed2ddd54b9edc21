package event

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzUnmarshal feeds arbitrary bytes to the binary decoder: it must never
// panic, and whatever it accepts must encode and decode to the same event.
func FuzzUnmarshal(f *testing.F) {
	e := sampleEvent()
	f.Add(e.Marshal(nil))
	empty := Event{}
	f.Add(empty.Marshal(nil))
	f.Add([]byte{1, 3, 2, 4, 6, 2, 24})
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Event
		if err := e.Unmarshal(data); err != nil {
			return
		}
		again := e.Marshal(nil)
		var e2 Event
		if err := e2.Unmarshal(again); err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if !bytes.Equal(again, e2.Marshal(nil)) {
			t.Fatalf("encoding is not stable")
		}
		if out := e.AppendJSON(nil); !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("JSON form is invalid: %s", out)
		}
	})
}

// FuzzJSON builds events from arbitrary strings: the JSON form must always
// be valid JSON and, for valid UTF-8 input, read back to the same strings.
func FuzzJSON(f *testing.F) {
	f.Add("host", "message \"x\"", "k", "12", uint8(1))
	f.Add("\xff", "\u2028\x00", "", "{", uint8(3))
	f.Fuzz(func(t *testing.T, host, msg, key, value string, typ uint8) {
		e := Event{Severity: Info, Host: host, Message: msg, Fields: []Field{{Key: key, Value: value, Type: FieldType(typ % 4)}}}
		out := e.AppendJSON(nil)
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		var back Event
		if err := back.UnmarshalJSON(out); err != nil {
			t.Fatalf("cannot read own JSON %s: %v", out, err)
		}
		if utf8.ValidString(host) && back.Host != host {
			t.Fatalf("host %q came back as %q", host, back.Host)
		}
		if utf8.ValidString(msg) && back.Message != msg {
			t.Fatalf("message %q came back as %q", msg, back.Message)
		}
	})
}
