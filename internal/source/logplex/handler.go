package logplex

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
	"github.com/sluicelog/sluice/internal/pipeline"
	"github.com/sluicelog/sluice/internal/source/dedupe"
)

// The fields the handler adds to every event.
const (
	FieldDrainToken = "logplex.drain_token"
	FieldFrameID    = "logplex.frame_id"
	FieldRequestID  = "http.request_id"
	FieldOriginIP   = "origin.ip"
	// FieldTailBytes is on the event that holds the unframed rest of a body
	// whose framing broke off: the length of that rest (the message keeps
	// at most maxTailBytes of it).
	FieldTailBytes = "logplex.tail_bytes"
)

// maxTailBytes bounds the message of the event that keeps the unframed rest
// of a body.
const maxTailBytes = syslog.DefaultMaxFrameSize

// errTooManyFrames stops the counting pass over a body of too many frames.
var errTooManyFrames = errors.New("too many frames")

// logplexHost is the HOSTNAME Logplex puts in every frame; log-iss replaces
// it with the drain token, and so does this handler.
const logplexHost = "host"

// Handler receives Heroku Logplex HTTPS drain POSTs. It is safe for
// concurrent use.
type Handler struct {
	cfg    Config
	ing    pipeline.Ingester
	auth   *basicAuth
	dedupe *dedupe.Window // nil when de-duplication is off
	m      *metrics
	log    *slog.Logger
	// now returns the time events are received; tests replace it.
	now func() time.Time
}

// New returns a Handler that hands the events of each accepted request to
// ing and acknowledges the request once ing has made them durable. Metrics
// are registered on reg (none when nil); logger nil discards logs.
func New(cfg Config, ing pipeline.Ingester, reg prometheus.Registerer, logger *slog.Logger) (*Handler, error) {
	if ing == nil {
		return nil, errors.New("cannot create logplex source: no ingester")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create logplex source: %w", err)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("cannot create logplex source: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg:  cfg,
		ing:  ing,
		auth: newBasicAuth(cfg.Users),
		m:    m,
		log:  logger.With("source", sourceLabel),
		now:  time.Now,
	}
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
	status    int
	msg       string
	requestID string
	drain     string
	frameID   string
	frames    int
	malformed int
	dup       bool
	framing   bool
	canceled  bool
	err       error
}

// ServeHTTP receives one drain POST. See the package documentation for the
// answers it gives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := outcome{
		requestID: requestID(r),
		drain:     r.Header.Get("Logplex-Drain-Token"),
		frameID:   r.Header.Get("Logplex-Frame-Id"),
	}
	if he := h.serve(w, r, &o); he != nil {
		o.status, o.msg, o.canceled = he.status, he.msg, he.clientGone
		if he.clientGone {
			w.Header().Set("Connection", "close")
		}
	}
	w.Header().Set("X-Request-Id", o.requestID)
	writeText(w, o.status, o.msg)
	h.finish(r, &o, start)
}

