package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// FuzzDigests formats messages and group keys of any content and checks
// what Slack would receive: valid JSON and UTF-8, everything escaped, one
// code block, lines within MaxLineLength, text within the size limit.
func FuzzDigests(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	for _, file := range files {
		for _, e := range loadEvents(f, filepath.Base(file)) {
			f.Add(e.Message, e.Proc, uint16(len(e.Message)%400))
		}
	}
	f.Fuzz(func(t *testing.T, msg, proc string, maxLen uint16) {
		cfg := Config{MaxLineLength: 1 + int(maxLen)%MaxMaxLineLength, MaxLines: 3}
		at := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
		batch := []event.Event{
			{Time: at, Severity: event.Error, Proc: proc, Message: msg},
			{Time: at.Add(time.Second), Severity: event.Error, Proc: proc, Message: msg},
			{Time: at.Add(2 * time.Second), Severity: event.Warning, Proc: proc, Message: msg + "\n" + msg},
			{Time: at.Add(3 * time.Second), Severity: event.Error, Proc: proc, Message: strings.Repeat(msg, 3)},
		}
		ms, err := Digests(cfg, batch)
		if err != nil {
			t.Fatal(err)
		}
		events := 0
		for i := range ms {
			p, err := ms[i].Payload()
			if err != nil || !json.Valid(p) || !utf8.Valid(p) {
				t.Fatalf("payload %q: %v", p, err)
			}
			a := ms[i].Attachments[0]
			for _, s := range []string{a.Title, a.Fallback, a.Text} {
				if strings.ContainsAny(s, "<>") {
					t.Fatalf("unescaped < or > in %q", s)
				}
				if n := strings.Count(s, "&") - strings.Count(s, "&amp;") - strings.Count(s, "&lt;") - strings.Count(s, "&gt;"); n != 0 {
					t.Fatalf("unescaped & in %q", s)
				}
			}
			if len(a.Text) > maxTextBytes {
				t.Fatalf("text is %d bytes", len(a.Text))
			}
			body, rest, ok := strings.Cut(strings.TrimPrefix(a.Text, "```\n"), "\n```")
			if !ok || strings.Contains(body, "```") || strings.Contains(rest, "```") || !strings.HasPrefix(a.Text, "```\n") {
				t.Fatalf("not one code block: %q", a.Text)
			}
			for _, l := range strings.Split(body, "\n") {
				m := l[len("2026-11-20T10:01:00Z: "):]
				if i := strings.LastIndex(m, " ×"); i >= 0 && !strings.Contains(m[i:], "…") && strings.Trim(m[i+len(" ×"):], "0123456789") == "" {
					m = m[:i]
				}
				r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", zwsp, "")
				if n := utf8.RuneCountInString(r.Replace(m)); n > cfg.MaxLineLength {
					t.Fatalf("line of %d characters, above %d: %q", n, cfg.MaxLineLength, l)
				}
			}
			if strings.Count(a.Title, "(") == 0 {
				t.Fatalf("title %q", a.Title)
			}
			events++
		}
		if events == 0 {
			t.Fatal("no digest")
		}
	})
}

// FuzzRetryAfter checks that any Retry-After gives a wait within bounds.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "30", "0", "-1", "86400", "Fri, 20 Nov 2026 10:00:42 GMT", "Friday, 20-Nov-26 10:01:00 GMT", "Fri Nov 20 10:00:05 2026", "", "soon"} {
		f.Add(s)
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "retry-after.txt")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f.Add(l)
		}
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}
