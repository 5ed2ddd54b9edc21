package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestDigestsGolden formats real batches and compares the payloads, as
// posted, with testdata/NAME.golden (go test -run TestDigestsGolden -update
// rewrites them).
func TestDigestsGolden(t *testing.T) {
	f := func(name, input string, cfg Config) {
		t.Helper()
		ms, err := Digests(cfg, loadEvents(t, input))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got bytes.Buffer
		for i := range ms {
			p, err := ms[i].Payload()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := json.Indent(&got, p, "", "  "); err != nil {
				t.Fatalf("%s: payload is not JSON: %v", name, err)
			}
			got.WriteByte('\n')
		}
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: digests differ from %s (run with -update after checking):\n%s", name, path, got.Bytes())
		}
	}
	// The example drain of examples/heroku-to-slack, unfiltered.
	f("heroku", "heroku.ndjson", Config{})
	// An incident: H12 timeouts, database errors, R14 then a crash.
	f("incident", "incident.ndjson", Config{})
	// The same by app and dyno, 3 lines each, with overrides.
	f("incident-by-proc", "incident.ndjson", Config{
		GroupBy: "{app} {proc}", MaxLines: 3, MaxLineLength: 80,
		Channel: "#alerts", Username: "sluice", Icons: map[string]string{"err": ":fire:", "crit": ""},
	})
	// Characters Slack reads as markup, control characters, long lines.
	f("escaping", "escaping.ndjson", Config{})
}

func TestDigestsLines(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2026, 11, 20, 10, 1, sec, 0, time.UTC) }
	ev := func(sec int, msg string) event.Event {
		return event.Event{Time: at(sec), Severity: event.Error, Host: "host", App: "app", Proc: "web.1", Message: msg}
	}
	f := func(cfg Config, batch []event.Event, wantTitle, wantText string) {
		t.Helper()
		ms, err := Digests(cfg, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 {
			t.Fatalf("got %d digests, want 1", len(ms))
		}
		a := ms[0].Attachments[0]
		if a.Title != wantTitle || a.Text != wantText {
			t.Errorf("got title %q text\n%s\nwant title %q text\n%s", a.Title, a.Text, wantTitle, wantText)
		}
	}
	f(Config{}, []event.Event{ev(1, "boom")},
		":x: error host app web.1 (1 line)", "```\n2026-11-20T10:01:01Z: boom\n```")
	// Time order, not arrival order; identical messages collapsed with
	// the first timestamp, wherever they are.
	f(Config{}, []event.Event{ev(3, "b"), ev(1, "a"), ev(2, "b"), ev(4, "a"), ev(5, "c")},
		":x: error host app web.1 (5 lines)",
		"```\n2026-11-20T10:01:01Z: a ×2\n2026-11-20T10:01:02Z: b ×2\n2026-11-20T10:01:05Z: c\n```")
	// MaxLines counts lines; "more" counts the events not shown.
	f(Config{MaxLines: 2}, []event.Event{ev(1, "a"), ev(2, "b"), ev(3, "c"), ev(4, "c"), ev(5, "d")},
		":x: error host app web.1 (5 lines)",
		"```\n2026-11-20T10:01:01Z: a\n2026-11-20T10:01:02Z: b\n```\n_… and 3 more_")
	// No time: the received time; sub-seconds are dropped, zones are UTC.
	f(Config{}, []event.Event{{Received: time.Date(2026, 11, 20, 11, 1, 2, 999e6, time.FixedZone("", 3600)), Severity: event.Error, Message: "x"}},
		":x: error (1 line)", "```\n2026-11-20T10:01:02Z: x\n```")
	// An empty key.
	f(Config{GroupBy: "{fields.missing}"}, []event.Event{ev(1, "x")},
		":x: (empty key) (1 line)", "```\n2026-11-20T10:01:01Z: x\n```")
	f(Config{MaxLineLength: 5}, []event.Event{ev(1, "abcdef"), ev(2, "abcde"), ev(3, "<<<<<<")},
		":x: error host app web.1 (3 lines)",
		"```\n2026-11-20T10:01:01Z: abcd…\n2026-11-20T10:01:02Z: abcde\n2026-11-20T10:01:03Z: &lt;&lt;&lt;&lt;…\n```")
}

func TestDigestsOrderAndColour(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
	var batch []event.Event
	for i, s := range []event.Severity{event.Debug, event.Info, event.Notice, event.Warning, event.Error, event.Crit, event.Alert, event.Emerg, event.Info} {
		batch = append(batch, event.Event{Time: at.Add(time.Duration(i) * time.Second), Severity: s, App: "app", Message: "m"})
	}
	ms, err := Digests(Config{GroupBy: "{severity}"}, batch)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s %s %s", m.IconEmoji, m.Attachments[0].Color, m.Attachments[0].Title))
	}
	want := []string{
		":rotating_light: danger :rotating_light: emerg (1 line)",
		":rotating_light: danger :rotating_light: alert (1 line)",
		":rotating_light: danger :rotating_light: crit (1 line)",
		":x: danger :x: error (1 line)",
		":warning: warning :warning: warning (1 line)",
		":information_source: #439FE0 :information_source: notice (1 line)",
		":information_source: good :information_source: info (2 lines)",
		":mag: #aaaaaa :mag: debug (1 line)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A group of mixed severities takes the most severe one's colour.
	ms, _ = Digests(Config{GroupBy: "{app}"}, batch)
	if len(ms) != 1 || ms[0].Attachments[0].Color != "danger" || ms[0].IconEmoji != ":rotating_light:" {
		t.Errorf("mixed group: got %+v", ms)
	}
}