// serve does the work of ServeHTTP; it returns the refusal, or sets the
// success answer in o.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *outcome) *httpError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return errorf(http.StatusMethodNotAllowed, "method %s is not allowed: Logplex drains POST", r.Method)
	}
	if h.cfg.EnforceHTTPS && !isHTTPS(r) {
		return errorf(http.StatusBadRequest, "only HTTPS requests are accepted (X-Forwarded-Proto is %q)", r.Header.Get("X-Forwarded-Proto"))
	}
	if !h.auth.check(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sluice"`)
		return errorf(http.StatusUnauthorized, "unauthorized: missing or wrong basic-auth credentials")
	}
	if he := checkContentType(r); he != nil {
		return he
	}
	gz, he := isGzip(r)
	if he != nil {
		return he
	}
	wantFrames := -1
	if v := r.Header.Get("Logplex-Msg-Count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "invalid Logplex-Msg-Count %q: want a number of frames", v)
		}
		wantFrames = n
	}
	if len(o.frameID) > maxFrameIDBytes {
		return errorf(http.StatusBadRequest, "Logplex-Frame-Id is longer than %d bytes", maxFrameIDBytes)
	}
	if len(o.drain) > maxDrainTokenBytes {
		return errorf(http.StatusBadRequest, "Logplex-Drain-Token is longer than %d bytes", maxDrainTokenBytes)
	}

	release := func(bool, int) {}
	if h.dedupe != nil && o.frameID != "" {
		// A frame id is unique per drain token.
		dups, frames, rel, err := h.dedupe.Acquire(r.Context(), []string{o.drain + "\x00" + o.frameID}, h.now)
		switch {
		case err != nil:
			return canceled("waiting for another attempt at the same frame id")
		case dups[0]:
			o.dup, o.frames = true, frames
			h.m.duplicates.Add(float64(frames))
			o.status = http.StatusOK
			o.msg = fmt.Sprintf("duplicate Logplex-Frame-Id %s: already stored (%s)", o.frameID, plural(frames, "frame"))
			return nil
		}
		release = func(accepted bool, frames int) { rel(accepted, []int{frames}) }
	}
	accepted := false
	defer func() { release(accepted, o.frames) }()

	raw, wire, he := readBody(w, r, gz, h.cfg.MaxBodyBytes)
	h.m.bytes.Add(float64(wire))
	if he != nil {
		return he
	}
	// The body is never written to again: share its memory with the string
	// the parser reads, as every frame and field is a substring of it.
	body := unsafe.String(unsafe.SliceData(raw), len(raw))

	events, res, he := h.parse(body, wantFrames)
	if he != nil {
		return he
	}
	h.decorate(r, o, events, res)
	o.frames, o.malformed, o.framing = len(events), res.Malformed, res.FramingError != nil

	if len(events) > 0 {
		if err := h.ing.Ingest(r.Context(), events); err != nil {
			o.frames = 0
			return h.ingestError(r, w, o, err)
		}
	}
	accepted = true
	h.m.accepted.Add(float64(len(events)))
	h.m.malformed.Add(float64(res.Malformed))
	if o.framing {
		h.m.framingErrors.Inc()
	}
	o.status, o.msg = http.StatusOK, successMessage(wantFrames, res)
	return nil
}

// parse frames and parses body, refusing bodies of too many frames and
// bodies whose frame count disagrees with Logplex-Msg-Count (wantFrames,
// -1 when absent). It returns one event per frame, plus one holding the
// unframed rest when the framing broke off.
func (h *Handler) parse(body string, wantFrames int) ([]event.Event, syslog.LogplexResult, *httpError) {
	// First pass: count the frames, and the room their fields will need.
	base := h.baseFields()
	frames, room := 0, 0
	err := syslog.SplitOctetCounted(body, 0, func(frame string, _ int) error {
		frames++
		if frames > h.cfg.MaxFrames {
			return errTooManyFrames
		}
		room += base + fieldRoom(frame)
		return nil
	})
	if errors.Is(err, errTooManyFrames) {
		return nil, syslog.LogplexResult{}, errorf(http.StatusRequestEntityTooLarge, "request body has more than %d frames", h.cfg.MaxFrames)
	}
	if err == nil && wantFrames >= 0 && frames != wantFrames {
		return nil, syslog.LogplexResult{}, errorf(http.StatusBadRequest, "Logplex-Msg-Count is %d but the body has %d frames; nothing stored", wantFrames, frames)
	}
	n := frames
	if err != nil {
		n++ // the unframed rest
		room += base
	}
	// One allocation for all events and one for all their fields, each
	// event getting the room its frame needs: parsing and enrichment then
	// append without allocating for typical lines.
	events := make([]event.Event, n)
	fields := make([]event.Field, room)
	i, off := 0, 0
	_ = syslog.SplitOctetCounted(body, 0, func(frame string, _ int) error {
		end := off + base + fieldRoom(frame)
		events[i].Fields = fields[off:off:end]
		i, off = i+1, end
		return nil
	})
	if i < n {
		events[i].Fields = fields[off : off : off+base]
	}
	events, res := syslog.ParseLogplex(body, events[:0])
	if res.FramingError != nil {
		var fe *syslog.FrameError
		off := 0
		if errors.As(res.FramingError, &fe) {
			off = int(fe.Offset)
		}
		events = events[:len(events)+1]
		e := &events[len(events)-1]
		e.Reset()
		tail := body[off:]
		e.Message = tail[:min(len(tail), maxTailBytes)]
		e.Severity = event.Info
		e.AddString(syslog.FieldParseError, res.FramingError.Error())
		e.AddNumber(FieldTailBytes, strconv.Itoa(len(tail)))
		if h.cfg.KeepRaw {
			e.Raw = tail
		}
	}
	if h.cfg.KeepRaw {
		i := 0
		_ = syslog.SplitOctetCounted(body, 0, func(frame string, _ int) error {
			events[i].Raw = frame
			i++
			return nil
		})
	}
	return events, res, nil
}

