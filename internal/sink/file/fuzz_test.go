package file

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// FuzzPathFor: whatever the event says, its path stays inside the
// template's directories — as many elements, none "." or "..", no NUL —
// and matches the layout recovery searches with.
func FuzzPathFor(f *testing.F) {
	for _, e := range drainEvents(f) {
		f.Add(e.Group, e.Proc, e.Host, e.Time.Unix())
	}
	f.Add("/aws/lambda/fn", "2024/05/01/[$LATEST]abc", "..", int64(-62198755200))
	dir := f.TempDir()
	s, err := New(Config{Path: filepath.Join(dir, "{group}/{stream}-{fields.k}/%Y/{date}.ndjson"), Logger: quiet()})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, group, stream, field string, sec int64) {
		e := event.Event{Group: group, Stream: stream, Fields: []event.Field{{Key: "k", Value: field}}, Time: time.Unix(sec, 0)}
		p := string(s.appendPath(nil, &e, t0))
		rel, ok := strings.CutPrefix(p, dir+"/")
		if !ok || strings.IndexByte(p, 0) >= 0 || filepath.Clean(p) != p {
			t.Fatalf("path %q leaves %s or is not clean", p, dir)
		}
		elems := strings.Split(rel, "/")
		if len(elems) != 4 {
			t.Fatalf("path %q has %d elements below the root, want 4", p, len(elems))
		}
		for i, el := range elems[:3] {
			if !s.layout.dirs[i].re.MatchString(el) {
				t.Fatalf("element %q of %q does not match %s: recovery would not find it", el, p, s.layout.dirs[i].re)
			}
		}
		dir, stem, ext := s.layout.split(p)
		if ext != ".ndjson" || !s.layout.stem.MatchString(stem) || dir != filepath.Dir(p) {
			t.Fatalf("file name of %q: stem %q ext %q do not match the layout", p, stem, ext)
		}
	})
}

// FuzzRotatedName: a rotated name parses only when it is the canonical
// form of what it parses to, and every rotated name parses back.
func FuzzRotatedName(f *testing.F) {
	for _, seed := range []struct{ name, ext string }{
		{"2026-11-20.20261120T101500Z.ndjson", ".ndjson"},
		{"2026-11-20.20261120T101500Z.3.ndjson.gz", ".ndjson"},
		{"web.1.20261120T101500Z.gz.tmp", ""},
		{"x.tar.20261120T101500Z.gz.gz", ".gz"},
		{"web.ndjson", ".ndjson"},
	} {
		f.Add(seed.name, seed.ext, int64(1763633700), uint16(0))
	}
	f.Fuzz(func(t *testing.T, name, ext string, sec int64, n uint16) {
		if r, ok := parseRotated(name, ext); ok && r.String() != name {
			t.Fatalf("parseRotated(%q, %q) = %+v, which formats as %q", name, ext, r, r.String())
		}
		// What rotate names parses back, for any stem and extension the
		// layout can give.
		stem := name
		if stem == "" || strings.Contains(stem, "/") || strings.Contains(ext, "/") || ext != "" && (ext[0] != '.' || strings.Count(ext, ".") != 1 || len(ext) < 2) {
			return
		}
		at := time.Unix(sec, 0).UTC().Truncate(time.Second)
		if y := at.Year(); y < 1 || y > 9999 {
			return
		}
		for _, suffix := range []string{"", gzSuffix, gzTmpSuffix} {
			r := rotatedName{stem: stem, at: at, n: int(n % 1000), ext: ext, suffix: suffix}
			back, ok := parseRotated(r.String(), ext)
			if !ok || back.stem != r.stem || !back.at.Equal(r.at) || back.n != r.n || back.ext != r.ext || back.suffix != r.suffix {
				t.Fatalf("parseRotated(%q, %q) = %+v %v, want %+v", r.String(), ext, back, ok, r)
			}
		}
	})
}

// FuzzRawLine: every event is exactly one line in the raw format, and the
// escapes undo to the input when it holds no "#0" of its own.
func FuzzRawLine(f *testing.F) {
	for _, e := range drainEvents(f) {
		f.Add(e.Raw)
	}
	f.Add("trace:\n\tat a\r\n\tat b\n")
	f.Fuzz(func(t *testing.T, v string) {
		line := string(appendRawLine(nil, v))
		if strings.IndexByte(line, '\n') != len(line)-1 || strings.IndexByte(line, '\r') >= 0 {
			t.Fatalf("appendRawLine(%q) = %q: not one line", v, line)
		}
		if strings.Contains(v, "#0") {
			return
		}
		want := strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
		got := strings.NewReplacer("#012", "\n", "#015", "\r").Replace(strings.TrimSuffix(line, "\n"))
		if got != want {
			t.Fatalf("appendRawLine(%q) = %q, which undoes to %q", v, line, got)
		}
	})
}
