package slack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Size limits of a digest (see the package documentation).
const (
	// maxTextBytes bounds an attachment's text, escapes included. Slack
	// truncates message text beyond 40,000 characters; counting bytes
	// (never fewer than characters) keeps a digest under that.
	maxTextBytes = 39000
	// maxKeyRunes bounds the group key shown in a title.
	maxKeyRunes = 150
	// moreReserve is room kept at the end of a text for the closing
	// fence and the "… and N more" line.
	moreReserve = 64
	// minLineRoom: a line after the first is left out (counted in "… and
	// N more") rather than cut to less than this.
	minLineRoom = 64
)

// Message is one incoming-webhook payload: the digest of one group.
type Message struct {
	Channel   string `json:"channel,omitempty"`
	Username  string `json:"username,omitempty"`
	IconEmoji string `json:"icon_emoji,omitempty"`
	// Attachments holds the digest, one attachment (for its colour bar).
	Attachments []Attachment `json:"attachments"`
}

// Attachment is one of Slack's (legacy) secondary message attachments.
type Attachment struct {
	// Fallback is the plain-text summary notifications show.
	Fallback string `json:"fallback"`
	// Color is good, warning, danger or a hex colour such as #439FE0.
	Color string `json:"color"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// MrkdwnIn names the fields whose mrkdwn Slack renders: text.
	MrkdwnIn []string `json:"mrkdwn_in"`
}

// Payload returns m as the JSON body of a webhook request. Characters are
// not HTML-escaped: the text fields are already escaped as Slack wants.
func (m *Message) Payload() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("cannot encode digest: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Color returns the attachment colour for severity s: debug #aaaaaa, info
// good, notice #439FE0, warning warning, error and worse danger.
func Color(s event.Severity) string {
	switch {
	case s <= event.Error:
		return "danger"
	case s == event.Warning:
		return "warning"
	case s == event.Notice:
		return "#439FE0"
	case s == event.Info:
		return "good"
	}
	return "#aaaaaa"
}

// Digests groups batch by cfg.GroupBy and returns one message per group:
// most severe groups first, then by their earliest event. It is what a
// Write posts, without the HTTP; cfg.WebhookURL is not used.
func Digests(cfg Config, batch []event.Event) ([]Message, error) {
	f, err := newFormatter(cfg)
	if err != nil {
		return nil, err
	}
	ds := f.digests(batch)
	out := make([]Message, len(ds))
	for i := range ds {
		out[i] = ds[i].msg
	}
	return out, nil
}

// formatter turns batches into digests.
type formatter struct {
	key        *tmpl.Template
	maxLines   int
	maxLineLen int
	channel    string
	username   string
	icons      [event.Debug + 1]string
}

func newFormatter(cfg Config) (*formatter, error) {
	if err := cfg.validateFormat(); err != nil {
		return nil, fmt.Errorf("cannot format Slack digests: %w", err)
	}
	cfg = cfg.withDefaults()
	key, err := tmpl.Parse(cfg.GroupBy)
	if err != nil {
		return nil, fmt.Errorf("cannot format Slack digests: %w", err)
	}
	return &formatter{
		key:        key,
		maxLines:   cfg.MaxLines,
		maxLineLen: cfg.MaxLineLength,
		channel:    cfg.Channel,
		username:   cfg.Username,
		icons:      cfg.icons(),
	}, nil
}

// digest is a message and the events (indexes in the batch) it covers.
type digest struct {
	msg    Message
	events []int
}

type group struct {
	key    string
	sev    event.Severity // the most severe
	first  time.Time
	events []int
}

// line is one line of a digest: a message, how often it occurred, when
// first.
type line struct {
	at  time.Time
	msg string
	n   int
}

func (f *formatter) digests(batch []event.Event) []digest {
	if len(batch) == 0 {
		return nil
	}
	index := make(map[string]int)
	var groups []group
	var kb []byte
	for i := range batch {
		e := &batch[i]
		kb = f.key.Execute(kb[:0], e)
		at := eventTime(e)
		sev := min(e.Severity, event.Debug)
		gi, ok := index[string(kb)]
		if !ok {
			gi = len(groups)
			k := string(kb)
			index[k] = gi
			groups = append(groups, group{key: k, sev: sev, first: at})
		}
		g := &groups[gi]
		g.events = append(g.events, i)
		g.sev = min(g.sev, sev)
		if at.Before(g.first) {
			g.first = at
		}
	}
	slices.SortStableFunc(groups, func(a, b group) int {
		return cmp.Or(cmp.Compare(a.sev, b.sev), a.first.Compare(b.first), strings.Compare(a.key, b.key))
	})
	out := make([]digest, len(groups))
	var lines []line
	seen := make(map[string]int)
	for gi := range groups {
		g := &groups[gi]
		slices.SortStableFunc(g.events, func(a, b int) int {
			return eventTime(&batch[a]).Compare(eventTime(&batch[b]))
		})
		lines = lines[:0]
		clear(seen)
		for _, i := range g.events {
			e := &batch[i]
			if li, ok := seen[e.Message]; ok {
				lines[li].n++
				continue
			}
			seen[e.Message] = len(lines)
			lines = append(lines, line{at: eventTime(e), msg: e.Message, n: 1})
		}
		out[gi] = digest{msg: f.message(g, lines), events: g.events}
	}
	return out
}

// eventTime is when e happened, or when it was received if unknown.
func eventTime(e *event.Event) time.Time {
	if e.Time.IsZero() {
		return e.Received
	}
	return e.Time
}

func (f *formatter) message(g *group, lines []line) Message {
	icon := f.icons[g.sev]
	var t []byte
	if icon != "" {
		t = append(t, icon...)
		t = append(t, ' ')
	}
	key := strings.Join(strings.Fields(g.key), " ")
	if key == "" {
		key = "(empty key)"
	}
	t = appendEscaped(t, key, maxKeyRunes, maxTextBytes)
	t = append(t, " ("...)
	t = strconv.AppendInt(t, int64(len(g.events)), 10)
	if len(g.events) == 1 {
		t = append(t, " line)"...)
	} else {
		t = append(t, " lines)"...)
	}
	title := string(t)
	return Message{
		Channel:   f.channel,
		Username:  f.username,
		IconEmoji: icon,
		Attachments: []Attachment{{
			Fallback: title,
			Color:    Color(g.sev),
			Title:    title,
			Text:     f.text(lines, len(g.events)),
			MrkdwnIn: []string{"text"},
		}},
	}
}

// text lists lines in a code block (so that log text is shown as it is,
// not read as mrkdwn), "TIMESTAMP: message ×N", then "… and N more" for the
// events not shown.
func (f *formatter) text(lines []line, events int) string {
	b := make([]byte, 0, 256)
	b = append(b, "```\n"...)
	shown := 0
	for li, l := range lines {
		if li >= f.maxLines {
			break
		}
		start := len(b)
		if li > 0 {
			b = append(b, '\n')
		}
		b = l.at.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, ": "...)
		var suffix []byte
		if l.n > 1 {
			suffix = strconv.AppendInt([]byte(" ×"), int64(l.n), 10)
		}
		room := maxTextBytes - moreReserve - len(b) - len(suffix)
		if li > 0 && room < minLineRoom {
			b = b[:start]
			break
		}
		b = appendEscaped(b, l.msg, f.maxLineLen, room)
		b = append(b, suffix...)
		shown += l.n
	}
	b = append(b, "\n```"...)
	if more := events - shown; more > 0 {
		b = append(b, "\n_… and "...)
		b = strconv.AppendInt(b, int64(more), 10)
		b = append(b, " more_"...)
	}
	return string(b)
}

