// Package api is sluice's HTTP query API under /api/v1/: search,
// histogram, groups and streams of the embedded store as JSON, and live
// tail as Server-Sent Events. `sluice tail`, `sluice search` and the web
// UI use it; so can curl.
//
//	GET /api/v1/search?q=QUERY&since=1h&until=…&limit=100&cursor=…
//	    {"events": [EVENT…], "next": "CURSOR"}   newest first; "" when no more
//	GET /api/v1/histogram?q=…&since=…&until=…&buckets=60
//	    {"interval": "1m0s", "interval_seconds": 60,
//	     "buckets": [{"start": T, "total": N, "counts": {"error": 2, …}}]}
//	GET /api/v1/groups
//	    {"groups": [{"name", "last", "total", "last_hour", "counts"}]}
//	GET /api/v1/streams?group=G
//	    {"streams": [{"group", "name", "last", "total", "counts"}]}
//	GET /api/v1/tail?q=…&backfill=N[&after=ID]
//	    text/event-stream: the newest N stored matches oldest first, then
//	    each newly stored match; "id: POSITION" and "data: EVENT" per
//	    event, "event: dropped" with {"dropped": N} when the reader fell
//	    behind, ": keepalive" comments every 15 s. A client that reconnects
//	    with Last-Event-ID (as EventSource does) or after= gets the events
//	    stored above that position first (up to 1000).
//
// EVENT is an event's JSON form (event.Event.AppendJSON). since and until
// are durations ago (15m, 1h, 2d) or RFC 3339 times. Errors are JSON
// {"error": "…"} with 400 for a bad parameter (a bad query names its
// column), 401 for missing or wrong credentials, 404, 405, 503 when no
// store is configured and 504 when a query ran past the store's time
// limit.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store"
	"github.com/sluicelog/sluice/internal/store/query"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Defaults of Config.
const (
	DefaultMaxBackfill = 1000
	DefaultKeepalive   = 15 * time.Second
	DefaultBuckets     = 60
	MaxBuckets         = 1000
)

// Config configures the API.
type Config struct {
	// Store answers the queries; nil makes every endpoint answer 503.
	Store *store.Store
	// Closing, when closed, ends live tails (sluice is shutting down).
	Closing <-chan struct{}
	// MaxBackfill caps tail's backfill (default 1000).
	MaxBackfill int
	// TailBuffer is how many events a slow tail reader may fall behind
	// before the oldest are dropped (default store.DefaultTailBuffer).
	TailBuffer int
	// Keepalive is the interval of tail's keepalive comments (default 15s).
	Keepalive time.Duration
	Logger    *slog.Logger
	// Now is the clock for relative times (time.Now when nil).
	Now func() time.Time
}

type api struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the API's handler, to be mounted at Prefix.
func New(cfg Config) http.Handler {
	if cfg.MaxBackfill <= 0 {
		cfg.MaxBackfill = DefaultMaxBackfill
	}
	if cfg.Keepalive <= 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &api{cfg: cfg, mux: http.NewServeMux()}
	a.mux.HandleFunc(Prefix+"search", a.get(a.search))
	a.mux.HandleFunc(Prefix+"histogram", a.get(a.histogram))
	a.mux.HandleFunc(Prefix+"groups", a.get(a.groups))
	a.mux.HandleFunc(Prefix+"streams", a.get(a.streams))
	a.mux.HandleFunc(Prefix+"tail", a.get(a.tail))
	a.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s: use %[2]ssearch, %[2]stail, %[2]shistogram, %[2]sgroups or %[2]sstreams", r.URL.Path, Prefix))
	})
	return a.mux
}

// RequireAuth lets a request through to h only with credentials of set
// (nil: everyone). Refusals are 401 with the set's challenge: a JSON error
// under Prefix, text elsewhere (a browser then asks for basic credentials).
func RequireAuth(set *auth.Set, h http.Handler) http.Handler {
	if set == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := set.Authenticate(r); err != nil {
			w.Header().Set("WWW-Authenticate", set.Challenge())
			msg := "missing or wrong credentials: send the API token as Authorization: Bearer TOKEN (sluice tail/search: --token or $SLUICE_TOKEN)"
			if set.Kind() == auth.Basic {
				msg = "missing or wrong credentials: sign in with a user and password from the api auth"
			}
			if strings.HasPrefix(r.URL.Path, Prefix) {
				writeError(w, http.StatusUnauthorized, msg)
				return
			}
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// get wraps an endpoint: GET (and HEAD) only, and a store is required.
func (a *api) get(fn func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s does not take %s: use GET", r.URL.Path, r.Method))
			return
		}
		if a.cfg.Store == nil {
			writeError(w, http.StatusServiceUnavailable, "no store is configured: add a sink of type store and a subscription to it (see docs/configuration.md)")
			return
		}
		fn(w, r)
	}
}

