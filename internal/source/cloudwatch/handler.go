package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"github.com/sluicelog/sluice/internal/source/dedupe"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// SourceName is the Source of every event the handler stores.
const SourceName = "cloudwatch"

// FieldRegion is the field that records Config.Region.
const FieldRegion = "aws.region"

// enrichRoom is the room for fields left in each event for enrichment
// (Lambda REPORT metrics, JSON bodies) before it has to allocate.
const enrichRoom = 8

// maxPooledDocs bounds the documents a pooled work keeps.
const maxPooledDocs = 4096

// Handler receives CloudWatch Logs subscription events forwarded over HTTP.
// It is safe for concurrent use.
type Handler struct {
	cfg    Config
	ing    pipeline.Ingester
	dedupe *dedupe.Window // nil when de-duplication is off
	m      *metrics
	log    *slog.Logger
	work   sync.Pool // *work
	// now returns the current time; tests replace it.
	now func() time.Time
}

// work is what one request needs and the next may reuse.
type work struct {
	dec  *cloudwatch.Decoder
	docs []cloudwatch.Document
}

// New returns a Handler that hands the events of each accepted request to
// ing and answers 200 once ing has made them durable. Metrics are
// registered on reg (none when nil); logger nil discards logs.
func New(cfg Config, ing pipeline.Ingester, reg prometheus.Registerer, logger *slog.Logger) (*Handler, error) {
	if ing == nil {
		return nil, errors.New("cannot create cloudwatch source: no ingester")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create cloudwatch source: %w", err)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("cannot create cloudwatch source: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg: cfg,
		ing: ing,
		m:   m,
		log: logger.With("source", sourceLabel),
		now: time.Now,
	}
	lim := cfg.Limits
	h.work.New = func() any { return &work{dec: cloudwatch.NewDecoder(lim)} }
	if cfg.DedupeWindow > 0 {
		h.dedupe = dedupe.New(cfg.DedupeWindow, cfg.DedupeMaxIDs)
	}
	return h, nil
}

// Path returns the URL path to mount the handler at.
func (h *Handler) Path() string { return h.cfg.Path }

// outcome is what one request came to, for the answer, the metrics and the
// log line.
type outcome struct {
	status     int
	msg        string
	retryAfter int
	requestID  string
	records    int
	accepted   int
	duplicates int
	control    int
	canceled   bool
	cause      error
}

// ServeHTTP receives one POST of Lambda-style subscription events. See the
// package documentation for the answers it gives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := outcome{status: http.StatusOK, requestID: requestID(r)}
	if he := h.serve(w, r, &o); he != nil {
		o.status, o.msg, o.retryAfter, o.canceled, o.cause = he.status, he.msg, he.retryAfter, he.clientGone, he.cause
		if he.clientGone {
			w.Header().Set("Connection", "close")
		}
	}
	if o.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(o.retryAfter))
	}
	w.Header().Set("X-Request-Id", o.requestID)
	var body []byte
	if o.status == http.StatusOK {
		body = fmt.Appendf(nil, `{"accepted":%d,"duplicates":%d}`, o.accepted, o.duplicates)
	} else {
		body = jsonError(o.msg)
	}
	writeJSON(w, o.status, body)
	h.finish(r, &o, start)
}

