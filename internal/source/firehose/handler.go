package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sluicelog/sluice/internal/source/dedupe"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// SourceName is the Source of every event the handler stores.
const SourceName = "firehose"

// The fields the handler adds to every event (besides those of
// cloudwatch.Document.AppendEvents: owner, subscription_filters, ...).
const (
	// FieldRegion is the AWS region, from X-Amz-Firehose-Source-Arn or else
	// Config.Region.
	FieldRegion = "aws.region"
	// FieldAccount is the AWS account of the delivery stream, from
	// X-Amz-Firehose-Source-Arn.
	FieldAccount = "aws.account"
	// FieldStream is the delivery stream's name, from
	// X-Amz-Firehose-Source-Arn.
	FieldStream = "firehose.stream"
	// FieldAttributePrefix prefixes each common attribute
	// (X-Amz-Firehose-Common-Attributes) kept as a field.
	FieldAttributePrefix = "firehose."
)

// The request headers Firehose sends.
const (
	headerRequestID        = "X-Amz-Firehose-Request-Id"
	headerSourceARN        = "X-Amz-Firehose-Source-Arn"
	headerCommonAttributes = "X-Amz-Firehose-Common-Attributes"
)

// enrichRoom is the room for fields left in each event for enrichment
// (Lambda REPORT metrics, JSON bodies) before it has to allocate.
const enrichRoom = 8

// Handler receives Kinesis Data Firehose HTTP endpoint deliveries. It is
// safe for concurrent use.
type Handler struct {
	cfg    Config
	ing    pipeline.Ingester
	dedupe *dedupe.Window // nil when de-duplication is off
	m      *metrics
	log    *slog.Logger
	work   sync.Pool // *work
	// now returns the current time (events' Received, response
	// timestamps); tests replace it.
	now func() time.Time
}

// work is what one request needs and the next may reuse.
type work struct {
	dec  *cloudwatch.Decoder
	docs []cloudwatch.Document
}

// maxPooledDocs bounds the documents a pooled work keeps.
const maxPooledDocs = 4096

// New returns a Handler that hands the events of each accepted request to
// ing and answers Firehose 200 once ing has made them durable. Metrics are
// registered on reg (none when nil); logger nil discards logs.
func New(cfg Config, ing pipeline.Ingester, reg prometheus.Registerer, logger *slog.Logger) (*Handler, error) {
	if ing == nil {
		return nil, errors.New("cannot create firehose source: no ingester")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create firehose source: %w", err)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("cannot create firehose source: %w", err)
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
	sourceARN  string
	records    int
	events     int
	control    int
	dup        bool
	canceled   bool
	cause      error
}

// ServeHTTP receives one Firehose delivery. See the package documentation
// for the answers it gives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := outcome{
		status:    http.StatusOK,
		requestID: r.Header.Get(headerRequestID),
		sourceARN: r.Header.Get(headerSourceARN),
	}
	if he := h.serve(w, r, &o); he != nil {
		o.status, o.msg, o.retryAfter, o.canceled, o.cause = he.status, he.msg, he.retryAfter, he.clientGone, he.cause
		if he.clientGone {
			w.Header().Set("Connection", "close")
		}
	}
	if o.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(o.retryAfter))
	}
	errMsg := ""
	if o.status != http.StatusOK {
		errMsg = o.msg
	}
	writeResponse(w, o.status, o.requestID, h.now().UnixMilli(), errMsg)
	h.finish(r, &o, start)
}

