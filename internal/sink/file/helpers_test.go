package file

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// t0 is the tests' start time.
var t0 = time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC)

// quiet is a logger for tests that provoke logged problems.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newSink is New that fails the test on error and closes the sink at the
// end of the test.
func newSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testWriter sends log output to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// drainEvents reads the real Heroku drain body in testdata, with each
// event's Raw set to its frame, as the logplex source keeps it.
func drainEvents(t testing.TB) []event.Event {
	t.Helper()
	body, err := os.ReadFile("testdata/heroku-drain.logplex")
	if err != nil {
		t.Fatal(err)
	}
	var frames []string
	if err := syslog.SplitOctetCounted(string(body), 0, func(frame string, _ int) error {
		frames = append(frames, frame)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rd := parse.Reader{Format: parse.FormatLogplex, Source: "drain", IDPrefix: "frame", Now: func() time.Time { return t0 }}
	var evs []event.Event
	if _, err := rd.Read(bytes.NewReader(body), func(e *event.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(frames) || len(evs) == 0 {
		t.Fatalf("%d events from %d frames", len(evs), len(frames))
	}
	for i := range evs {
		evs[i].Raw = frames[i]
	}
	return evs
}

// readFile returns the content of a file, gunzipped when its name ends
// in .gz.
func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	return string(b)
}

// messages reads the messages of the NDJSON file p (gzipped or not).
func messages(t *testing.T, p string) []string {
	t.Helper()
	rd := parse.Reader{Format: parse.FormatEvents}
	var got []string
	res, err := rd.Read(strings.NewReader(readFile(t, p)), func(e *event.Event) error {
		got = append(got, e.Message)
		return nil
	})
	if err != nil || res.Malformed > 0 {
		t.Fatalf("%s: %v %v", p, err, res.Errors)
	}
	return got
}

// tree lists the files under dir, relative, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// msgEvent is an event at time at with message msg in group g.
func msgEvent(g, msg string, at time.Time) event.Event {
	return event.Event{Time: at, Severity: event.Info, Group: g, App: "app", Message: msg}
}

func mustWrite(t *testing.T, s *Sink, batch ...event.Event) {
	t.Helper()
	if err := s.Write(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
}
