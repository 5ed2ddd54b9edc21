package file

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
)

func TestRotatedNames(t *testing.T) {
	f := func(template, live string, n int, want string) {
		t.Helper()
		l := newLayout(template)
		dir, stem, ext := l.split(live)
		r := rotatedName{stem: stem, at: t0, n: n, ext: ext}
		if got := filepath.Join(dir, r.String()); got != want {
			t.Errorf("%s rotated from %s: %s, want %s", live, template, got, want)
		}
		back, ok := parseRotated(filepath.Base(want), l.ext)
		if !ok || back != r {
			t.Errorf("parseRotated(%q) = %+v %v, want %+v", filepath.Base(want), back, ok, r)
		}
		if !l.stem.MatchString(stem) {
			t.Errorf("the stem pattern %s does not match %q", l.stem, stem)
		}
	}
	f("a/{group}/{date}.ndjson", "a/web/2026-11-20.ndjson", 0, "a/web/2026-11-20.20261120T101500Z.ndjson")
	f("a/{group}/{date}.ndjson", "a/web/2026-11-20.ndjson", 2, "a/web/2026-11-20.20261120T101500Z.2.ndjson")
	f("a/{group}/{stream}", "a/web/web.1", 0, "a/web/web.1.20261120T101500Z")   // no extension
	f("a/{group}/{stream}", "a/web/web.1", 1, "a/web/web.1.20261120T101500Z.1") // no extension
	f("a/{stream}.log.ndjson", "a/web.1.log.ndjson", 0, "a/web.1.log.20261120T101500Z.ndjson")
	f("/var/log/app.log", "/var/log/app.log", 0, "/var/log/app.20261120T101500Z.log") // static path
	f("a/.hidden", "a/.hidden", 0, "a/.hidden.20261120T101500Z")                      // a dot file has no extension
	f("a/{group}.", "a/web.", 0, "a/web..20261120T101500Z")                           // nor does a trailing dot
	f("a/{group}.{stream}", "a/web.web.1", 0, "a/web.web.1.20261120T101500Z")         // the dot is followed by a placeholder
	f("a/%Y-%m.gz", "a/2026-11.gz", 0, "a/2026-11.20261120T101500Z.gz")
}

func TestParseRotated(t *testing.T) {
	f := func(name, ext string, ok bool, wantStem, wantSuffix string, wantN int) {
		t.Helper()
		r, got := parseRotated(name, ext)
		if got != ok || ok && (r.stem != wantStem || r.suffix != wantSuffix || r.n != wantN || !r.at.Equal(t0)) {
			t.Errorf("parseRotated(%q, %q) = %+v %v", name, ext, r, got)
		}
	}
	f("web.20261120T101500Z.ndjson", ".ndjson", true, "web", "", 0)
	f("web.20261120T101500Z.ndjson.gz", ".ndjson", true, "web", ".gz", 0)
	f("web.20261120T101500Z.12.ndjson.gz.tmp", ".ndjson", true, "web", ".gz.tmp", 12)
	f("x.tar.20261120T101500Z.gz", ".gz", true, "x.tar", "", 0) // the extension is .gz itself
	f("x.tar.20261120T101500Z.gz.gz", ".gz", true, "x.tar", ".gz", 0)
	f("web.1.20261120T101500Z", "", true, "web.1", "", 0)
	f("web.1.20261120T101500Z.3.gz", "", true, "web.1", ".gz", 3)
	f("web.ndjson", ".ndjson", false, "", "", 0)                          // live
	f("20261120T101500Z.ndjson", ".ndjson", false, "", "", 0)             // no stem
	f(".20261120T101500Z.ndjson", ".ndjson", false, "", "", 0)            // empty stem
	f("web.20261120T101500Z.0.ndjson", ".ndjson", false, "", "", 0)       // n is never 0
	f("web.20261120T101500Z.01.ndjson", ".ndjson", false, "", "", 0)      // nor padded
	f("web.20261320T101500Z.ndjson", ".ndjson", false, "", "", 0)         // month 13
	f("web.20261120T101500Z.ndjson", ".log", false, "", "", 0)            // another extension
	f("web.20261120T101500.ndjson", ".ndjson", false, "", "", 0)          // no Z
	f("web-20261120T101500Z.ndjson", ".ndjson", false, "", "", 0)         // no dot
	f("web.20261120T101500Z.ndjson.zst", ".ndjson", false, "", "", 0)     // not ours
	f("web.20261120T101500Z.1234567.ndjson", ".ndjson", false, "", "", 0) // n too long
}

