package elasticsearch

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// FuzzParseBulkResponse feeds response bodies (seeded with those in
// testdata/responses) to the response parser and the error-body reader:
// they must not panic, must return one result per action or an error, and
// must keep reasons printable and bounded.
func FuzzParseBulkResponse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "responses", "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var probe struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(b, &probe)
		f.Add(b, uint16(len(probe.Items)))
	}
	f.Fuzz(func(t *testing.T, body []byte, n uint16) {
		ok, items, err := parseBulkResponse(body, int(n), nil)
		if err == nil && !ok && len(items) != int(n) {
			t.Fatalf("%d results for %d actions", len(items), n)
		}
		for _, it := range items {
			if it.Status < 100 || it.Status > 599 {
				t.Fatalf("status %d", it.Status)
			}
			checkPrintable(t, it.Type)
			checkPrintable(t, it.Reason)
		}
		checkPrintable(t, describeBody(body))
	})
}

func checkPrintable(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8: %q", s)
	}
	if strings.ContainsAny(s, "\n\r\x00") {
		t.Fatalf("control characters: %q", s)
	}
	if len(s) > 3*maxReason {
		t.Fatalf("%d bytes", len(s))
	}
}

// FuzzAppendItem encodes events (seeded with testdata/events.ndjson) into
// bulk lines: always two lines of JSON, the action naming a valid index and
// the id, the document the event's JSON form with @timestamp first.
func FuzzAppendItem(f *testing.F) {
	seeds, err := os.ReadFile(filepath.Join("testdata", "events.ndjson"))
	if err != nil {
		f.Fatal(err)
	}
	for line := range bytes.Lines(seeds) {
		f.Add(string(bytes.TrimSpace(line)), "logs-{app}-%Y.%m.%d", "x")
	}
	f.Add(`{"message":"m"}`, "{fields.a}", strings.Repeat("é", 300))
	now := time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line, template, id string) {
		var e event.Event
		if e.UnmarshalJSON([]byte(line)) != nil {
			return
		}
		e.ID = id
		if validateNameTemplate("index", template) != nil {
			return // New refuses it
		}
		n := newIndexNamer(tmpl.MustParse(template))
		name, problem := n.name(nil, &e)
		if problem != "" {
			return // the event is refused
		}
		if r := invalidNameChar(string(name)); r >= 0 || !utf8.Valid(name) || len(name) > maxIndexBytes || strings.ToLower(string(name)) != string(name) {
			t.Fatalf("template %q gave the invalid name %q", template, name)
		}
		out := appendItem(nil, actionCreate, name, id, eventTime(&e, now), &e)
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != 2 || out[len(out)-1] != '\n' {
			t.Fatalf("%d lines: %q", len(lines), out)
		}
		var action struct {
			Create struct {
				Index string `json:"_index"`
				ID    string `json:"_id"`
			} `json:"create"`
		}
		if err := json.Unmarshal([]byte(lines[0]), &action); err != nil {
			t.Fatalf("action %q: %v", lines[0], err)
		}
		if action.Create.Index != string(name) {
			t.Fatalf("_index %q, want %q", action.Create.Index, name)
		}
		var wantID string // the id as a JSON string: invalid UTF-8 replaced
		if err := json.Unmarshal(event.AppendQuoted(nil, id), &wantID); err != nil {
			t.Fatal(err)
		}
		if len(id) <= maxIDBytes && action.Create.ID != wantID {
			t.Fatalf("_id %q, want %q", action.Create.ID, wantID)
		}
		if len(id) > maxIDBytes && (len(action.Create.ID) != len("sha256:")+64) {
			t.Fatalf("long _id became %q", action.Create.ID)
		}
		if !json.Valid([]byte(lines[1])) || !strings.HasPrefix(lines[1], `{"@timestamp":"`) {
			t.Fatalf("document %q", lines[1])
		}
		_, rest, _ := strings.Cut(lines[1], `Z",`)
		if "{"+rest != string(e.AppendJSON(nil)) {
			t.Fatalf("document %q is not the event's JSON form", lines[1])
		}
	})
}