// serve does the work of ServeHTTP; it returns the refusal, or fills in o.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *outcome) *httpError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return errorf(http.StatusMethodNotAllowed, "method %s is not allowed: Firehose delivers with POST", r.Method)
	}
	id, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		return errorf(http.StatusUnauthorized, "unauthorized: missing or wrong X-Amz-Firehose-Access-Key")
	}
	if len(o.requestID) > maxRequestIDBytes {
		return errorf(http.StatusBadRequest, "%s is longer than %d bytes", headerRequestID, maxRequestIDBytes)
	}
	gz, he := isGzip(r)
	if he != nil {
		return he
	}
	origin := h.origin(o.sourceARN)
	attrs, he := parseCommonAttributes(r.Header.Get(headerCommonAttributes))
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
	req, err := wk.dec.DecodeFirehoseRequest(body)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	switch {
	case o.requestID == "":
		o.requestID = req.RequestID
	case req.RequestID != o.requestID:
		return errorf(http.StatusBadRequest, "requestId %q in the body differs from %s %q", req.RequestID, headerRequestID, o.requestID)
	}
	wk.docs, err = wk.dec.DecodeRecords(req.Records, wk.docs[:0])
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	o.records = len(req.Records)
	req.Records = nil

	n := 0
	for i := range wk.docs {
		doc := &wk.docs[i]
		if doc.IsControl() {
			o.control++
			continue
		}
		if len(doc.LogEvents) > 0 && !id.AllowsGroup(doc.LogGroup) {
			return errorf(http.StatusForbidden, "forbidden: the access key may not write to log group %q; nothing stored", doc.LogGroup)
		}
		n += len(doc.LogEvents)
	}

	release := func(bool, []int) {}
	if h.dedupe != nil {
		key := []string{o.sourceARN + "\x00" + o.requestID}
		dup, dupEvents, rel, err := h.dedupe.Acquire(r.Context(), key, h.now)
		switch {
		case err != nil:
			return canceled("waiting for another attempt at the same request id")
		case dup[0]:
			o.dup, o.events = true, dupEvents
			h.m.duplicates.Add(float64(dupEvents))
			return nil
		}
		release = rel
	}
	accepted := false
	defer func() { release(accepted, []int{o.events}) }()

	events := h.buildEvents(wk.docs, n, o.requestID, origin, attrs)
	if len(events) > 0 {
		if err := h.ing.Ingest(r.Context(), events); err != nil {
			return ingestError(r, err)
		}
	}
	accepted = true
	o.events = len(events)
	h.m.records.Add(float64(o.records))
	h.m.accepted.Add(float64(len(events)))
	h.m.control.Add(float64(o.control))
	return nil
}

// origin is where a request comes from, per X-Amz-Firehose-Source-Arn.
type origin struct {
	region, account, stream string
}

// origin parses arn:PARTITION:firehose:REGION:ACCOUNT:deliverystream/NAME;
// an ARN that is not of that shape is ignored. The region falls back to
// Config.Region.
func (h *Handler) origin(arn string) origin {
	var o origin
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "firehose" {
		if name, ok := strings.CutPrefix(parts[5], "deliverystream/"); ok {
			o = origin{region: parts[3], account: parts[4], stream: name}
		}
	}
	if o.region == "" {
		o.region = h.cfg.Region
	}
	return o
}

// parseCommonAttributes decodes X-Amz-Firehose-Common-Attributes,
// {"commonAttributes":{"name":"value",...}}, into fields sorted by name.
func parseCommonAttributes(v string) ([]event.Field, *httpError) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var in struct {
		CommonAttributes map[string]string `json:"commonAttributes"`
	}
	if err := json.Unmarshal([]byte(v), &in); err != nil {
		return nil, errorf(http.StatusBadRequest, "cannot parse %s: want {\"commonAttributes\":{\"name\":\"value\"}}: %v", headerCommonAttributes, err)
	}
	fields := make([]event.Field, 0, len(in.CommonAttributes))
	for k, val := range in.CommonAttributes {
		fields = append(fields, event.Field{Key: FieldAttributePrefix + k, Value: val, Type: event.String})
	}
	slices.SortFunc(fields, func(a, b event.Field) int { return strings.Compare(a.Key, b.Key) })
	return fields, nil
}