const (
	ellipsis = "…"
	zwsp     = "\u200b"
)

// appendEscaped appends s made safe for a Slack text field: &, < and >
// escaped as Slack requires, line breaks shown as ⏎ (a line is one event),
// other control characters as spaces, invalid UTF-8 as U+FFFD, and a
// zero-width space between consecutive backticks (so the message cannot
// close the code block). At most maxRunes characters of s are shown and at
// most maxBytes bytes appended; a cut s ends in "…".
func appendEscaped(dst []byte, s string, maxRunes, maxBytes int) []byte {
	if maxBytes < len(ellipsis) || maxRunes < 1 {
		return dst
	}
	used := 0
	n := 0
	prevBacktick := false
	var rb [utf8.UTFMax + len(zwsp)]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		next := i + size
		var rep []byte
		switch {
		case r == '\r' || r == '\n':
			if r == '\r' && next < len(s) && s[next] == '\n' {
				next++
			}
			rep = append(rb[:0], "⏎"...)
		case r == '\t':
			rep = append(rb[:0], '\t')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			rep = append(rb[:0], ' ')
		case r == '&':
			rep = append(rb[:0], "&amp;"...)
		case r == '<':
			rep = append(rb[:0], "&lt;"...)
		case r == '>':
			rep = append(rb[:0], "&gt;"...)
		case r == '`' && prevBacktick:
			rep = append(append(rb[:0], zwsp...), '`')
		default:
			// Invalid UTF-8 decodes as utf8.RuneError: written as U+FFFD.
			rep = utf8.AppendRune(rb[:0], r)
		}
		prevBacktick = r == '`'
		last := next >= len(s)
		need := len(rep)
		if !last {
			need += len(ellipsis)
		}
		if (n == maxRunes-1 && !last) || used+need > maxBytes {
			return append(dst, ellipsis...)
		}
		dst = append(dst, rep...)
		used += len(rep)
		n++
		i = next
	}
	return dst
}
