package elasticsearch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

var _ sink.Sink = (*Sink)(nil)

const (
	// downFor is how long a URL that failed with a connection error is
	// tried only after the others.
	downFor = 10 * time.Second
	// maxResponseBytes bounds the response body read: a response to a
	// bulk request with an error for each of thousands of actions fits.
	maxResponseBytes = 32 << 20
	// maxRetryAfter caps a Retry-After the destination asks for.
	maxRetryAfter = 10 * time.Minute
	// maxKeptBuffer is the largest encoding buffer kept between Writes.
	maxKeptBuffer = 16 << 20
)

// constError is an error that can be a constant (no package-level state).
type constError string

func (e constError) Error() string { return string(e) }

const (
	errClosed constError = "cannot write: the elasticsearch sink is closed"
	errNotRun constError = "not sent: an earlier request of the batch failed"
)

// Sink writes batches of events to Elasticsearch or OpenSearch with the
// _bulk API. See the package documentation for the mapping and the error
// handling. Write is safe for concurrent use.
type Sink struct {
	cfg     Config
	logger  *slog.Logger
	targets []*target
	next    atomic.Uint64 // round-robin position
	client  *http.Client
	tr      *http.Transport

	namer  indexNamer
	action string // actionIndex or actionCreate
	create bool
	auth   string // the Authorization header for basic or API key auth
	aws    *awsSigner

	// limit is the uncompressed size a request is kept under: MaxBulkBytes,
	// lowered when the destination answers 413.
	limit atomic.Int64

	encoders sync.Pool
	now      func() time.Time
	closed   atomic.Bool

	requests, failovers, splits                        atomic.Uint64
	connectErrors, statusErrors, responseErrors, local atomic.Uint64
	indexed, duplicates, retryable, rejected           atomic.Uint64
	bytesSent, bytesEncoded                            atomic.Uint64
}

// target is one of Config.URLs.
type target struct {
	bulk      string // the _bulk URL, with filter_path
	plain     string // the _bulk URL without it
	name      string // the configured URL, for messages
	downUntil atomic.Int64
	// noFilter is set once the server refused filter_path (an
	// Elasticsearch-compatible server that does not know it).
	noFilter atomic.Bool
}

// Stats are counters since New, for metrics.
type Stats struct {
	// Requests counts HTTP requests sent, Failovers those sent to another
	// URL after a connection error, Splits the 413 answers that made a
	// request be sent again in halves.
	Requests, Failovers, Splits uint64
	// ConnectErrors counts requests that got no HTTP response (connection
	// refused or reset, timeout, TLS failure), StatusErrors whole requests
	// refused with an HTTP status (429, 5xx, 401, …), ResponseErrors 2xx
	// answers that were not a readable bulk response.
	ConnectErrors, StatusErrors, ResponseErrors uint64
	// Indexed counts events the destination accepted. Duplicates counts
	// events a create answered 409 for: a document with their id exists,
	// so they were delivered before (a replay).
	Indexed, Duplicates uint64
	// Retryable counts events refused for now (item status 429 or 5xx),
	// Rejected those refused for good (other 4xx: mapping errors, …) or
	// that could not be given an index name (Local, included in Rejected).
	Retryable, Rejected, Local uint64
	// BytesSent counts request bodies as sent (after gzip), BytesEncoded
	// the NDJSON before compression.
	BytesSent, BytesEncoded uint64
}

