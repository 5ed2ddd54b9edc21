package file

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/sink"
)

func ev(group, msg string, day int) event.Event {
	return event.Event{Time: time.Date(2024, 5, day, 12, 0, 0, 0, time.UTC), Severity: event.Info, Group: group, Stream: "web.1", App: "app", Message: msg}
}

func TestWritesNDJSONPerGroupAndDay(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Path: filepath.Join(dir, "{group}/{date}.ndjson")})
	if err != nil {
		t.Fatal(err)
	}
	batch := []event.Event{ev("heroku/myapp", "a", 1), ev("/aws/lambda/fn", "b", 1), ev("heroku/myapp", "c", 2), ev("heroku/myapp", "d", 1)}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), batch[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f := func(rel string, wantMsgs ...string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		// What the sink writes, sluice reads back.
		rd := parse.Reader{Format: parse.FormatEvents}
		var got []string
		if _, err := rd.Read(bytes.NewReader(b), func(e *event.Event) error { got = append(got, e.Message); return nil }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(wantMsgs, ",") {
			t.Fatalf("%s holds %v, want %v", rel, got, wantMsgs)
		}
	}
	f("heroku_myapp/2024-05-01.ndjson", "a", "d", "a")
	f("heroku_myapp/2024-05-02.ndjson", "c")
	f("aws_lambda_fn/2024-05-01.ndjson", "b")

	// jq, the tool users reach for, reads the files too (when installed).
	if jq, err := exec.LookPath("jq"); err == nil {
		out, err := exec.Command(jq, "-r", ".message", filepath.Join(dir, "aws_lambda_fn/2024-05-01.ndjson")).Output()
		if err != nil || string(out) != "b\n" {
			t.Fatalf("jq: %v %q", err, out)
		}
	}
}

func TestPathsCannotEscape(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := safeElem(in); got != want {
			t.Fatalf("safeElem(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "_")
	f("..", "_.")
	f("../../etc/passwd", "_._.._etc_passwd") // one element: no slash survives
	f("/aws/lambda/fn", "aws_lambda_fn")
	f("heroku/my-app", "heroku_my-app")
	f(".hidden", "_hidden")
	f("a b\x00c", "a_b_c")
	f(strings.Repeat("x", 300), strings.Repeat("x", 200))
}

func TestValidate(t *testing.T) {
	f := func(path, wantErr string) {
		t.Helper()
		_, err := New(Config{Path: path})
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Fatalf("New(%q): %v, want %q", path, err, wantErr)
		}
	}
	f("", "must be set")
	f("./x/{group}/{day}.ndjson", "unknown placeholder")
	f("./x/{group}/{date}-{stream}-{app}-{host}.ndjson", "")
}

// TestPartialOnOpenFailure: when one file cannot be opened, what was
// written before it is on disk and reported as delivered, so a retry does
// not write it twice.
func TestPartialOnOpenFailure(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Path: filepath.Join(dir, "{group}/{date}.ndjson")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write(context.Background(), []event.Event{ev("ok", "a", 1), ev("ok", "b", 1), ev("blocked", "c", 1)})
	var p *sink.PartialError
	if !errors.As(err, &p) || p.Delivered != 2 {
		t.Fatalf("Write: %v, want a partial error after 2 events", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ok/2024-05-01.ndjson"))
	if strings.Count(string(b), "\n") != 2 {
		t.Fatalf("file holds %q", b)
	}
}

func TestManyFilesStayBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxOpenFiles: 3, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var batch []event.Event
	for i := range 20 {
		batch = append(batch, ev(string(rune('a'+i)), "x", 1))
	}
	// One batch touching 20 files with room for 3 open: every line is
	// written once, and afterwards only 3 files stay open.
	for range 3 {
		if err := s.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		if s.lru.Len() > 3 {
			t.Fatalf("%d files open after the batch, limit 3", s.lru.Len())
		}
	}
	s.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "c.ndjson"))
	if strings.Count(string(b), "\n") != 3 {
		t.Fatalf("c.ndjson holds %q, want 3 lines", b)
	}
}