// buildEvents turns the data documents into n events, each with room for
// its fields allocated at once, decorated and enriched.
func (h *Handler) buildEvents(docs []cloudwatch.Document, n int, requestID string, org origin, attrs []event.Field) []event.Event {
	if n == 0 {
		return nil
	}
	extra := len(attrs) + 1 // region
	if org.account != "" {
		extra++
	}
	if org.stream != "" {
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
		if e.ID == "" {
			e.ID = requestID + "." + strconv.Itoa(i)
		}
		if org.region != "" {
			e.AddString(FieldRegion, org.region)
		}
		if org.account != "" {
			e.AddString(FieldAccount, org.account)
		}
		if org.stream != "" {
			e.AddString(FieldStream, org.stream)
		}
		e.Fields = append(e.Fields, attrs...)
		h.cfg.Enricher.Enrich(e)
	}
	return events
}

// ingestError turns an error of the Ingester into the answer.
func ingestError(r *http.Request, err error) *httpError {
	var full *pipeline.FullError
	switch {
	case errors.As(err, &full):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the records: " + err.Error(), retryAfter: retryAfterSeconds(full.RetryAfter), cause: err}
	case errors.Is(err, pipeline.ErrFull):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the records: " + err.Error(), retryAfter: 1, cause: err}
	case errors.Is(err, pipeline.ErrClosed):
		return &httpError{status: http.StatusServiceUnavailable, msg: "cannot store the records: " + err.Error(), retryAfter: 5, cause: err}
	case errors.Is(err, pipeline.ErrTooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: "cannot store the records: " + err.Error(), cause: err}
	case r.Context().Err() != nil:
		he := canceled("storing the records")
		he.cause = err
		return he
	}
	return &httpError{status: http.StatusInternalServerError, msg: "cannot store the records: internal error; retry", cause: err}
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 || math.IsNaN(s) {
		return 1
	}
	return int(min(s, 24*3600))
}

// response is the body Firehose expects.
type response struct {
	RequestID    string `json:"requestId"`
	Timestamp    int64  `json:"timestamp"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// writeResponse answers as Firehose requires: application/json, an
// explicit Content-Length, no Content-Encoding, {"requestId","timestamp"}
// and, on failure, "errorMessage" (at most 8192 characters).
func writeResponse(w http.ResponseWriter, status int, requestID string, ts int64, errMsg string) {
	if len(errMsg) > maxErrorMessageBytes {
		cut := maxErrorMessageBytes
		for cut > 0 && !utf8.RuneStart(errMsg[cut]) {
			cut--
		}
		errMsg = errMsg[:cut]
	}
	if status != http.StatusOK && errMsg == "" {
		errMsg = http.StatusText(status)
	}
	body, err := json.Marshal(response{RequestID: requestID, Timestamp: ts, ErrorMessage: errMsg})
	if err != nil { // cannot happen: strings and a number
		body = []byte(`{"requestId":"","timestamp":0}`)
	}
	hdr := w.Header()
	hdr.Del("Content-Encoding")
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

	level, msg := slog.LevelDebug, "firehose request"
	switch {
	case o.canceled:
		level, msg = slog.LevelWarn, "firehose request canceled"
	case o.status >= 500:
		level, msg = slog.LevelError, "firehose request failed"
	case o.status >= 400:
		level, msg = slog.LevelWarn, "firehose request refused"
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", o.requestID),
		slog.Int("status", o.status),
		slog.String("source_arn", o.sourceARN),
		slog.Int("records", o.records),
		slog.Int("events", o.events),
		slog.Duration("duration", elapsed),
		slog.String("remote_addr", r.RemoteAddr),
	}
	if o.control > 0 {
		attrs = append(attrs, slog.Int("control_messages", o.control))
	}
	if o.dup {
		attrs = append(attrs, slog.Bool("duplicate", true))
	}
	if o.status != http.StatusOK && o.msg != "" {
		attrs = append(attrs, slog.String("error", o.msg))
	}
	if o.cause != nil {
		attrs = append(attrs, slog.String("cause", o.cause.Error()))
	}
	h.log.LogAttrs(context.WithoutCancel(ctx), level, msg, attrs...)
}