func TestLayout(t *testing.T) {
	f := func(template, root string, dirs []string, stem, ext string) {
		t.Helper()
		l := newLayout(template)
		var gotDirs []string
		for _, d := range l.dirs {
			if d.re == nil {
				gotDirs = append(gotDirs, "="+d.lit)
			} else {
				gotDirs = append(gotDirs, d.re.String())
			}
		}
		if l.root != root || !slices.Equal(gotDirs, dirs) || l.stem.String() != stem || l.ext != ext {
			t.Errorf("newLayout(%q) = root %q dirs %q stem %q ext %q", template, l.root, gotDirs, l.stem, l.ext)
		}
	}
	v, d := valuePattern, datePattern
	f("./archive/{group}/{date}.ndjson", "./archive", []string{"^" + v + "$"}, "^"+d+"$", ".ndjson")
	f("/var/log/{app}/x/%Y-%m/{host}.log", "/var/log", []string{"^" + v + "$", "=x", `^[0-9]+-[0-9]+$`}, "^"+v+"$", ".log")
	f("/{app}.log", "/", nil, "^"+v+"$", ".log")
	f("{app}.log", ".", nil, "^"+v+"$", ".log")
	f("a/b.log", "a", nil, `^b$`, ".log")
	f("logs-{app}/100%%.{fields.x}", ".", []string{"^logs-" + v + "$"}, `^100%\.`+v+"$", "")
}

// TestRotateBySize: a file is rotated before a line would take it beyond
// MaxFileBytes; every event is written once, in order, across the rotated
// files and the live one.
func TestRotateBySize(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	line := func(i int) event.Event { return msgEvent("g", fmt.Sprintf("m%02d", i), t0) }
	e0 := line(0)
	lineLen := int64(len(e0.AppendJSON(nil)) + 1)
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxFileBytes: 3*lineLen + 1, Now: clk.Now})
	var batch []event.Event
	for i := range 10 {
		batch = append(batch, line(i))
	}
	mustWrite(t, s, batch[:7]...)
	clk.Add(time.Second)
	mustWrite(t, s, batch[7:]...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"g.20261120T101500Z.1.ndjson", "g.20261120T101500Z.ndjson", "g.20261120T101501Z.ndjson", "g.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	var all []string
	for _, name := range []string{want[1], want[0], want[2], want[3]} {
		msgs := messages(t, filepath.Join(dir, name))
		if st, _ := os.Stat(filepath.Join(dir, name)); st.Size() > 3*lineLen+1 {
			t.Errorf("%s has %d bytes, more than max_file_bytes", name, st.Size())
		}
		all = append(all, msgs...)
	}
	var wantMsgs []string
	for _, e := range batch {
		wantMsgs = append(wantMsgs, e.Message)
	}
	if diff := cmp.Diff(wantMsgs, all); diff != "" {
		t.Fatalf("messages across the files (-want +got):\n%s", diff)
	}
}

// TestRotateBySizeLongLine: a line longer than MaxFileBytes goes alone into
// a fresh file.
func TestRotateBySizeLongLine(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, Config{Path: filepath.Join(dir, "g.ndjson"), MaxFileBytes: 100, Now: newClock(t0).Now})
	mustWrite(t, s, msgEvent("g", "short", t0), msgEvent("g", strings.Repeat("long", 50), t0), msgEvent("g", "short again", t0))
	s.Close()
	f := func(name string, want ...string) {
		t.Helper()
		if got := messages(t, filepath.Join(dir, name)); !slices.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	f("g.20261120T101500Z.ndjson", "short")
	f("g.20261120T101500Z.1.ndjson", strings.Repeat("long", 50))
	f("g.ndjson", "short again")
}