func TestAppendEscaped(t *testing.T) {
	f := func(in string, maxRunes, maxBytes int, want string) {
		t.Helper()
		if got := string(appendEscaped(nil, in, maxRunes, maxBytes)); got != want {
			t.Errorf("appendEscaped(%q, %d, %d) = %q, want %q", in, maxRunes, maxBytes, got, want)
		}
	}
	f("a & b < c > d", 100, 100, "a &amp; b &lt; c &gt; d")
	f("&amp;", 100, 100, "&amp;amp;")
	f("<!channel>", 100, 100, "&lt;!channel&gt;")
	f("```x```", 100, 100, "`\u200b`\u200b`x`\u200b`\u200b`")
	f("`a` `b`", 100, 100, "`a` `b`")
	f("l1\nl2\r\nl3\rl4", 100, 100, "l1⏎l2⏎l3⏎l4")
	f("a\tb\x00c\x1bd\x7fe\u0085f", 100, 100, "a\tb c d e f")
	f("bad \xff utf8", 100, 100, "bad \uFFFD utf8")
	f("日本語テキスト", 3, 100, "日本…")
	f("日本語", 3, 100, "日本語")
	f("abc\r\n", 4, 100, "abc⏎")
	f("abcdef", 1, 100, "…")
	f("a", 1, 100, "a")
	f("", 5, 100, "")
	// The byte budget counts escapes and keeps room for the ellipsis.
	f("&&&&", 100, 13, "&amp;&amp;…")
	f("&&", 100, 10, "&amp;&amp;")
	f("abc", 100, 2, "")
}

func TestDigestsSizeLimit(t *testing.T) {
	// A huge window: 5000 distinct long lines full of characters that
	// escape to four or five bytes.
	at := time.Date(2026, 11, 20, 10, 1, 0, 0, time.UTC)
	batch := make([]event.Event, 5000)
	for i := range batch {
		batch[i] = event.Event{Time: at.Add(time.Duration(i) * time.Millisecond), Severity: event.Error, App: strings.Repeat("a", 500),
			Message: fmt.Sprintf("%05d %s", i, strings.Repeat("<&>", 300))}
	}
	ms, err := Digests(Config{GroupBy: "{app}", MaxLines: MaxMaxLines, MaxLineLength: MaxMaxLineLength}, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("got %d digests, want 1", len(ms))
	}
	a := ms[0].Attachments[0]
	if len(a.Text) > maxTextBytes {
		t.Errorf("text is %d bytes, above %d", len(a.Text), maxTextBytes)
	}
	if n := utf8.RuneCountInString(a.Title); n > maxKeyRunes+40 {
		t.Errorf("title is %d characters", n)
	}
	body, _, ok := strings.Cut(strings.TrimPrefix(a.Text, "```\n"), "\n```")
	if !ok {
		t.Fatalf("no code block in %q", a.Text[:200])
	}
	shown := len(strings.Split(body, "\n"))
	if want := fmt.Sprintf("\n```\n_… and %d more_", 5000-shown); !strings.HasSuffix(a.Text, want) || shown < 2 {
		t.Errorf("%d lines shown; text ends %q, want %q", shown, a.Text[len(a.Text)-40:], want)
	}
	p, err := ms[0].Payload()
	if err != nil || len(p) > maxTextBytes+4096 {
		t.Errorf("payload is %d bytes (%v)", len(p), err)
	}
	// One line longer than the whole budget once escaped is cut to fit.
	ms, _ = Digests(Config{MaxLineLength: MaxMaxLineLength}, []event.Event{{Time: at, Message: strings.Repeat("&", 20000)}})
	a = ms[0].Attachments[0]
	if len(a.Text) > maxTextBytes || len(a.Text) < maxTextBytes-moreReserve-10 || !strings.HasSuffix(a.Text, "&amp;…\n```") {
		t.Errorf("one huge line: text of %d bytes ending %q", len(a.Text), a.Text[len(a.Text)-20:])
	}
}

func TestDigestsConfigError(t *testing.T) {
	if _, err := Digests(Config{GroupBy: "{nope}"}, nil); err == nil || !strings.Contains(err.Error(), "unknown placeholder {nope}") {
		t.Errorf("got %v", err)
	}
	if ms, err := Digests(Config{}, nil); err != nil || ms == nil && len(ms) != 0 {
		t.Errorf("empty batch: %v %v", ms, err)
	}
}
