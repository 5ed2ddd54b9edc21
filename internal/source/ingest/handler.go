package ingest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// Handler receives JSON, NDJSON and plain-text batches of events. It is
// safe for concurrent use.
type Handler struct {
	cfg Config
	ing pipeline.Ingester
	m   *metrics
	log *slog.Logger
	// now returns the time events are received; tests replace it.
	now func() time.Time
}

// New returns a Handler that hands the valid events of each request to ing
// and answers once ing has made them durable. Metrics are registered on reg
// (none when nil); logger nil discards logs.
func New(cfg Config, ing pipeline.Ingester, reg prometheus.Registerer, logger *slog.Logger) (*Handler, error) {
	if ing == nil {
		return nil, errors.New("cannot create ingest source: no ingester")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create ingest source: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("cannot create ingest source: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		cfg: cfg.withDefaults(),
		ing: ing,
		m:   m,
		log: logger.With("source", sourceLabel),
		now: time.Now,
	}, nil
}

// Path returns the URL path to mount the handler at. Mount it at Path()
// and at Path()+"/" so that POST <path>/<group> reaches it.
func (h *Handler) Path() string { return h.cfg.Path }

// response is the JSON body of every answer.
type response struct {
	// Accepted is the number of events stored; 0 on every refusal.
	Accepted int `json:"accepted"`
	// Rejected is the number of invalid events not stored.
	Rejected int `json:"rejected"`
	// Errors describes the first rejected events.
	Errors []rejection `json:"errors,omitempty"`
	// Error says why a request was refused (every status but 200).
	Error string `json:"error,omitempty"`
}

// outcome is what one request came to, for the answer, the metrics and the
// log line.
type outcome struct {
	response
	status    int
	requestID string
	identity  string
	canceled  bool
	err       error
}

// ServeHTTP receives one batch. See the package documentation for the
// answers it gives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := outcome{requestID: requestID(r)}
	if he := h.serve(w, r, &o); he != nil {
		o.status, o.Error, o.canceled = he.status, he.msg, he.clientGone
		o.Accepted = 0
		if he.clientGone {
			w.Header().Set("Connection", "close")
		}
	}
	w.Header().Set("X-Request-Id", o.requestID)
	writeJSON(w, o.status, &o.response)
	h.finish(r, &o, start)
}

// serve does the work of ServeHTTP; it returns the refusal, or sets the
// answer in o.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *outcome) *httpError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return errorf(http.StatusMethodNotAllowed, "method %s is not allowed: POST events", r.Method)
	}
	id, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", h.cfg.Auth.Challenge())
		return errorf(http.StatusUnauthorized, "unauthorized: missing or wrong credentials")
	}
	o.identity = id.Name
	defaults, he := h.requestDefaults(r, id)
	if he != nil {
		return he
	}
	kind, he := checkContentType(r)
	if he != nil {
		return he
	}
	gz, he := isGzip(r)
	if he != nil {
		return he
	}
	body, wire, he := readBody(w, r, gz, h.cfg.MaxBodyBytes)
	h.m.bytes.Add(float64(wire))
	if he != nil {
		return he
	}

	var b *batch
	if kind == bodyText {
		b, he = decodeText(body, h.cfg.MaxEvents)
	} else {
		b, he = decodeJSON(body, h.cfg.MaxEvents)
	}
	if he != nil {
		return he
	}
	if he := h.decorate(b, defaults, id); he != nil {
		return he
	}
	o.Rejected, o.Errors = b.nReject, b.rejected
	if len(b.events) > 0 {
		if err := h.ing.Ingest(r.Context(), b.events); err != nil {
			return h.ingestError(r, w, o, err)
		}
	}
	o.Accepted = len(b.events)
	h.m.accepted.Add(float64(o.Accepted))
	h.m.rejected.Add(float64(o.Rejected))
	o.status = http.StatusOK
	if o.Accepted == 0 && o.Rejected > 0 {
		o.status = http.StatusBadRequest
		o.Error = "every event was rejected; nothing stored"
	}
	return nil
}

// defaults are what a request's events get when they name none.
type defaults struct {
	group, stream, app, host, proc string
	severity                       event.Severity
	hasSeverity                    bool
	source                         string
}

// requestDefaults reads the group from the path suffix (or the group query
// parameter), the other defaults from the query, and refuses groups the
// identity may not write to.
func (h *Handler) requestDefaults(r *http.Request, id auth.Identity) (defaults, *httpError) {
	q := r.URL.Query()
	d := defaults{
		group:  q.Get("group"),
		stream: q.Get("stream"),
		app:    q.Get("app"),
		host:   q.Get("host"),
		proc:   q.Get("proc"),
		source: sourceLabel,
	}
	if id.Name != "" {
		d.source = sourceLabel + "/" + id.Name
	}
	switch p := r.URL.Path; {
	case p == h.cfg.Path || p == h.cfg.Path+"/" || h.cfg.Path == "/" && p == "":
	case strings.HasPrefix(p, h.cfg.Path+"/") || h.cfg.Path == "/":
		d.group = strings.TrimSuffix(p[len(strings.TrimSuffix(h.cfg.Path, "/")):], "/")
	default:
		return d, errorf(http.StatusNotFound, "path %q is not under %s", p, h.cfg.Path)
	}
	if d.group == "" {
		d.group = DefaultGroup
	}
	if d.stream == "" {
		d.stream = id.Name
		if d.stream == "" {
			d.stream = DefaultStream
		}
	}
	if err := checkName("group", d.group); err != nil {
		return d, errorf(http.StatusBadRequest, "%v", err)
	}
	if err := checkName("stream", d.stream); err != nil {
		return d, errorf(http.StatusBadRequest, "%v", err)
	}
	if v := q.Get("level"); v != "" {
		sev, ok := severityOf(v)
		if !ok {
			return d, errorf(http.StatusBadRequest, "cannot parse query parameter level %q: want emerg, alert, crit, error, warning, notice, info, debug or 0..7", v)
		}
		d.severity, d.hasSeverity = sev, true
	}
	return d, nil
}