// TestRotateByAge: a file opened MaxFileAge ago is rotated at the next
// Write to it, and files nothing is written to any more are rotated too.
func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxFileAge: time.Hour, Now: clk.Now})
	mustWrite(t, s, msgEvent("g", "a", t0), msgEvent("idle", "i", t0))
	clk.Add(30 * time.Minute)
	mustWrite(t, s, msgEvent("g", "b", t0))
	clk.Add(30 * time.Minute)
	mustWrite(t, s, msgEvent("g", "c", t0))
	clk.Add(time.Minute)
	mustWrite(t, s, msgEvent("g", "d", t0))
	s.Close()
	want := []string{"g.20261120T111500Z.ndjson", "g.ndjson", "idle.20261120T111500Z.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	f := func(name string, want ...string) {
		t.Helper()
		if got := messages(t, filepath.Join(dir, name)); !slices.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	f("g.20261120T111500Z.ndjson", "a", "b")
	f("g.ndjson", "c", "d")
	f("idle.20261120T111500Z.ndjson", "i")
}

// TestEvictionKeepsAgeAndSize: closing files to stay within MaxOpenFiles
// neither restarts their age nor forgets their size.
func TestEvictionKeepsAgeAndSize(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	e := msgEvent("a", "x", t0)
	lineLen := int64(len(e.AppendJSON(nil)) + 1)
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxOpenFiles: 1, MaxFileAge: time.Hour, MaxFileBytes: 3 * lineLen, Now: clk.Now})
	w := func(groups ...string) {
		t.Helper()
		var batch []event.Event
		for _, g := range groups {
			batch = append(batch, msgEvent(g, "x", t0))
		}
		mustWrite(t, s, batch...)
		if s.lru.Len() > 1 {
			t.Fatalf("%d files open, max_open_files 1", s.lru.Len())
		}
	}
	w("a")                    // a opened at t0
	clk.Add(10 * time.Minute) //
	w("b")                    // b opened at t0+10m, a closed
	clk.Add(40 * time.Minute) //
	w("a")                    // a reopened: its age still counts from t0
	w("b", "b")               // b: 3 lines, full
	clk.Add(11 * time.Minute) //
	w("a")                    // t0+61m: a rotated by age (2 lines) although reopened at t0+50m
	w("b")                    // b rotated by size although closed meanwhile
	want := []string{"a.20261120T111600Z.ndjson", "a.ndjson", "b.20261120T111600Z.ndjson", "b.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	clk.Add(time.Hour)
	w("a") // rotated by age; b, closed and idle since t0+61m, is rotated too
	s.Close()
	want = []string{"a.20261120T111600Z.ndjson", "a.20261120T121600Z.ndjson", "a.ndjson", "b.20261120T111600Z.ndjson", "b.20261120T121600Z.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	f := func(name string, lines int) {
		t.Helper()
		if got := messages(t, filepath.Join(dir, name)); len(got) != lines {
			t.Errorf("%s holds %d lines, want %d", name, len(got), lines)
		}
	}
	f("a.20261120T111600Z.ndjson", 2)
	f("a.20261120T121600Z.ndjson", 1)
	f("a.ndjson", 1)
	f("b.20261120T111600Z.ndjson", 3)
	f("b.20261120T121600Z.ndjson", 1)
}

// TestRetention: MaxFiles keeps the newest rotated files of each path,
// MaxAge deletes those rotated too long ago; live files stay.
func TestRetention(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxFileAge: time.Minute, MaxFiles: 2, MaxAge: 150 * time.Second, Now: clk.Now})
	for i := range 5 {
		mustWrite(t, s, msgEvent("a", fmt.Sprint(i), t0))
		if i == 0 {
			mustWrite(t, s, msgEvent("b", "b", t0))
		}
		clk.Add(time.Minute)
	}
	// a rotated at +1m +2m +3m +4m: the newest two are kept. b, rotated
	// once at +1m, stays: retention runs per path, at its rotations.
	want := []string{"a.20261120T101800Z.ndjson", "a.20261120T101900Z.ndjson", "a.ndjson", "b.20261120T101600Z.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	// A new start applies retention to every path: b's rotated file is
	// older than max_age now.
	s.Close()
	s2 := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), MaxFiles: 2, MaxAge: 150 * time.Second, Now: clk.Now})
	s2.Close()
	want = []string{"a.20261120T101800Z.ndjson", "a.20261120T101900Z.ndjson", "a.ndjson"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after a restart: files %q, want %q", got, want)
	}
	if got := messages(t, filepath.Join(dir, "a.20261120T101900Z.ndjson")); !slices.Equal(got, []string{"3"}) {
		t.Fatalf("the newest rotated file holds %q", got)
	}
}
