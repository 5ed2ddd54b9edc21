package file

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

// TestCompressRotated: rotated files are gzipped in the background; Close
// waits for it; the .gz holds exactly what was rotated; nothing is left
// uncompressed or half-written.
func TestCompressRotated(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	dir := t.TempDir()
	clk := newClock(t0)
	evs := drainEvents(t)
	s := newSink(t, Config{Path: filepath.Join(dir, "{app}/{date}.ndjson"), Compress: true, MaxFileBytes: 600, Now: clk.Now})
	var want []string // the lines written, per app, in order
	for i := range 20 {
		e := evs[i%len(evs)]
		mustWrite(t, s, e)
		if e.App == "app" {
			want = append(want, string(e.AppendJSON(nil))+"\n")
		}
		clk.Add(300 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := tree(t, dir)
	gzipped := 0
	var appRotated []rotatedName
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, ".tmp"):
			t.Fatalf("%s left behind", f)
		case strings.HasSuffix(f, ".gz"):
			gzipped++
			if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(f, ".gz"))); err == nil {
				t.Fatalf("%s is compressed but still there", strings.TrimSuffix(f, ".gz"))
			}
		case !strings.HasSuffix(f, "/2024-05-01.ndjson"):
			t.Fatalf("%s: a rotated file left uncompressed", f)
		}
		if r, ok := parseRotated(strings.TrimPrefix(f, "app/"), ".ndjson"); ok && strings.HasPrefix(f, "app/") {
			appRotated = append(appRotated, r)
		}
	}
	// The app's rotated files in rotation order, then the live one.
	slices.SortFunc(appRotated, func(a, b rotatedName) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.n - b.n
	})
	var got strings.Builder
	for _, r := range appRotated {
		got.WriteString(readFile(t, filepath.Join(dir, "app", r.String())))
	}
	got.WriteString(readFile(t, filepath.Join(dir, "app/2024-05-01.ndjson")))
	if gzipped < 3 {
		t.Fatalf("only %d compressed files among %q", gzipped, files)
	}
	if got.String() != strings.Join(want, "") {
		t.Fatalf("the app files hold\n%s\nwant\n%s", got.String(), strings.Join(want, ""))
	}
	// The gzip header names the file it holds.
	b, _ := os.ReadFile(filepath.Join(dir, files[0]))
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil || zr.Name+".gz" != filepath.Base(files[0]) {
		t.Fatalf("gzip header name %q: %v", zr.Name, err)
	}
}

// writeFiles creates files (relative to dir) with the given contents.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRecoverCompression: what a crash leaves behind mid-compression is
// finished by the next New: a .gz.tmp is removed and its source compressed
// again, a source whose .gz exists is removed, a rotated file left
// uncompressed is compressed. Files the template cannot name are left.
func TestRecoverCompression(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"g/2024-05-01.20240501T000000Z.ndjson":            "interrupted\n",
		"g/2024-05-01.20240501T000000Z.ndjson.gz.tmp":     "\x1f\x8b half written",
		"g/2024-05-01.20240501T000001Z.ndjson":            "renamed, not yet removed\n",
		"g/2024-05-01.20240501T000001Z.ndjson.gz":         gzipped(t, "renamed, not yet removed\n"),
		"g/2024-05-01.20240501T000002Z.1.ndjson.gz.tmp":   "source gone",
		"h/2024-05-02.20240502T000000Z.ndjson":            "never compressed\n",
		"h/2024-05-02.ndjson":                             "live\n",
		"g/notes.20240501T000000Z.ndjson":                 "not a {date}\n",
		"g/sub/2024-05-01.20240501T000000Z.ndjson":        "too deep\n",
		"g/2024-05-01.20240501T000000Z.txt":               "another extension\n",
		".hidden/2024-05-01.20240501T000000Z.ndjson.gz.t": "not ours",
	})
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}/{date}.ndjson"), Compress: true})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		".hidden/2024-05-01.20240501T000000Z.ndjson.gz.t",
		"g/2024-05-01.20240501T000000Z.ndjson.gz",
		"g/2024-05-01.20240501T000000Z.txt",
		"g/2024-05-01.20240501T000001Z.ndjson.gz",
		"g/notes.20240501T000000Z.ndjson",
		"g/sub/2024-05-01.20240501T000000Z.ndjson",
		"h/2024-05-02.20240502T000000Z.ndjson.gz",
		"h/2024-05-02.ndjson",
	}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files after recovery\n%q\nwant\n%q", got, want)
	}
	f := func(name, want string) {
		t.Helper()
		if got := readFile(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	f("g/2024-05-01.20240501T000000Z.ndjson.gz", "interrupted\n")
	f("g/2024-05-01.20240501T000001Z.ndjson.gz", "renamed, not yet removed\n")
	f("h/2024-05-02.20240502T000000Z.ndjson.gz", "never compressed\n")
	f("h/2024-05-02.ndjson", "live\n")
}

// TestRecoverWithoutCompress: with compression off, a .gz.tmp is removed
// and its source kept as it is.
func TestRecoverWithoutCompress(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app.20240501T000000Z.log":        "kept\n",
		"app.20240501T000000Z.log.gz.tmp": "half",
	})
	s := newSink(t, Config{Path: filepath.Join(dir, "app.log")})
	mustWrite(t, s, msgEvent("g", "x", t0))
	s.Close()
	if got, want := tree(t, dir), []string{"app.20240501T000000Z.log", "app.log"}; !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
}