// decorate gives every valid event its defaults, receive time and source,
// rejects events with bad group or stream names, refuses the request when
// an event names a group the identity may not write to, and enriches the
// events.
func (h *Handler) decorate(b *batch, d defaults, id auth.Identity) *httpError {
	received := h.now()
	kept := b.events[:0]
	for i := range b.events {
		e := &b.events[i]
		if e.Group == "" {
			e.Group = d.group
		}
		if e.Stream == "" {
			e.Stream = d.stream
		}
		if e.App == "" {
			e.App = d.app
		}
		if e.Host == "" {
			e.Host = d.host
		}
		if e.Proc == "" {
			e.Proc = d.proc
		}
		if e.SeveritySource == event.SeverityUnset && d.hasSeverity {
			e.Severity, e.SeveritySource = d.severity, event.SeverityField
		}
		err := checkName("group", e.Group)
		if err == nil {
			err = checkName("stream", e.Stream)
		}
		if err != nil {
			b.reject(b.index[i], fmt.Errorf("cannot accept event: %w", err))
			continue
		}
		if !id.AllowsGroup(e.Group) {
			return errorf(http.StatusForbidden, "credentials %q may not write to group %q; nothing stored", id.Name, e.Group)
		}
		e.Received = received
		e.Source = d.source
		h.cfg.Enricher.Enrich(e)
		kept = append(kept, *e)
	}
	b.events = kept
	slices.SortFunc(b.rejected, func(x, y rejection) int { return x.Index - y.Index })
	return nil
}

// checkName accepts a group or stream name of 1 to maxNameBytes bytes of
// valid UTF-8 without control characters.
func checkName(what, s string) error {
	if len(s) > maxNameBytes {
		return fmt.Errorf("%s is longer than %d bytes", what, maxNameBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s %q contains a control character", what, s)
		}
	}
	return nil
}

// ingestError answers a failed Ingest.
func (h *Handler) ingestError(r *http.Request, w http.ResponseWriter, o *outcome, err error) *httpError {
	o.err = err
	var full *pipeline.FullError
	switch {
	case r.Context().Err() != nil:
		return canceled("storing the batch")
	case errors.As(err, &full):
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(full.RetryAfter)))
		return errorf(http.StatusServiceUnavailable, "cannot store the batch: %v", err)
	case errors.Is(err, pipeline.ErrFull):
		w.Header().Set("Retry-After", "1")
		return errorf(http.StatusServiceUnavailable, "cannot store the batch: %v", err)
	case errors.Is(err, pipeline.ErrClosed):
		w.Header().Set("Connection", "close")
		return errorf(http.StatusServiceUnavailable, "cannot store the batch: %v", err)
	case errors.Is(err, pipeline.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "cannot store the batch: %v", err)
	}
	return errorf(http.StatusInternalServerError, "cannot store the batch: %v", err)
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 || math.IsNaN(s) {
		return 1
	}
	return int(min(s, 24*3600))
}

// requestID returns the request's X-Request-Id or a new random id.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	return rand.Text()
}

// validRequestID accepts 1 to maxRequestIDBytes visible ASCII bytes.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// writeJSON answers with a JSON body and an explicit Content-Length.
func writeJSON(w http.ResponseWriter, status int, resp *response) {
	body, err := json.Marshal(resp)
	if err != nil { // cannot happen: strings and ints only
		body = []byte(`{"accepted":0,"rejected":0,"error":"cannot encode the answer"}`)
	}
	body = append(body, '\n')
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// finish records the request in the metrics and logs it.
func (h *Handler) finish(r *http.Request, o *outcome, start time.Time) {
	elapsed := time.Since(start)
	code := strconv.Itoa(o.status)
	if o.canceled {
		code = "canceled"
	}
	h.m.requests.WithLabelValues(code).Inc()
	h.m.duration.Observe(elapsed.Seconds())

	level := slog.LevelDebug
	msg := "ingest request"
	switch {
	case o.canceled:
		level, msg = slog.LevelWarn, "ingest request canceled"
	case o.status >= 500:
		level, msg = slog.LevelError, "ingest request failed"
	case o.status >= 400:
		level, msg = slog.LevelWarn, "ingest request refused"
	case o.Rejected > 0:
		level, msg = slog.LevelWarn, "ingest request stored with rejected events"
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", o.requestID),
		slog.Int("status", o.status),
		slog.String("identity", o.identity),
		slog.Int("accepted", o.Accepted),
		slog.Int("rejected", o.Rejected),
		slog.Duration("duration", elapsed),
		slog.String("remote_addr", r.RemoteAddr),
	}
	if o.Error != "" {
		attrs = append(attrs, slog.String("error", o.Error))
	}
	if len(o.Errors) > 0 {
		attrs = append(attrs, slog.String("first_rejection", o.Errors[0].Error), slog.Int("first_rejected_index", o.Errors[0].Index))
	}
	if o.err != nil {
		attrs = append(attrs, slog.String("cause", o.err.Error()))
	}
	h.log.LogAttrs(context.WithoutCancel(ctx), level, msg, attrs...)
}