// params reads the query and time range parameters every endpoint shares.
type params struct {
	q            *query.Query
	since, until time.Time
}

func (a *api) params(r *http.Request, defaultSince string) (params, error) {
	var p params
	v := r.URL.Query()
	var err error
	if p.q, err = query.Parse(v.Get("q")); err != nil {
		return p, fmt.Errorf("q: %w", err)
	}
	now := a.cfg.Now()
	since := v.Get("since")
	if since == "" {
		since = defaultSince
	}
	if since != "" {
		if p.since, err = query.ParseTime(since, now); err != nil {
			return p, fmt.Errorf("since: %w", err)
		}
	}
	if until := v.Get("until"); until != "" {
		if p.until, err = query.ParseTime(until, now); err != nil {
			return p, fmt.Errorf("until: %w", err)
		}
	}
	if !p.since.IsZero() && !p.until.IsZero() && !p.since.Before(p.until) {
		return p, fmt.Errorf("since (%s) must be before until (%s)", p.since.Format(time.RFC3339), p.until.Format(time.RFC3339))
	}
	return p, nil
}

// intParam reads an integer parameter between lo and hi; def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: cannot use %q: want a whole number from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

func (a *api) search(w http.ResponseWriter, r *http.Request) {
	p, err := a.params(r, "")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := intParam(r, "limit", store.DefaultLimit, 1, store.MaxLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	events, next, err := a.cfg.Store.Search(r.Context(), store.Request{Query: p.q, Since: p.since, Until: p.until,
		Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	buf := make([]byte, 0, 256*(len(events)+1))
	buf = append(buf, `{"events":[`...)
	for i := range events {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = events[i].AppendJSON(buf)
	}
	buf = append(buf, `],"next":`...)
	buf = strconv.AppendQuote(buf, next)
	buf = append(buf, "}\n"...)
	writeJSONBytes(w, buf)
}

// countsJSON names the non-zero severities of c.
func countsJSON(c *store.Counts) map[string]int64 {
	m := map[string]int64{}
	for sev, n := range c {
		if n != 0 {
			m[event.Severity(sev).String()] = n
		}
	}
	return m
}

func (a *api) histogram(w http.ResponseWriter, r *http.Request) {
	p, err := a.params(r, "24h")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	n, err := intParam(r, "buckets", DefaultBuckets, 1, MaxBuckets)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	h, err := a.cfg.Store.Histogram(r.Context(), p.q, p.since, p.until, n)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	type bucket struct {
		Start  time.Time        `json:"start"`
		Total  int64            `json:"total"`
		Counts map[string]int64 `json:"counts"`
	}
	out := struct {
		Interval        string   `json:"interval"`
		IntervalSeconds float64  `json:"interval_seconds"`
		Buckets         []bucket `json:"buckets"`
	}{Interval: h.Interval.String(), IntervalSeconds: h.Interval.Seconds(), Buckets: make([]bucket, len(h.Buckets))}
	for i := range h.Buckets {
		b := &h.Buckets[i]
		out.Buckets[i] = bucket{Start: b.Start.UTC(), Total: b.Counts.Total(), Counts: countsJSON(&b.Counts)}
	}
	writeJSON(w, out)
}

func (a *api) groups(w http.ResponseWriter, r *http.Request) {
	groups, err := a.cfg.Store.Groups(r.Context())
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	type group struct {
		Name     string           `json:"name"`
		Last     time.Time        `json:"last"`
		Total    int64            `json:"total"`
		LastHour int64            `json:"last_hour"`
		Counts   map[string]int64 `json:"counts"`
	}
	out := struct {
		Groups []group `json:"groups"`
	}{Groups: make([]group, len(groups))}
	for i := range groups {
		g := &groups[i]
		out.Groups[i] = group{Name: g.Name, Last: g.Last.UTC(), Total: g.Counts.Total(), LastHour: g.LastHour, Counts: countsJSON(&g.Counts)}
	}
	writeJSON(w, out)
}

func (a *api) streams(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("group")
	if name == "" {
		writeError(w, http.StatusBadRequest, "group: required, e.g. ?group=heroku/myapp (list groups with "+Prefix+"groups)")
		return
	}
	streams, err := a.cfg.Store.Streams(r.Context(), name)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	type stream struct {
		Group  string           `json:"group"`
		Name   string           `json:"name"`
		Last   time.Time        `json:"last"`
		Total  int64            `json:"total"`
		Counts map[string]int64 `json:"counts"`
	}
	out := struct {
		Streams []stream `json:"streams"`
	}{Streams: make([]stream, len(streams))}
	for i := range streams {
		s := &streams[i]
		out.Streams[i] = stream{Group: s.Group, Name: s.Name, Last: s.Last.UTC(), Total: s.Counts.Total(), Counts: countsJSON(&s.Counts)}
	}
	writeJSON(w, out)
}

// tail streams the backfill and then newly stored matching events as
// Server-Sent Events until the client goes away or sluice shuts down.
func (a *api) tail(w http.ResponseWriter, r *http.Request) {
	p, err := a.params(r, "")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !p.since.IsZero() || !p.until.IsZero() {
		writeError(w, http.StatusBadRequest, "tail takes no since or until: it follows new events (use backfill=N for the newest stored ones, or search for a time range)")
		return
	}
	n, err := intParam(r, "backfill", 0, 0, a.cfg.MaxBackfill)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// A reconnecting client (EventSource sends the id of the last event it
	// got as Last-Event-ID; others may pass after=) resumes where it was:
	// up to MaxBackfill events stored above that position.
	after := r.Header.Get("Last-Event-ID")
	if v := r.URL.Query().Get("after"); v != "" {
		after = v
	}
	if after != "" {
		n = a.cfg.MaxBackfill
	}
	// Subscribe before reading the backfill: an event stored in between
	// is in both and shown once; none falls between them.
	t := a.cfg.Store.Tail(p.q, a.cfg.TailBuffer)
	defer t.Close()
	backfill, err := a.cfg.Store.Backfill(r.Context(), p.q, n, after)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	seen := make(map[string]struct{}, len(backfill))
	buf := []byte("retry: 2000\n\n")
	for i := range backfill {
		seen[backfill[i].Cursor] = struct{}{}
		buf = appendEvent(buf, &backfill[i])
	}
	if !a.send(w, rc, buf) {
		return
	}
	keepalive := time.NewTicker(a.cfg.Keepalive)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-a.cfg.Closing:
			return
		case <-keepalive.C:
			if !a.send(w, rc, []byte(": keepalive\n\n")) {
				return
			}
			continue
		case <-t.Ready():
		}
		events, dropped := t.Take()
		buf = buf[:0]
		if dropped > 0 {
			buf = fmt.Appendf(buf, "event: dropped\ndata: {\"dropped\":%d}\n\n", dropped)
		}
		for i := range events {
			if _, dup := seen[events[i].Cursor]; dup {
				delete(seen, events[i].Cursor)
				continue
			}
			buf = appendEvent(buf, &events[i])
		}
		if len(buf) > 0 && !a.send(w, rc, buf) {
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil // don't keep a burst's buffer for the life of the stream
		}
	}
}

// tailWriteTimeout bounds one write of a tail: a reader that takes longer
// is gone or stuck, and the stream ends.
const tailWriteTimeout = 30 * time.Second

// send writes and flushes b; false when the client is gone.
func (a *api) send(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(tailWriteTimeout))
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

func appendEvent(buf []byte, te *store.TailEvent) []byte {
	buf = append(buf, "id: "...)
	buf = append(buf, te.Cursor...)
	buf = append(buf, "\ndata: "...)
	buf = te.Event.AppendJSON(buf) // JSON escapes newlines: one data line
	return append(buf, "\n\n"...)
}

// storeError answers a failed store call: 504 when it ran out of time, and
// nothing when the client went away.
func (a *api) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, err.Error())
	case r.Context().Err() != nil:
		// The client is gone; nobody reads an answer.
	case errors.As(err, new(*store.CursorError)):
		writeError(w, http.StatusBadRequest, "cursor: "+err.Error())
	default:
		a.cfg.Logger.Error("store query failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the answer: "+err.Error())
		return
	}
	writeJSONBytes(w, append(b, '\n'))
}

func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