// New returns a sink for cfg. It does not contact the destination. With
// Config.AWS it loads the AWS SDK's configuration (files and environment).
// A nil logger discards.
func New(cfg Config, logger *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create elasticsearch sink: %w", err)
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		cfg:    cfg,
		logger: logger.With("sink", "elasticsearch"),
		now:    time.Now,
	}
	https := false
	for _, raw := range cfg.URLs {
		u, _ := parseURL(raw) // checked by Validate
		if u.Scheme == "https" {
			https = true
		}
		b := u.JoinPath("_bulk")
		plain := b.String()
		b.RawQuery = url.Values{"filter_path": {filterPath}}.Encode()
		s.targets = append(s.targets, &target{bulk: b.String(), plain: plain, name: u.Redacted()})
	}
	name := cfg.Index
	s.action = actionIndex
	if cfg.DataStream != "" {
		name, s.action, s.create = cfg.DataStream, actionCreate, true
	}
	s.namer = newIndexNamer(tmpl.MustParse(name)) // checked by Validate
	switch {
	case cfg.Username != "":
		s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password))
	case cfg.APIKey != "":
		key := cfg.APIKey
		if strings.Contains(key, ":") {
			key = base64.StdEncoding.EncodeToString([]byte(key))
		}
		s.auth = "ApiKey " + key
	case cfg.AWS != nil:
		a, err := newAWSSigner(context.Background(), cfg.AWS)
		if err != nil {
			return nil, fmt.Errorf("cannot create elasticsearch sink: %w", err)
		}
		s.aws = a
	}
	s.tr = http.DefaultTransport.(*http.Transport).Clone()
	s.tr.MaxIdleConnsPerHost = 8
	if https {
		t, err := cfg.tlsConfig()
		if err != nil {
			return nil, fmt.Errorf("cannot create elasticsearch sink: %w", err)
		}
		s.tr.TLSClientConfig = t
	}
	s.client = &http.Client{
		Transport: s.tr,
		// A redirected POST would lose its body or become a GET: report
		// the redirect instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.limit.Store(int64(cfg.MaxBulkBytes))
	return s, nil
}

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Requests: s.requests.Load(), Failovers: s.failovers.Load(), Splits: s.splits.Load(),
		ConnectErrors: s.connectErrors.Load(), StatusErrors: s.statusErrors.Load(), ResponseErrors: s.responseErrors.Load(),
		Indexed: s.indexed.Load(), Duplicates: s.duplicates.Load(),
		Retryable: s.retryable.Load(), Rejected: s.rejected.Load(), Local: s.local.Load(),
		BytesSent: s.bytesSent.Load(), BytesEncoded: s.bytesEncoded.Load(),
	}
}

