package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/store/query"
)

// Modes of the page.
const (
	modeTail   = "tail"
	modeSearch = "search"
)

// defaultSince is the time range of a page whose URL gives none: the last
// day for a search, the last hour for live tail's histogram (what is
// happening now).
func (s state) defaultSince() string {
	if s.Mode == modeTail {
		return "1h"
	}
	return "24h"
}

// preset is a choice of the time range picker.
type preset struct{ Value, Label string }

var presets = []preset{
	{"15m", "Last 15 minutes"},
	{"1h", "Last hour"},
	{"6h", "Last 6 hours"},
	{"24h", "Last 24 hours"},
	{"7d", "Last 7 days"},
}

// state is what the page's URL says: a shareable view.
type state struct {
	Q, Since, Until, Mode string
}

func readState(r *http.Request) state {
	v := r.URL.Query()
	s := state{
		Q:     strings.TrimSpace(v.Get("q")),
		Since: strings.TrimSpace(v.Get("since")),
		Until: strings.TrimSpace(v.Get("until")),
		Mode:  v.Get("mode"),
	}
	if s.Since == "custom" { // the picker's choice arrived without its inputs
		s.Since = ""
	}
	if s.Mode != modeTail && s.Mode != modeSearch {
		// A URL with a query or a time range is a search someone shared;
		// a bare / is live tail, as in Papertrail.
		s.Mode = modeTail
		if s.Q != "" || s.Since != "" || s.Until != "" {
			s.Mode = modeSearch
		}
	}
	return s
}

// values are the URL parameters of s, empty ones left out.
func (s state) values() url.Values {
	v := url.Values{}
	if s.Q != "" {
		v.Set("q", s.Q)
	}
	if s.Since != "" {
		v.Set("since", s.Since)
	}
	if s.Until != "" {
		v.Set("until", s.Until)
	}
	v.Set("mode", s.Mode)
	return v
}

// href is the page's URL for s.
func (s state) href() string { return "/?" + s.values().Encode() }

// withQuery is s with another query.
func (s state) withQuery(q string) state { s.Q = q; return s }

// withMode is s in another mode.
func (s state) withMode(m string) state { s.Mode = m; return s }

// custom reports whether the time range is not one of the presets.
func (s state) custom() bool {
	if s.Until != "" {
		return true
	}
	if s.Since == "" {
		return false
	}
	for _, p := range presets {
		if p.Value == s.Since {
			return false
		}
	}
	return true
}

// RangeText describes the time range in words.
func (s state) RangeText() string {
	since := s.Since
	if since == "" {
		since = s.defaultSince()
	}
	if s.Until == "" {
		for _, p := range presets {
			if p.Value == since {
				return "in the l" + p.Label[1:]
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, since); err == nil {
			return "since " + since
		}
		return "in the last " + since
	}
	return "from " + since + " to " + s.Until
}

// filterValue writes v as the value of a field filter: bare when the query
// language reads it back unchanged, else quoted.
func filterValue(v string) string {
	plain := v != "" && !strings.ContainsAny(v, " \t\r\n()\"\\") && !strings.ContainsAny(v[:1], "<>=")
	if plain {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// groupQuery is the query of every event of a group (and stream).
func groupQuery(group, stream string) string {
	q := "group:" + filterValue(group)
	if stream != "" {
		q += " stream:" + filterValue(stream)
	}
	return q
}

// queryError is a syntax error of the query, cut where it happened so the
// page can point at it.
type queryError struct {
	Msg               string
	Column            int
	Before, At, After string
	Caret             string
}

// parsed is a state read into what the store takes.
type parsed struct {
	q            *query.Query
	since, until time.Time // until zero: open
	qerr         *queryError
	err          string // a bad since or until
}

func (p *parsed) bad() bool { return p.qerr != nil || p.err != "" }

func parseState(s state, now time.Time) parsed {
	var p parsed
	q, err := query.Parse(s.Q)
	var se *query.SyntaxError
	switch {
	case errors.As(err, &se):
		p.qerr = newQueryError(se)
	case err != nil:
		p.err = fmt.Sprintf("cannot read the query: %v", err)
	default:
		p.q = q
	}
	since := s.Since
	if since == "" {
		since = s.defaultSince()
	}
	var errs []string
	if p.since, err = query.ParseTime(since, now); err != nil {
		errs = append(errs, fmt.Sprintf("since %q: %v; give a duration ago (15m, 2h, 7d) or an RFC 3339 time (2026-11-21T10:00:00Z)", since, err))
	}
	if s.Until != "" {
		if p.until, err = query.ParseTime(s.Until, now); err != nil {
			errs = append(errs, fmt.Sprintf("until %q: %v; give a duration ago (15m, 2h, 7d), an RFC 3339 time, or leave it empty for now", s.Until, err))
		}
	}
	if len(errs) == 0 && !p.until.IsZero() && !p.since.Before(p.until) {
		errs = append(errs, fmt.Sprintf("the time range is empty: since (%s) is not before until (%s)", p.since.UTC().Format(time.RFC3339), p.until.UTC().Format(time.RFC3339)))
	}
	if len(errs) > 0 {
		p.err = "Cannot read the time range: " + strings.Join(errs, "; ")
	}
	return p
}

func newQueryError(se *query.SyntaxError) *queryError {
	off := min(max(se.Offset, 0), len(se.Query))
	e := &queryError{Msg: se.Msg, Column: se.Column, Before: se.Query[:off]}
	if off < len(se.Query) {
		_, n := utf8.DecodeRuneInString(se.Query[off:])
		e.At, e.After = se.Query[off:off+n], se.Query[off+n:]
	} else {
		e.At = " " // the end of the query: mark the place after it
	}
	e.Caret = strings.Repeat(" ", utf8.RuneCountInString(e.Before)) + "^"
	return e
}
