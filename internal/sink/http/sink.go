package httpsink

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

var _ sink.Sink = (*Sink)(nil)

const (
	// gzipLevel trades a little compression for CPU: on a router, CPU is
	// the scarce resource, and log lines compress well at any level.
	gzipLevel = gzip.BestSpeed
	// drainBytes is how much of a response body is read (and discarded) so
	// that the connection can be reused; beyond it the connection is
	// closed instead.
	drainBytes = 64 << 10
	// userAgent identifies sluice to the endpoint.
	userAgent = "sluice"
)

// constError is an error that can be a constant (no package-level state).
type constError string

func (e constError) Error() string { return string(e) }

// errClosed is returned by Write and Connect after Close.
const errClosed constError = "cannot deliver events: the http sink is closed"

// Sink posts batches of events to an HTTP endpoint. Write may be called by
// several goroutines at once.
type Sink struct {
	url         string
	endpoint    string // scheme://host, for errors
	method      string
	gzip        bool
	maxBytes    int
	enc         encoder
	contentType string // "" when a configured header sets it
	auth        string // the Authorization value, or ""
	headers     []header
	// static: no header depends on the event, so a batch is one group
	// with staticValues.
	static       bool
	staticValues []string

	transport *http.Transport
	client    *http.Client
	scratch   sync.Pool // *scratch
	closed    atomic.Bool

	requests, failedRequests, events, bytes, wireBytes atomic.Uint64
}

type header struct {
	name string // canonical
	t    *tmpl.Template
}

// Stats are counters since New, for metrics.
type Stats struct {
	// Requests counts requests sent, FailedRequests those without a 2xx
	// response (including connection errors and timeouts).
	Requests, FailedRequests uint64
	// Events counts events delivered (2xx).
	Events uint64
	// Bytes counts request body bytes before compression, WireBytes after,
	// of every request sent.
	Bytes, WireBytes uint64
}

// New returns a sink for cfg. It reads the TLS files; it does not connect.
func New(cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create http sink: %w", err)
	}
	tlsConf, err := cfg.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("cannot create http sink: %w", err)
	}
	u, _ := parseURL(cfg.URL)
	s := &Sink{
		url:      cfg.URL,
		endpoint: redact(u),
		method:   cfg.method(),
		gzip:     cfg.Gzip,
		maxBytes: cfg.maxBytes(),
		enc:      encoder{enc: cfg.encoding()},
		static:   true,
	}
	if s.enc.enc == EncodingText {
		// Validate parsed it already.
		s.enc.line, _ = parseLine(cfg.template())
	}
	s.contentType = s.enc.contentType()
	switch {
	case cfg.BearerToken != "":
		s.auth = "Bearer " + cfg.BearerToken
	case cfg.Username != "":
		s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password))
	}
	names := make([]string, 0, len(cfg.Headers))
	for name := range cfg.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	var empty event.Event
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		if canon == "Authorization" {
			// Validate made sure no other authentication is set.
			s.auth = strings.Trim(cfg.Headers[name], " \t")
			continue
		}
		t, _ := tmpl.Parse(cfg.Headers[name]) // Validate parsed it already
		h := header{name: canon, t: t}
		if h.name == "Content-Type" {
			s.contentType = ""
		}
		if !t.Static() {
			s.static = false
		}
		s.headers = append(s.headers, h)
		s.staticValues = append(s.staticValues, string(appendHeaderValue(nil, t.Execute(nil, &empty))))
	}

	s.transport = http.DefaultTransport.(*http.Transport).Clone()
	s.transport.TLSClientConfig = tlsConf
	s.transport.MaxIdleConnsPerHost = 4
	// The sink reads only the start of error bodies; it asks for them
	// uncompressed, and sends exactly the headers it is told to.
	s.transport.DisableCompression = true
	s.client = &http.Client{
		Transport: s.transport,
		Timeout:   cfg.timeout(),
		// A redirect of a POST would become a GET, or re-send the body
		// somewhere not configured: report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.scratch.New = func() any { return &scratch{groupOf: make(map[string]int)} }
	return s, nil
}

// Endpoint returns scheme://host of the URL, for logs.
func (s *Sink) Endpoint() string { return s.endpoint }

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Requests:       s.requests.Load(),
		FailedRequests: s.failedRequests.Load(),
		Events:         s.events.Load(),
		Bytes:          s.bytes.Load(),
		WireBytes:      s.wireBytes.Load(),
	}
}