// baseFields is the room every event's Fields starts with: the fields the
// handler adds and two more (a parse error, a structured-data element).
func (h *Handler) baseFields() int {
	return 4 + len(h.cfg.QueryParams) + 1 + 2
}

// fieldRoom estimates how many fields enrichment makes of a frame: one per
// "=" (logfmt keys, Heroku's router and metrics lines), half as many again
// for the unit fields of values like 12ms, at most 48.
func fieldRoom(frame string) int {
	return min(strings.Count(frame, "=")*3/2, 48)
}

// decorate gives every event its group, stream, source, id, receive time
// and the request's fields, and enriches it.
func (h *Handler) decorate(r *http.Request, o *outcome, events []event.Event, res syslog.LogplexResult) {
	received := h.now()
	group := "heroku"
	if app := h.cfg.DrainNames[o.drain]; app != "" {
		group = "heroku/" + app
	} else if safeName(o.drain) {
		group = "heroku/" + o.drain
	}
	var origin string
	if ip := originIP(r, h.cfg.TrustedProxies); ip.IsValid() {
		origin = ip.String()
	}
	reqID := r.Header.Get("X-Request-Id")
	if !validRequestID(reqID) {
		reqID = ""
	}
	query := h.queryFields(r)
	ids := frameIDs(o.frameID, len(events))

	tail := -1
	if res.FramingError != nil {
		tail = len(events) - 1
	}
	for i := range events {
		e := &events[i]
		e.Received = received
		e.Group = group
		e.Stream = e.Proc
		e.Source = o.drain
		if e.Host == logplexHost && o.drain != "" {
			e.Host = o.drain
		}
		if ids != "" {
			n := len(o.frameID) + 1 + decimalLen(i)
			e.ID, ids = ids[:n], ids[n:]
		}
		if i != tail {
			h.cfg.Enricher.Enrich(e)
		}
		if o.drain != "" {
			e.AddString(FieldDrainToken, o.drain)
		}
		if o.frameID != "" {
			e.AddString(FieldFrameID, o.frameID)
		}
		if reqID != "" {
			e.AddString(FieldRequestID, reqID)
		}
		if origin != "" {
			e.AddString(FieldOriginIP, origin)
		}
		e.Fields = append(e.Fields, query...)
	}
}