// TestCloseCutsCompressionShort: Close waits at most CloseTimeout; a file
// whose compression was cut short stays complete and uncompressed, with no
// .gz.tmp, and the next start compresses it.
func TestCloseCutsCompressionShort(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	dir := t.TempDir()
	big := make([]byte, 1<<20)
	rand.Read(big)
	files := map[string]string{}
	for i := range 3 {
		files[fmt.Sprintf("big.20240501T00000%dZ.bin", i)] = string(big)
	}
	writeFiles(t, dir, files)
	cfg := Config{Path: filepath.Join(dir, "big.bin"), Compress: true, CloseTimeout: time.Nanosecond, Logger: quiet()}
	s := newSink(t, cfg)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v with a 1ns close timeout", d)
	}
	for name := range files {
		p := filepath.Join(dir, name)
		_, errSrc := os.Stat(p)
		_, errGz := os.Stat(p + ".gz")
		if _, err := os.Stat(p + ".gz.tmp"); err == nil {
			t.Fatalf("%s.gz.tmp left behind", name)
		}
		if (errSrc == nil) == (errGz == nil) {
			t.Fatalf("%s: source %v, .gz %v: want exactly one", name, errSrc, errGz)
		}
	}
	cfg.CloseTimeout = 0
	s = newSink(t, cfg)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if got := readFile(t, filepath.Join(dir, name+".gz")); got != string(big) {
			t.Fatalf("%s.gz does not hold the file", name)
		}
	}
}

// TestConcurrentClose: Close from many goroutines at once, while rotated
// files are being compressed and interval syncs run: every call returns
// after the work is done, with the same result, and no goroutine is left.
func TestConcurrentClose(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	dir := t.TempDir()
	clk := newClock(t0)
	s := newSink(t, Config{Path: filepath.Join(dir, "{group}.ndjson"), Compress: true, MaxFileBytes: 200, Sync: SyncOnInterval, SyncInterval: time.Millisecond, Now: clk.Now})
	var batch []event.Event
	for i := range 60 {
		batch = append(batch, msgEvent(fmt.Sprint("g", i%4), strings.Repeat("x", 100), t0))
	}
	mustWrite(t, s, batch...)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Close() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Close %d: %v", i, err)
		}
	}
	files := tree(t, dir)
	lines := 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".gz") && !slices.Contains([]string{"g0.ndjson", "g1.ndjson", "g2.ndjson", "g3.ndjson"}, f) {
			t.Fatalf("%s after Close returned", f)
		}
		lines += strings.Count(readFile(t, filepath.Join(dir, f)), "\n")
	}
	if lines != len(batch) {
		t.Fatalf("%d lines in %d files, want %d", lines, len(files), len(batch))
	}
	if err := s.Write(t.Context(), batch[:1]); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}