// Connect does nothing but report a closed sink: connections are made, and
// kept alive, by the requests.
func (s *Sink) Connect(context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

// Close closes idle connections; Write fails afterwards.
func (s *Sink) Close() error {
	s.closed.Store(true)
	s.transport.CloseIdleConnections()
	return nil
}

// scratch is the memory of one Write, reused through Sink.scratch.
type scratch struct {
	line, body, key, tmp []byte
	zbuf                 bytes.Buffer
	zw                   *gzip.Writer
	groupOf              map[string]int
	groups               []group
	failed               []sink.ItemError
}

// group is the events of a batch whose headers render the same.
type group struct {
	values []string // in the order of Sink.headers
	idx    []int    // indexes into the batch, in order
}

func (w *scratch) addGroup(values []string) int {
	n := len(w.groups)
	if n < cap(w.groups) {
		w.groups = w.groups[:n+1]
		w.groups[n].values = values
		w.groups[n].idx = w.groups[n].idx[:0]
	} else {
		w.groups = append(w.groups, group{values: values})
	}
	return n
}

// compress gzips body into w.zbuf.
func (w *scratch) compress(body []byte) []byte {
	w.zbuf.Reset()
	if w.zw == nil {
		w.zw, _ = gzip.NewWriterLevel(&w.zbuf, gzipLevel)
	} else {
		w.zw.Reset(&w.zbuf)
	}
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.zw.Write(body)
	_ = w.zw.Close()
	return w.zbuf.Bytes()
}

func (s *Sink) getScratch() *scratch { return s.scratch.Get().(*scratch) }

func (s *Sink) putScratch(w *scratch) {
	// Keep no more than a few requests' worth: one huge event must not pin
	// its memory.
	limit := 2*s.maxBytes + 64<<10
	if cap(w.body) > limit || cap(w.line) > limit {
		w.body, w.line = nil, nil
	}
	if w.zbuf.Cap() > limit {
		w.zbuf = bytes.Buffer{}
	}
	for i := range w.groups {
		w.groups[i].values = nil
	}
	clear(w.failed)
	w.failed = w.failed[:0]
	s.scratch.Put(w)
}

// Write delivers batch: one request per group of events with the same
// headers and per MaxBytes of body (see the package documentation for
// what is returned when some requests fail).
func (s *Sink) Write(ctx context.Context, batch []event.Event) error {
	if s.closed.Load() {
		return errClosed
	}
	if len(batch) == 0 {
		return nil
	}
	w := s.getScratch()
	defer s.putScratch(w)
	s.group(w, batch)
	var r result
	for gi := range w.groups {
		s.sendGroup(ctx, w, &w.groups[gi], batch, &r)
	}
	return r.err(w)
}

// group splits batch into w.groups by rendered header values.
func (s *Sink) group(w *scratch, batch []event.Event) {
	w.groups = w.groups[:0]
	if s.static {
		g := &w.groups[w.addGroup(s.staticValues)]
		for i := range batch {
			g.idx = append(g.idx, i)
		}
		return
	}
	clear(w.groupOf)
	for i := range batch {
		w.key = w.key[:0]
		for _, h := range s.headers {
			w.tmp = h.t.Execute(w.tmp[:0], &batch[i])
			w.key = appendHeaderValue(w.key, w.tmp)
			w.key = append(w.key, 0)
		}
		gi, ok := w.groupOf[string(w.key)]
		if !ok {
			key := string(w.key)
			values := strings.Split(key[:len(key)-1], "\x00")
			gi = w.addGroup(values)
			w.groupOf[key] = gi
		}
		w.groups[gi].idx = append(w.groups[gi].idx, i)
	}
}

// result gathers the outcome of a Write's requests.
type result struct {
	delivered int
	// failedRequests counts requests that failed; permanent counts the
	// events that failed for good.
	failedRequests int
	permanent      int
	// stop is the first retryable error: no request is sent after it.
	stop error
}

func (r *result) fail(w *scratch, idx []int, err error) {
	for _, i := range idx {
		w.failed = append(w.failed, sink.ItemError{Index: i, Err: err})
	}
}

// err is what Write returns.
func (r *result) err(w *scratch) error {
	switch {
	case len(w.failed) == 0:
		return nil
	case r.delivered == 0 && r.permanent == 0:
		// Nothing delivered, nothing lost: retry it all, after the
		// Retry-After of the request that failed.
		return r.stop
	case r.delivered == 0 && r.failedRequests == 1 && r.stop == nil:
		// One request, refused for good.
		return w.failed[0].Err
	}
	return &sink.ItemsError{Failed: slices.Clone(w.failed)}
}

// sendGroup sends the events of g in requests of at most maxBytes.
func (s *Sink) sendGroup(ctx context.Context, w *scratch, g *group, batch []event.Event, r *result) {
	if r.stop != nil {
		r.fail(w, g.idx, notSent(r.stop))
		return
	}
	body := s.enc.begin(w.body[:0])
	n, first := 0, 0 // events in body; index into g.idx of the first
	for k, i := range g.idx {
		w.line = s.enc.appendEvent(w.line[:0], &batch[i])
		if n > 0 && s.enc.sizeWith(len(body), len(w.line), n) > s.maxBytes {
			s.flush(ctx, w, g, s.enc.end(body), g.idx[first:k], r)
			if r.stop != nil {
				r.fail(w, g.idx[k:], notSent(r.stop))
				w.body = body
				return
			}
			body, n, first = s.enc.begin(body[:0]), 0, k
		}
		body = s.enc.add(body, w.line, n)
		n++
	}
	if n > 0 {
		body = s.enc.end(body)
		s.flush(ctx, w, g, body, g.idx[first:], r)
	}
	w.body = body
}

// flush sends one request holding the events idx and records the outcome.
func (s *Sink) flush(ctx context.Context, w *scratch, g *group, body []byte, idx []int, r *result) {
	err := s.send(ctx, w, g.values, body)
	if err == nil {
		r.delivered += len(idx)
		s.events.Add(uint64(len(idx)))
		return
	}
	r.failedRequests++
	r.fail(w, idx, err)
	if sink.IsPermanent(err) {
		r.permanent += len(idx)
	} else if r.stop == nil {
		r.stop = err
	}
}

// notSent is the error of events not sent because an earlier request of
// the batch failed; it wraps that request's error (and its Retry-After).
func notSent(err error) error {
	return fmt.Errorf("not sent after an earlier request failed: %w", err)
}

// send makes one request. A nil error means a 2xx response.
func (s *Sink) send(ctx context.Context, w *scratch, values []string, body []byte) error {
	payload := body
	if s.gzip {
		payload = w.compress(body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, s.url, bytes.NewReader(payload))
	if err != nil {
		// The URL was validated; NewRequest's error would quote it.
		return sink.Permanent(fmt.Errorf("cannot build a request for %s: check the url", s.endpoint))
	}
	h := req.Header
	h["User-Agent"] = []string{userAgent}
	if s.contentType != "" {
		h["Content-Type"] = []string{s.contentType}
	}
	if s.gzip {
		h["Content-Encoding"] = []string{"gzip"}
	}
	if s.auth != "" {
		h["Authorization"] = []string{s.auth}
	}
	for i, hd := range s.headers {
		if values[i] != "" {
			h[hd.name] = []string{values[i]}
		}
	}
	s.requests.Add(1)
	s.bytes.Add(uint64(len(body)))
	s.wireBytes.Add(uint64(len(payload)))
	resp, err := s.client.Do(req)
	if err != nil {
		s.failedRequests.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("cannot deliver events to %s: %w", s.endpoint, ctx.Err())
		}
		return fmt.Errorf("cannot deliver events to %s: %w; will retry", s.endpoint, s.scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		drain(resp.Body)
		return nil
	}
	s.failedRequests.Add(1)
	head := make([]byte, BodyExcerptBytes)
	n, _ := io.ReadFull(resp.Body, head)
	drain(resp.Body)
	se := &StatusError{
		Endpoint:   s.endpoint,
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Body:       excerpt(head[:n]),
	}
	if se.Status == "" {
		se.Status = fmt.Sprint(resp.StatusCode)
	}
	if se.Retryable() {
		se.After = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return se
	}
	if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && loc.Host != "" {
		se.Location = redact(loc)
	}
	return sink.Permanent(se)
}

// scrub returns the cause of a transport error without the URL (a
// *url.Error quotes it; it is a secret).
func (s *Sink) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if msg := err.Error(); strings.Contains(msg, s.url) {
		return errors.New(strings.ReplaceAll(msg, s.url, s.endpoint))
	}
	return err
}

// drain reads what is left of a response body, up to drainBytes, so that
// the connection can carry the next request.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, drainBytes))
}