// queryFields returns the fields log-iss's METADATA_ID element would carry
// for the request's query parameters.
func (h *Handler) queryFields(r *http.Request) []event.Field {
	if len(h.cfg.QueryParams) == 0 && len(h.cfg.FieldParams) == 0 || r.URL == nil || r.URL.RawQuery == "" {
		return nil
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	var fields []event.Field
	for _, k := range h.cfg.QueryParams {
		if v := q.Get(k); v != "" {
			fields = append(fields, event.Field{Key: h.cfg.MetadataID + "." + k, Value: v})
		}
	}
	var kv strings.Builder
	for _, k := range h.cfg.FieldParams {
		if v := q.Get(k); v != "" {
			if kv.Len() > 0 {
				kv.WriteByte(',')
			}
			kv.WriteString(k)
			kv.WriteByte('=')
			kv.WriteString(v)
		}
	}
	if kv.Len() > 0 {
		fields = append(fields, event.Field{Key: h.cfg.MetadataID + ".fields", Value: kv.String()})
	}
	return fields
}

// frameIDs returns the ids "<frameID>.0" ... "<frameID>.<n-1>" back to back
// in one string (one allocation for all of them); "" without a frame id.
func frameIDs(frameID string, n int) string {
	if frameID == "" || n == 0 {
		return ""
	}
	size := 0
	for i := range n {
		size += len(frameID) + 1 + decimalLen(i)
	}
	buf := make([]byte, 0, size)
	for i := range n {
		buf = append(buf, frameID...)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(i), 10)
	}
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// decimalLen returns the number of decimal digits of i >= 0.
func decimalLen(i int) int {
	n := 1
	for i >= 10 {
		i /= 10
		n++
	}
	return n
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

// successMessage describes a stored batch: how many frames, and the first
// problem with them, if any.
func successMessage(wantFrames int, res syslog.LogplexResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stored %s", plural(res.Frames, "frame"))
	if res.Malformed > 0 {
		fmt.Fprintf(&b, "; %d malformed, kept raw with a parse_error field; first: %v", res.Malformed, res.FirstError)
	}
	if res.FramingError != nil {
		fmt.Fprintf(&b, "; %v: the rest of the body is stored raw as one more event", res.FramingError)
		if wantFrames >= 0 {
			fmt.Fprintf(&b, " (Logplex-Msg-Count is %d)", wantFrames)
		}
	}
	return b.String()
}

// safeName reports whether a drain token may name a group: 1 to 128 ASCII
// letters, digits, '.', '_' and '-', not starting with '.', as Logplex's
// "d.<uuid>" tokens are. Groups end up in file paths and URLs; other tokens
// leave the events in group "heroku" (the token is still the source).
func safeName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// plural returns "1 frame", "2 frames".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// isHTTPS reports whether r came over TLS, here or at the proxy in front.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// requestID returns the request's X-Request-Id (Heroku's router sets one)
// or a new random id.
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

// writeText answers with a plain-text body and an explicit Content-Length:
// Logplex's HTTP client cannot read chunked responses.
func writeText(w http.ResponseWriter, status int, msg string) {
	body := make([]byte, 0, len(msg)+1)
	body = append(body, msg...)
	body = append(body, '\n')
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
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
	msg := "drain request"
	switch {
	case o.canceled:
		level, msg = slog.LevelWarn, "drain request canceled"
	case o.status >= 500:
		level, msg = slog.LevelError, "drain request failed"
	case o.status >= 400:
		level, msg = slog.LevelWarn, "drain request refused"
	case o.malformed > 0 || o.framing:
		level, msg = slog.LevelWarn, "drain request stored with malformed frames"
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", o.requestID),
		slog.Int("status", o.status),
		slog.String("drain_token", o.drain),
		slog.String("frame_id", o.frameID),
		slog.Int("frames", o.frames),
		slog.Duration("duration", elapsed),
		slog.String("remote_addr", r.RemoteAddr),
	}
	if o.malformed > 0 {
		attrs = append(attrs, slog.Int("malformed", o.malformed))
	}
	if o.dup {
		attrs = append(attrs, slog.Bool("duplicate", true))
	}
	if o.status != http.StatusOK && o.msg != "" {
		attrs = append(attrs, slog.String("error", o.msg))
	} else if o.malformed > 0 || o.framing {
		attrs = append(attrs, slog.String("problem", o.msg))
	}
	if o.err != nil {
		attrs = append(attrs, slog.String("cause", o.err.Error()))
	}
	h.log.LogAttrs(context.WithoutCancel(ctx), level, msg, attrs...)
}
