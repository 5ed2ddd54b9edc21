package file

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
)

// TestNDJSONReadsBackAsEvents: what the sink writes, `sluice parse -format
// events < FILE` (parse.Reader with FormatEvents) reads back into the same
// events — all but Raw, which is not part of the JSON form.
func TestNDJSONReadsBackAsEvents(t *testing.T) {
	dir := t.TempDir()
	want := drainEvents(t)
	s := newSink(t, Config{Path: filepath.Join(dir, "events.ndjson")})
	mustWrite(t, s, want[:4]...)
	mustWrite(t, s, want[4:]...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := parse.Reader{Format: parse.FormatEvents}
	var got []event.Event
	res, err := rd.Read(f, func(e *event.Event) error {
		got = append(got, e.Clone())
		return nil
	})
	if err != nil || res.Malformed != 0 {
		t.Fatalf("Read: %v, %v", err, res.Errors)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(event.Event{}, "Raw"), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("events read back differ (-written +read):\n%s", diff)
	}
}

// TestRawWritesFramesAsReceived: the raw format writes each frame as
// received, one per line, readable again as a syslog stream.
func TestRawWritesFramesAsReceived(t *testing.T) {
	dir := t.TempDir()
	evs := drainEvents(t)
	p := filepath.Join(dir, "frames.log")
	s := newSink(t, Config{Path: p, Format: FormatRaw})
	mustWrite(t, s, evs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(readFile(t, p), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("the file does not end with a newline")
	}
	lines = lines[:len(lines)-1]
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	for i, l := range lines {
		if want := strings.TrimSuffix(evs[i].Raw, "\n") + "\n"; l != want {
			t.Errorf("line %d = %q, want the frame %q", i+1, l, want)
		}
	}

	// `sluice parse -format syslog` gives back the messages.
	rd := parse.Reader{Format: parse.FormatSyslog}
	var got []string
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := rd.Read(f, func(e *event.Event) error { got = append(got, e.Message); return nil }); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range evs {
		want = append(want, e.Message)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("messages read back differ (-written +read):\n%s", diff)
	}
}

func TestRawLine(t *testing.T) {
	f := func(raw, msg, want string) {
		t.Helper()
		s := &Sink{cfg: Config{Format: FormatRaw}}
		e := event.Event{Raw: raw, Message: msg}
		if got := string(s.appendLine(nil, &e)); got != want {
			t.Errorf("raw %q message %q: line %q, want %q", raw, msg, got, want)
		}
	}
	f("<190>1 2024-05-01T12:00:01.5+00:00 host app web.1 - hi\n", "hi", "<190>1 2024-05-01T12:00:01.5+00:00 host app web.1 - hi\n")
	f("<13>May  1 12:00:00 host app: no newline", "", "<13>May  1 12:00:00 host app: no newline\n")
	f("<13>1 - - - - - crlf\r\n", "", "<13>1 - - - - - crlf\n")
	f("one\ntwo\n\n", "", "one#012two#012\n") // only one trailing LF is the frame's own
	f("", "message only", "message only\n")
	f("", "trace:\n\tat a\r\n\tat b\n", "trace:#012\tat a#015#012\tat b\n")
	f("", "", "\n")
	f("", "a\rb", "a#015b\n")
}

// TestJQReadsFiles: jq, the tool users reach for, reads plain and
// compressed files (when jq and zcat are installed).
func TestJQReadsFiles(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Skip("jq is not installed")
	}
	zcat, err := exec.LookPath("zcat")
	if err != nil {
		t.Skip("zcat is not installed")
	}
	dir := t.TempDir()
	clk := newClock(t0)
	s := newSink(t, Config{Path: filepath.Join(dir, "{app}.ndjson"), Compress: true, MaxFileAge: 1, Now: clk.Now})
	evs := drainEvents(t)
	mustWrite(t, s, evs...)
	clk.Add(1)
	mustWrite(t, s, evs[:1]...) // rotates every file
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "heroku.20261120T101500Z.ndjson.gz")
	out, err := exec.Command("sh", "-c", `"$1" "$2" | "$3" -r .proc`, "sh", zcat, gz, jq).Output()
	if err != nil {
		t.Fatalf("zcat | jq: %v", err)
	}
	var want []string
	for _, e := range evs {
		if e.App == "heroku" {
			want = append(want, e.Proc+"\n")
		}
	}
	if string(out) != strings.Join(want, "") {
		t.Fatalf("zcat | jq printed %q, want %q", out, strings.Join(want, ""))
	}
	out, err = exec.Command(jq, "-r", ".message", filepath.Join(dir, "heroku.ndjson")).Output()
	if err != nil || string(out) != evs[0].Message+"\n" {
		t.Fatalf("jq: %v %q", err, out)
	}
}