// serve does the work of ServeHTTP; it returns the refusal, or fills in o.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *outcome) *httpError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return errorf(http.StatusMethodNotAllowed, "method %s is not allowed: POST the subscription events", r.Method)
	}
	id, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		if c := h.cfg.Auth.Challenge(); c != "" {
			w.Header().Set("WWW-Authenticate", c)
		}
		return errorf(http.StatusUnauthorized, "unauthorized: missing or wrong bearer token")
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
	wk := h.work.Get().(*work)
	defer func() {
		if cap(wk.docs) > maxPooledDocs {
			wk.docs = nil
		}
		h.work.Put(wk)
	}()
	wk.docs, err = wk.dec.DecodeLambdaEvent(body, wk.docs[:0])
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	o.records = len(wk.docs)

	n := 0
	for i := range wk.docs {
		doc := &wk.docs[i]
		if doc.IsControl() {
			o.control++
			continue
		}
		if len(doc.LogEvents) > 0 && !id.AllowsGroup(doc.LogGroup) {
			return errorf(http.StatusForbidden, "forbidden: the token may not write to log group %q; nothing stored", doc.LogGroup)
		}
		n += len(doc.LogEvents)
	}
	events := h.buildEvents(wk.docs, n)

	release := func(bool, []int) {}
	if h.dedupe != nil && len(events) > 0 {
		keys := make([]string, 0, len(events))
		idx := make([]int, 0, len(events)) // events[idx[k]] has keys[k]
		for i := range events {
			if events[i].ID != "" {
				keys = append(keys, id.Name+"\x00"+events[i].ID)
				idx = append(idx, i)
			}
		}
		dup, _, rel, err := h.dedupe.Acquire(r.Context(), keys, h.now)
		if err != nil {
			return canceled("waiting for another request storing the same events")
		}
		release = rel
		if o.duplicates = count(dup); o.duplicates > 0 {
			drop := make([]bool, len(events))
			for k, d := range dup {
				drop[idx[k]] = d
			}
			kept := events[:0]
			for i := range events {
				if !drop[i] {
					kept = append(kept, events[i])
				}
			}
			events = kept
		}
	}
	accepted := false
	defer func() { release(accepted, nil) }()

	if len(events) > 0 {
		if err := h.ing.Ingest(r.Context(), events); err != nil {
			o.duplicates = 0
			return ingestError(r, err)
		}
	}
	accepted = true
	o.accepted = len(events)
	h.m.records.Add(float64(o.records))
	h.m.accepted.Add(float64(len(events)))
	h.m.duplicates.Add(float64(o.duplicates))
	h.m.control.Add(float64(o.control))
	return nil
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// buildEvents turns the data documents into n events, each with room for
// its fields allocated at once, decorated and enriched.
func (h *Handler) buildEvents(docs []cloudwatch.Document, n int) []event.Event {
	if n == 0 {
		return nil
	}
	extra := 0
	if h.cfg.Region != "" {
		extra++
	}
	room := 0
	for i := range docs {
		if docs[i].IsControl() {
			continue
		}
		for j := range docs[i].LogEvents {
			room += 3 + len(docs[i].LogEvents[j].ExtractedFields) + extra + enrichRoom
		}
	}
	events := make([]event.Event, n)
	fields := make([]event.Field, room)
	off := 0
	for i := range docs {
		if docs[i].IsControl() {
			continue
		}
		for j := range docs[i].LogEvents {
			k := 3 + len(docs[i].LogEvents[j].ExtractedFields) + extra + enrichRoom
			events[off].Fields = fields[:0:k]
			fields = fields[k:]
			off++
		}
	}
	events = events[:0]
	received := h.now()
	for i := range docs {
		events = docs[i].AppendEvents(events, received)
	}
	for i := range events {
		e := &events[i]
		e.Source = SourceName
		if h.cfg.Region != "" {
			e.AddString(FieldRegion, h.cfg.Region)
		}
		h.cfg.Enricher.Enrich(e)
	}
	return events
}

// ingestError turns an error of the Ingester into the answer.
func ingestError(r *http.Request, err error) *httpError {
	var full *pipeline.FullError
	switch {
	case errors.As(err, &full):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the events: " + err.Error(), retryAfter: retryAfterSeconds(full.RetryAfter), cause: err}
	case errors.Is(err, pipeline.ErrFull):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the events: " + err.Error(), retryAfter: 1, cause: err}
	case errors.Is(err, pipeline.ErrClosed):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the events: " + err.Error(), retryAfter: 5, cause: err}
	case errors.Is(err, pipeline.ErrTooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: "cannot store the events: " + err.Error(), cause: err}
	case r.Context().Err() != nil:
		he := canceled("storing the events")
		he.cause = err
		return he
	}
	return &httpError{status: http.StatusInternalServerError, msg: "cannot store the events: internal error; retry", cause: err}
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 || math.IsNaN(s) {
		return 1
	}
	return int(min(s, 24*3600))
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

	level, msg := slog.LevelDebug, "cloudwatch request"
	switch {
	case o.canceled:
		level, msg = slog.LevelWarn, "cloudwatch request canceled"
	case o.status >= 500:
		level, msg = slog.LevelError, "cloudwatch request failed"
	case o.status >= 400:
		level, msg = slog.LevelWarn, "cloudwatch request refused"
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", o.requestID),
		slog.Int("status", o.status),
		slog.Int("documents", o.records),
		slog.Int("events", o.accepted),
		slog.Duration("duration", elapsed),
		slog.String("remote_addr", r.RemoteAddr),
	}
	if o.duplicates > 0 {
		attrs = append(attrs, slog.Int("duplicates", o.duplicates))
	}
	if o.control > 0 {
		attrs = append(attrs, slog.Int("control_messages", o.control))
	}
	if o.status != http.StatusOK && o.msg != "" {
		attrs = append(attrs, slog.String("error", o.msg))
	}
	if o.cause != nil {
		attrs = append(attrs, slog.String("cause", o.cause.Error()))
	}
	h.log.LogAttrs(context.WithoutCancel(ctx), level, msg, attrs...)
}