// Connect checks that requests can be authenticated: with AWS signing it
// fetches the credentials (so that a missing role shows at once). It does
// not contact the destination; the first Write does.
func (s *Sink) Connect(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if s.aws != nil {
		if _, err := s.aws.credentials(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close releases idle connections. Writes after Close fail.
func (s *Sink) Close() error {
	s.closed.Store(true)
	s.tr.CloseIdleConnections()
	return nil
}

// encoder holds the buffers of one Write.
type encoder struct {
	buf    []byte // the NDJSON of the batch's encoded events
	ends   []int  // ends[k]: where the lines of encoded event k end in buf
	items  []int  // items[k]: the index in the batch of encoded event k
	name   []byte
	failed []sink.ItemError
	result []itemResult
	zbuf   bytes.Buffer
	zw     *gzip.Writer
	resp   bytes.Buffer
}

func (s *Sink) getEncoder() *encoder {
	if e, ok := s.encoders.Get().(*encoder); ok {
		return e
	}
	return &encoder{}
}

func (s *Sink) putEncoder(e *encoder) {
	if cap(e.buf) > maxKeptBuffer || e.zbuf.Cap() > maxKeptBuffer || e.resp.Cap() > maxKeptBuffer {
		return
	}
	clear(e.failed)
	e.failed = e.failed[:0]
	s.encoders.Put(e)
}

// encode writes the bulk lines of every event of batch to e.buf. Events
// that cannot be given a valid index name are recorded as failed for good.
func (s *Sink) encode(e *encoder, batch []event.Event) {
	e.buf, e.ends, e.items = e.buf[:0], e.ends[:0], e.items[:0]
	now := s.now()
	for i := range batch {
		ev := &batch[i]
		ts := eventTime(ev, now)
		named := ev
		if ev.Time.IsZero() {
			// The index name's time is the @timestamp too.
			c := *ev
			c.Time = ts
			named = &c
		}
		var problem string
		e.name, problem = s.namer.name(e.name[:0], named)
		if problem != "" {
			s.local.Add(1)
			s.rejected.Add(1)
			e.failed = append(e.failed, sink.ItemError{Index: i, Err: sink.Permanent(
				fmt.Errorf("cannot name the index for the event with template %q: %s", s.namer.t.String(), problem))})
			continue
		}
		id := ev.ID
		if s.cfg.OmitID {
			id = ""
		}
		e.buf = appendItem(e.buf, s.action, e.name, id, ts, ev)
		e.ends = append(e.ends, len(e.buf))
		e.items = append(e.items, i)
	}
}

// span returns the NDJSON of encoded events lo to hi (exclusive).
func (e *encoder) span(lo, hi int) []byte {
	start := 0
	if lo > 0 {
		start = e.ends[lo-1]
	}
	return e.buf[start:e.ends[hi-1]]
}

// chunkEnd returns where the request starting at encoded event lo ends to
// stay within limit bytes (at least one event).
func (e *encoder) chunkEnd(lo int, limit int) int {
	start := 0
	if lo > 0 {
		start = e.ends[lo-1]
	}
	hi := lo + 1
	for hi < len(e.ends) && e.ends[hi]-start <= limit {
		hi++
	}
	return hi
}

// fail records that encoded event k failed with err.
func (e *encoder) fail(k int, err error) {
	e.failed = append(e.failed, sink.ItemError{Index: e.items[k], Err: err})
}

func (e *encoder) compress(body []byte) ([]byte, error) {
	e.zbuf.Reset()
	if e.zw == nil {
		// BestSpeed: log lines compress ~8:1 even so, at several times the
		// speed of the default level.
		e.zw, _ = gzip.NewWriterLevel(&e.zbuf, gzip.BestSpeed)
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(body); err != nil {
		return nil, err
	}
	if err := e.zw.Close(); err != nil {
		return nil, err
	}
	return e.zbuf.Bytes(), nil
}

// Write indexes batch. It returns nil when every event was accepted (or
// found already delivered), a *sink.ItemsError naming the events that were
// not (permanent ones for good, the others to retry), or — when nothing was
// delivered — the error of the request: permanent (401, 403, 404, other
// 4xx) or retryable (connection errors, 429, 5xx), the latter with the
// destination's Retry-After (RetryAfter() time.Duration).
func (s *Sink) Write(ctx context.Context, batch []event.Event) error {
	if s.closed.Load() {
		return errClosed
	}
	if len(batch) == 0 {
		return nil
	}
	enc := s.getEncoder()
	defer s.putEncoder(enc)
	s.encode(enc, batch)
	s.bytesEncoded.Add(uint64(len(enc.buf)))
	n := len(enc.items)
	failedFrom, reqErr := n, error(nil)
	for lo := 0; lo < n; {
		hi := enc.chunkEnd(lo, int(s.limit.Load()))
		if from, err := s.sendRange(ctx, enc, lo, hi); err != nil {
			failedFrom, reqErr = from, err
			break
		}
		lo = hi
	}
	return s.result(enc, failedFrom, reqErr)
}

// result turns what happened to a batch into Write's error.
func (s *Sink) result(enc *encoder, failedFrom int, reqErr error) error {
	if reqErr != nil {
		if failedFrom == 0 && len(enc.failed) == 0 {
			return reqErr
		}
		for k := failedFrom; k < len(enc.items); k++ {
			enc.fail(k, reqErr)
		}
	}
	if len(enc.failed) == 0 {
		return nil
	}
	items := &sink.ItemsError{Failed: append([]sink.ItemError(nil), enc.failed...)}
	var ra interface{ RetryAfter() time.Duration }
	if reqErr != nil && errors.As(reqErr, &ra) && ra.RetryAfter() > 0 {
		return &itemsRetryError{items: items, after: ra.RetryAfter()}
	}
	return items
}

// sendRange sends encoded events lo to hi in one request, in two halves
// when the destination answers 413 (recursively: at most log2(hi-lo)
// levels). On a whole-request failure it returns the error and the first
// event not delivered: the events from there on were not indexed.
func (s *Sink) sendRange(ctx context.Context, enc *encoder, lo, hi int) (int, error) {
	body := enc.span(lo, hi)
	payload := body
	if !s.cfg.DisableGzip {
		var err error
		if payload, err = enc.compress(body); err != nil {
			return lo, fmt.Errorf("cannot compress the bulk request: %w", err)
		}
	}
	r, err := s.post(ctx, enc, payload)
	if err != nil {
		return lo, err
	}
	switch {
	case r.status >= 200 && r.status < 300:
		allOK, results, err := parseBulkResponse(r.body, hi-lo, enc.result[:0])
		enc.result = results[:0]
		if err != nil {
			s.responseErrors.Add(1)
			return lo, &retryError{err: fmt.Errorf("cannot read the bulk response of %s: %w", r.target, err)}
		}
		if allOK {
			s.indexed.Add(uint64(hi - lo))
			return hi, nil
		}
		for i, it := range results {
			s.itemOutcome(enc, lo+i, it)
		}
		return hi, nil
	case r.status == http.StatusRequestEntityTooLarge:
		s.statusErrors.Add(1)
		if hi-lo == 1 {
			s.rejected.Add(1)
			enc.fail(lo, sink.Permanent(fmt.Errorf("cannot index event: %s refused its %d-byte request as too large (413: %s); raise the destination's limit (http.max_content_length, or the proxy's) or keep such events out of this subscription",
				r.target, len(payload), describeBody(r.body))))
			return hi, nil
		}
		s.splits.Add(1)
		s.lowerLimit(len(body)/2, r.target)
		mid := lo + (hi-lo)/2
		if from, err := s.sendRange(ctx, enc, lo, mid); err != nil {
			return from, err
		}
		return s.sendRange(ctx, enc, mid, hi)
	}
	if r.status == http.StatusBadRequest && bytes.Contains(r.body, []byte("filter_path")) && !r.t.noFilter.Swap(true) {
		// "request [/_bulk] contains unrecognized parameter: [filter_path]":
		// a compatible server without response filtering. Send it again,
		// and from now on, without.
		s.logger.Info("the destination does not support filter_path; reading full bulk responses from it", "url", r.target)
		return s.sendRange(ctx, enc, lo, hi)
	}
	s.statusErrors.Add(1)
	return lo, s.statusError(r)
}

// lowerLimit keeps later requests under n bytes after a 413.
func (s *Sink) lowerLimit(n int, target string) {
	n = max(n, MinMaxBulkBytes)
	for {
		cur := s.limit.Load()
		if int64(n) >= cur {
			return
		}
		if s.limit.CompareAndSwap(cur, int64(n)) {
			s.logger.Warn("the destination refused a bulk request as too large (413); sending smaller requests from now on",
				"url", target, "max_bulk_bytes", n)
			return
		}
	}
}

// itemOutcome records the result of one action.
func (s *Sink) itemOutcome(enc *encoder, k int, it itemResult) {
	switch {
	case it.Status >= 200 && it.Status < 300:
		s.indexed.Add(1)
	case it.Status == http.StatusConflict && s.create &&
		(it.Type == "version_conflict_engine_exception" || it.Type == "document_already_exists_exception"):
		// create found a document with this id: the event was delivered
		// before (a replay after a crash or a lost response).
		s.duplicates.Add(1)
	case it.Status == http.StatusTooManyRequests || it.Status >= 500:
		s.retryable.Add(1)
		enc.fail(k, fmt.Errorf("cannot index event yet: %d %s", it.Status, joinTypeReason(it.Type, it.Reason)))
	default:
		s.rejected.Add(1)
		enc.fail(k, sink.Permanent(fmt.Errorf("cannot index event: %d %s", it.Status, joinTypeReason(it.Type, it.Reason))))
	}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte // valid until the encoder's next request
	target string // the URL, for messages
	t      *target
}

// post sends a bulk body, round-robin over the URLs: a URL that fails with
// a connection error (no HTTP response) is marked down for downFor and the
// same body goes to the next one; URLs marked down are tried last.
func (s *Sink) post(ctx context.Context, enc *encoder, payload []byte) (response, error) {
	var hash string
	var creds aws.Credentials
	if s.aws != nil {
		hash = payloadHash(payload)
		c, err := s.aws.credentials(ctx)
		if err != nil {
			return response{}, err
		}
		creds = c
	}
	var buf [MaxURLs]int
	order := s.order(buf[:0])
	var errs []error
	for i, ti := range order {
		t := s.targets[ti]
		if i > 0 {
			s.failovers.Add(1)
		}
		r, err := s.do(ctx, enc, t, payload, hash, creds)
		if err == nil {
			t.downUntil.Store(0)
			return r, nil
		}
		s.connectErrors.Add(1)
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("cannot send the bulk request to %s: %w", t.name, ctx.Err())
		}
		t.downUntil.Store(s.now().Add(downFor).UnixNano())
		errs = append(errs, err)
		if len(order) > 1 {
			s.logger.Warn("cannot reach a URL; trying the next", "url", t.name, "err", err)
		}
	}
	if len(errs) == 1 {
		return response{}, &retryError{err: errs[0]}
	}
	return response{}, &retryError{err: fmt.Errorf("cannot reach any of the %d URLs: %w", len(errs), errors.Join(errs...))}
}

// order appends the order in which to try the URLs for one request: from
// the next in round-robin, those up first, then those marked down.
func (s *Sink) order(dst []int) []int {
	n := len(s.targets)
	start := int(s.next.Add(1)-1) % n
	now := s.now().UnixNano()
	for i := range n {
		if t := (start + i) % n; s.targets[t].downUntil.Load() <= now {
			dst = append(dst, t)
		}
	}
	for i := range n {
		if t := (start + i) % n; s.targets[t].downUntil.Load() > now {
			dst = append(dst, t)
		}
	}
	return dst
}

// do sends one request to one URL and reads the response. An error means
// no complete HTTP response (the request may or may not have been
// processed).
func (s *Sink) do(ctx context.Context, enc *encoder, t *target, payload []byte, hash string, creds aws.Credentials) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	u := t.bulk
	if t.noFilter.Load() {
		u = t.plain
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return response{}, fmt.Errorf("cannot make the bulk request for %s: %w", t.name, err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if !s.cfg.DisableGzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("User-Agent", "sluice")
	switch {
	case s.auth != "":
		req.Header.Set("Authorization", s.auth)
	case s.aws != nil:
		if err := s.aws.sign(ctx, creds, req, hash, s.now()); err != nil {
			return response{}, err
		}
	}
	s.requests.Add(1)
	s.bytesSent.Add(uint64(len(payload)))
	resp, err := s.client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("cannot send the bulk request to %s: %w", t.name, unwrapURLError(err))
	}
	defer resp.Body.Close()
	enc.resp.Reset()
	n, err := enc.resp.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return response{}, fmt.Errorf("cannot read the bulk response of %s: %w", t.name, unwrapURLError(err))
	}
	if n > maxResponseBytes {
		return response{}, fmt.Errorf("cannot read the bulk response of %s: longer than %d bytes", t.name, maxResponseBytes)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: enc.resp.Bytes(), target: t.name, t: t}, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the
// method and the whole URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusError turns a response refusing the whole request into an error:
// retryable for 408, 429 and 5xx (with Retry-After), permanent otherwise,
// saying what to check.
func (s *Sink) statusError(r response) error {
	desc := describeBody(r.body)
	what := fmt.Sprintf("%s answered %d %s (%s)", r.target, r.status, http.StatusText(r.status), desc)
	switch {
	case r.status == http.StatusRequestTimeout || r.status == http.StatusTooManyRequests || r.status >= 500:
		return &retryError{err: fmt.Errorf("cannot index events: %s", what), after: parseRetryAfter(r.header.Get("Retry-After"), s.now())}
	case r.status == http.StatusUnauthorized:
		return sink.Permanent(fmt.Errorf("cannot index events: %s; check %s", what, s.credentialsHint()))
	case r.status == http.StatusForbidden:
		return sink.Permanent(fmt.Errorf("cannot index events: %s; check that %s may write to the index (privileges create_doc/index, or create for data streams, and auto_configure or create_index; with AWS, the domain's access policy or the collection's data access policy)", what, s.principal()))
	case r.status == http.StatusNotFound:
		return sink.Permanent(fmt.Errorf("cannot index events: %s; check that the URL (and its path prefix) points at the cluster, and for a data stream that an index template with data_stream enabled matches its name", what))
	case r.status >= 300 && r.status < 400:
		return sink.Permanent(fmt.Errorf("cannot index events: %s redirects to %q; configure that URL instead", what, r.header.Get("Location")))
	}
	return sink.Permanent(fmt.Errorf("cannot index events: %s", what))
}

func (s *Sink) credentialsHint() string {
	switch {
	case s.cfg.Username != "":
		return "username and password"
	case s.cfg.APIKey != "":
		return "the api_key (the encoded value, or id:api_key)"
	case s.aws != nil:
		return "the AWS credentials, region and service (" + s.aws.service + ")"
	}
	return "the credentials: none are configured (set username/password, api_key or aws)"
}

func (s *Sink) principal() string {
	switch {
	case s.cfg.Username != "":
		return "user " + strconv.Quote(s.cfg.Username)
	case s.cfg.APIKey != "":
		return "the API key"
	case s.aws != nil:
		return "the AWS principal"
	}
	return "anonymous requests"
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
// It returns 0 when there is none or it cannot be read.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// retryError is a retryable error, with the destination's Retry-After
// (zero: none).
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// RetryAfter is how long the destination asked to wait (zero: it did not).
func (e *retryError) RetryAfter() time.Duration { return e.after }

// itemsRetryError is a *sink.ItemsError whose retryable events wait at
// least after (the destination's Retry-After) before they are retried.
type itemsRetryError struct {
	items *sink.ItemsError
	after time.Duration
}

func (e *itemsRetryError) Error() string { return e.items.Error() }
func (e *itemsRetryError) Unwrap() error { return e.items }

// RetryAfter is how long the destination asked to wait.
func (e *itemsRetryError) RetryAfter() time.Duration { return e.after }
