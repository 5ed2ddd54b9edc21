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

func TestValidateOptions(t *testing.T) {
	f := func(cfg Config, wantErr string) {
		t.Helper()
		if cfg.Path == "" {
			cfg.Path = "./x/{group}.ndjson"
		}
		err := cfg.Validate()
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Fatalf("Validate(%+v): %v, want %q", cfg, err, wantErr)
		}
	}
	f(Config{}, "")
	f(Config{Path: "./x/{fields.tenant}/{proc}/%Y/%m/%d/%H.ndjson"}, "")
	f(Config{Path: "./x/{group}/"}, "names a directory")
	f(Config{Path: "./x/{group}/.."}, "names a directory")
	f(Config{Path: "./x/%Q.ndjson"}, "unknown time specifier")
	f(Config{Format: FormatRaw, Sync: SyncOnInterval, SyncInterval: time.Second}, "")
	f(Config{Format: "json"}, `format: cannot use "json": want ndjson or raw`)
	f(Config{Sync: "always"}, `sync: cannot use "always"`)
	f(Config{Sync: SyncOnInterval, NoSync: true}, "cannot use interval with no_sync")
	f(Config{Sync: SyncBatch, NoSync: true}, "")
	f(Config{MaxFileBytes: -1}, "max_file_bytes")
	f(Config{MaxFiles: -1}, "max_files")
	f(Config{MaxOpenFiles: -1}, "max_open_files")
	f(Config{MaxFileAge: -time.Second}, "max_file_age")
	f(Config{MaxAge: -time.Second}, "max_age")
	f(Config{SyncInterval: -time.Second}, "sync_interval")
	f(Config{CloseTimeout: -time.Second}, "close_timeout")
	// Every problem at once.
	f(Config{Format: "json", Sync: "always"}, "want batch, interval or never")
}

func TestSyncDefaults(t *testing.T) {
	f := func(sync SyncMode, noSync bool, want SyncMode) {
		t.Helper()
		if got := (Config{Sync: sync, NoSync: noSync}).withDefaults().Sync; got != want {
			t.Errorf("Sync %q NoSync %v: %q, want %q", sync, noSync, got, want)
		}
	}
	f("", false, SyncBatch)
	f("", true, SyncNever)
	f(SyncBatch, true, SyncNever) // the config layer's default plus the older no_sync: true
	f(SyncOnInterval, false, SyncOnInterval)
	f(SyncNever, false, SyncNever)
}

func TestTemplatePlaceholders(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := newSink(t, Config{Path: filepath.Join(dir, "{fields.tenant}/{proc}/%Y/%m/%d/%H.{severity}.ndjson"), Now: clk.Now})
	at := time.Date(2026, 3, 7, 4, 5, 6, 0, time.FixedZone("CET", 3600))
	f := func(e event.Event, rel string) {
		t.Helper()
		e.Message = rel
		mustWrite(t, s, e)
		// Not parsed back: event times beyond the year 9999 or before 0
		// are written as JSON that event.UnmarshalJSON refuses.
		if got := readFile(t, filepath.Join(dir, rel)); !strings.Contains(got, `"message":"`+rel+`"`) {
			t.Fatalf("%s holds %q", rel, got)
		}
	}
	tenant := func(v string) []event.Field { return []event.Field{{Key: "tenant", Value: v}} }
	f(event.Event{Time: at, Proc: "web.1", Severity: event.Info, Fields: tenant("acme")}, "acme/web.1/2026/03/07/03.info.ndjson")
	f(event.Event{Time: at, Proc: "web.1", Severity: event.Error, Fields: tenant("../../etc")}, "_._.._etc/web.1/2026/03/07/03.error.ndjson")
	f(event.Event{Time: at}, "_/_/2026/03/07/03.emerg.ndjson") // missing values are "_"
	// Without Time, Received; without either, now.
	f(event.Event{Received: at.Add(time.Hour), Proc: "p", Fields: tenant("t")}, "t/p/2026/03/07/04.emerg.ndjson")
	f(event.Event{Proc: "p", Fields: tenant("t")}, "t/p/2026/11/20/10.emerg.ndjson")
	// Years that do not format as digits count as missing.
	f(event.Event{Time: time.Date(-22, 1, 1, 0, 0, 0, 0, time.UTC), Received: at, Proc: "p", Fields: tenant("t")}, "t/p/2026/03/07/03.emerg.ndjson")
	f(event.Event{Time: time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), Proc: "p", Fields: tenant("t")}, "t/p/2026/11/20/10.emerg.ndjson")
}

// TestWriteAfterClose: a closed sink refuses writes, it does not reopen
// files behind Close's back.
func TestWriteAfterClose(t *testing.T) {
	s := newSink(t, Config{Path: filepath.Join(t.TempDir(), "{group}.ndjson")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), []event.Event{ev("a", "x", 1)}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Write after Close: %v", err)
	}
}

// TestIntervalSync: with Sync interval, Write leaves files unsynced (but
// flushed: readable) and the background sync catches up.
func TestIntervalSync(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), Sync: SyncOnInterval, SyncInterval: time.Hour})
	mustWrite(t, s, ev("a", "x", 1), ev("b", "y", 1))
	if got := messages(t, filepath.Join(dir, "a.ndjson")); len(got) != 1 {
		t.Fatalf("a.ndjson holds %v after Write", got)
	}
	unsynced := func() (n int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for el := s.lru.Front(); el != nil; el = el.Next() {
			if el.Value.(*openFile).unsynced {
				n++
			}
		}
		return n
	}
	if n := unsynced(); n != 2 {
		t.Fatalf("%d files unsynced after Write, want 2", n)
	}
	s.syncNow()
	if n := unsynced(); n != 0 {
		t.Fatalf("%d files unsynced after a background sync", n)
	}
}
