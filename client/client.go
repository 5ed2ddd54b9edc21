package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultBatchSize     = 500
	DefaultFlushInterval = time.Second
	DefaultMaxBuffered   = 10_000
	DefaultBlockTimeout  = time.Second
	DefaultRetryMax      = 5

	// firstBackoff and maxBackoff bound the wait between attempts; a
	// Retry-After from the server is honoured up to maxRetryAfter.
	firstBackoff  = 100 * time.Millisecond
	maxBackoff    = 10 * time.Second
	maxRetryAfter = time.Minute
	// maxPartialLine bounds a line the Writer holds while waiting for its
	// newline; a longer one is sent as it is.
	maxPartialLine = 64 << 10
	// maxResponseBytes bounds how much of an answer is read.
	maxResponseBytes = 64 << 10
)

// FullPolicy says what happens to an event logged while MaxBuffered events
// wait to be sent.
type FullPolicy int

const (
	// Block makes the logging call wait up to BlockTimeout for room, then
	// drops the event.
	Block FullPolicy = iota
	// Drop drops the event at once.
	Drop
)

// Options configure a Client. The zero value works with an open sluice.
type Options struct {
	// Token is sent as "Authorization: Bearer <Token>" when not empty.
	Token string
	// Group, Stream, App, Host and Proc are set on every event (empty ones
	// are left to the server: group "ingest", stream the credentials'
	// name). Host defaults to os.Hostname.
	Group, Stream, App, Host, Proc string
	// BatchSize is the most events per request; DefaultBatchSize when 0.
	BatchSize int
	// FlushInterval is how long an event may wait for a full batch;
	// DefaultFlushInterval when 0.
	FlushInterval time.Duration
	// MaxBuffered bounds the events waiting to be sent (and so the memory
	// the client holds, with one batch in flight); DefaultMaxBuffered when
	// 0.
	MaxBuffered int
	// OnFull says what to do with an event when MaxBuffered are waiting.
	// Dropped events are counted (Stats) and reported to sluice as one
	// warning event "sluice client dropped N events" with the next batch.
	OnFull FullPolicy
	// BlockTimeout is how long Block waits; DefaultBlockTimeout when 0.
	BlockTimeout time.Duration
	// RetryMax is how many times a failed request is retried, with
	// exponential backoff (honouring Retry-After on 429 and 503);
	// DefaultRetryMax when 0, no retries when negative. Answers 4xx other
	// than 429 are not retried.
	RetryMax int
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Fallback receives, as JSON lines, the events that could not be
	// delivered (refused, retries exhausted, sluice unreachable at Close,
	// logged after Close); os.Stderr when nil.
	Fallback io.Writer
	// OnError, when set, is called (from the sending goroutine) with every
	// delivery error, besides Flush and Close returning them.
	OnError func(error)
}

// Stats counts what a Client did with events.
type Stats struct {
	// Sent is the number of events sluice accepted.
	Sent uint64
	// Dropped is the number of events dropped because the buffer was full.
	Dropped uint64
	// Retried is the number of requests retried.
	Retried uint64
	// Rejected is the number of events sluice rejected as invalid.
	Rejected uint64
	// Failed is the number of events written to Fallback.
	Failed uint64
}

// Client batches events and sends them to sluice's ingest endpoint from one
// background goroutine. It is safe for concurrent use. Close it to send what
// is buffered and stop the goroutine.
type Client struct {
	url      string
	opts     Options
	hc       *http.Client
	fallback io.Writer
	base     []byte // `,"group":…` etc., appended to every event
	lw       *lineWriter

	mu         sync.Mutex
	queue      [][]byte
	space      chan struct{} // closed and replaced whenever room frees
	closed     bool
	unreported uint64 // dropped, not yet reported to sluice
	errs       []error

	kick   chan struct{}
	flushc chan chan error
	stop   chan struct{}
	done   chan struct{}
	ctx    context.Context // sends; canceled when Close's context ends
	cancel context.CancelFunc

	fbMu                                   sync.Mutex
	sent, dropped, retried, rejected, fail atomic.Uint64
}

// New returns a Client sending to url, the ingest endpoint (for example
// "https://sluice.example.com/ingest"), and starts its sending goroutine.
func New(rawURL string, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("cannot create sluice client: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("cannot create sluice client: url %q is not an http or https URL", rawURL)
	}
	if opts.BatchSize < 0 || opts.MaxBuffered < 0 || opts.FlushInterval < 0 || opts.BlockTimeout < 0 {
		return nil, errors.New("cannot create sluice client: BatchSize, MaxBuffered, FlushInterval and BlockTimeout may not be negative")
	}
	if opts.OnFull != Block && opts.OnFull != Drop {
		return nil, fmt.Errorf("cannot create sluice client: unknown OnFull policy %d", opts.OnFull)
	}
	opts = withDefaults(opts)
	if opts.BatchSize > opts.MaxBuffered {
		return nil, fmt.Errorf("cannot create sluice client: BatchSize %d is larger than MaxBuffered %d", opts.BatchSize, opts.MaxBuffered)
	}
	c := &Client{
		url:      rawURL,
		opts:     opts,
		hc:       opts.HTTPClient,
		fallback: opts.Fallback,
		space:    make(chan struct{}),
		kick:     make(chan struct{}, 1),
		flushc:   make(chan chan error),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, kv := range [...][2]string{{"group", opts.Group}, {"stream", opts.Stream}, {"app", opts.App}, {"host", opts.Host}, {"proc", opts.Proc}} {
		if kv[1] != "" {
			c.base = append(c.base, ',', '"')
			c.base = append(c.base, kv[0]...)
			c.base = append(c.base, '"', ':')
			c.base = appendQuoted(c.base, kv[1])
		}
	}
	c.lw = &lineWriter{c: c}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run()
	return c, nil
}

func withDefaults(o Options) Options {
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxBuffered == 0 {
		o.MaxBuffered = DefaultMaxBuffered
	}
	if o.BlockTimeout == 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	switch {
	case o.RetryMax == 0:
		o.RetryMax = DefaultRetryMax
	case o.RetryMax < 0:
		o.RetryMax = 0
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Fallback == nil {
		o.Fallback = os.Stderr
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	return o
}

// Stats returns what the client did so far.
func (c *Client) Stats() Stats {
	return Stats{Sent: c.sent.Load(), Dropped: c.dropped.Load(), Retried: c.retried.Load(), Rejected: c.rejected.Load(), Failed: c.fail.Load()}
}

// Flush sends every event buffered when it is called and returns the
// delivery errors since the last Flush or Close. It returns ctx's error when
// ctx ends first (the events are still sent in the background).
func (c *Client) Flush(ctx context.Context) error {
	c.lw.flushPartial()
	reply := make(chan error, 1)
	select {
	case c.flushc <- reply:
	case <-c.done:
		return errors.New("cannot flush sluice client: it is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends every buffered event and stops the client. When ctx ends
// first, sending stops and the remaining events are written to Fallback.
// Events logged after Close go to Fallback. It returns the delivery errors
// since the last Flush.
func (c *Client) Close(ctx context.Context) error {
	c.lw.flushPartial()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("cannot close sluice client: it is closed already")
	}
	c.closed = true
	close(c.space) // wake blocked callers: they go to Fallback now
	c.mu.Unlock()
	stopCancel := context.AfterFunc(ctx, c.cancel)
	close(c.stop)
	<-c.done
	stopCancel()
	c.cancel()
	c.mu.Lock()
	rest := c.queue
	c.queue = nil
	c.mu.Unlock()
	if len(rest) > 0 { // cannot happen: the sender drains the queue
		c.toFallback(rest)
	}
	return c.takeErr()
}

// enqueue buffers one encoded event, applying OnFull when the buffer is
// full.
func (c *Client) enqueue(line []byte) {
	var deadline time.Time
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			c.toFallback([][]byte{line})
			return
		}
		if len(c.queue) < c.opts.MaxBuffered {
			c.queue = append(c.queue, line)
			n := len(c.queue)
			c.mu.Unlock()
			if n >= c.opts.BatchSize {
				select {
				case c.kick <- struct{}{}:
				default:
				}
			}
			return
		}
		if c.opts.OnFull == Drop || !deadline.IsZero() && !time.Now().Before(deadline) {
			c.unreported++
			c.mu.Unlock()
			c.dropped.Add(1)
			return
		}
		space := c.space
		c.mu.Unlock()
		if deadline.IsZero() {
			deadline = time.Now().Add(c.opts.BlockTimeout)
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-space:
		case <-t.C:
		}
		t.Stop()
	}
}

// run is the sending goroutine.
func (c *Client) run() {
	defer close(c.done)
	tick := time.NewTicker(c.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.kick:
			c.sendBatches(false)
		case <-tick.C:
			c.sendBatches(true)
		case reply := <-c.flushc:
			c.sendBatches(true)
			reply <- c.takeErr()
		case <-c.stop:
			c.sendBatches(true)
			return
		}
	}
}

// sendBatches sends full batches, and with all the last partial one too.
func (c *Client) sendBatches(all bool) {
	for {
		batch := c.take(all)
		if batch == nil {
			return
		}
		c.send(batch)
	}
}

// take removes the next batch from the queue: BatchSize events, or fewer
// when all; with a report of dropped events first. nil when there is none.
func (c *Client) take(all bool) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), c.opts.BatchSize)
	if n == 0 && (c.unreported == 0 || !all) || n < c.opts.BatchSize && !all {
		return nil
	}
	batch := make([][]byte, 0, n+1)
	if c.unreported > 0 {
		batch = append(batch, c.dropReport(c.unreported))
		c.unreported = 0
	}
	batch = append(batch, c.queue[:n]...)
	m := copy(c.queue, c.queue[n:])
	clear(c.queue[m:])
	c.queue = c.queue[:m]
	if n > 0 && !c.closed {
		close(c.space)
		c.space = make(chan struct{})
	}
	return batch
}

// dropReport encodes the event that tells sluice about dropped events.
func (c *Client) dropReport(n uint64) []byte {
	b := []byte(`{"time":"`)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"warning","message":"sluice client dropped `...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, ` events"`...)
	b = append(b, c.base...)
	b = append(b, `,"fields":{"sluice_client.dropped":`...)
	b = strconv.AppendUint(b, n, 10)
	return append(b, "}}"...)
}

// answer is sluice's JSON answer.
type answer struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Errors   []struct {
		Index int    `json:"index"`
		Error string `json:"error"`
	} `json:"errors"`
	Error string `json:"error"`
}

// send delivers one batch, retrying as Options say; a batch that cannot be
// delivered goes to Fallback.
func (c *Client) send(batch [][]byte) {
	size := len(batch)
	for _, l := range batch {
		size += len(l)
	}
	body := make([]byte, 0, size)
	for _, l := range batch {
		body = append(body, l...)
		body = append(body, '\n')
	}
	for attempt := 0; ; attempt++ {
		status, ans, retryAfter, err := c.post(body)
		if err == nil && status == http.StatusOK {
			c.sent.Add(uint64(ans.Accepted))
			if ans.Rejected > 0 {
				c.rejected.Add(uint64(ans.Rejected))
				first := ""
				if len(ans.Errors) > 0 {
					first = fmt.Sprintf("; first: event %d: %s", ans.Errors[0].Index, ans.Errors[0].Error)
				}
				c.report(fmt.Errorf("sluice rejected %d of %d events%s", ans.Rejected, len(batch), first))
			}
			return
		}
		if err == nil {
			msg := ans.Error
			if msg == "" {
				msg = http.StatusText(status)
			}
			err = fmt.Errorf("sluice answered %d: %s", status, msg)
		}
		retryable := status == 0 || status == http.StatusTooManyRequests || status >= 500
		if !retryable || attempt >= c.opts.RetryMax || c.ctx.Err() != nil {
			c.toFallback(batch)
			c.report(fmt.Errorf("cannot send %d events to sluice (written to the fallback): %w", len(batch), err))
			return
		}
		wait := backoff(attempt)
		if retryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
			wait = min(retryAfter, maxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
		}
		c.retried.Add(1)
	}
}

// backoff is the wait before retry attempt+1: 100 ms doubling up to 10 s,
// with jitter of up to a quarter.
func backoff(attempt int) time.Duration {
	d := firstBackoff << min(attempt, 10)
	d = min(d, maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// post sends one request. status is 0 when no answer came.
func (c *Client) post(body []byte) (status int, ans answer, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, ans, 0, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("User-Agent", "sluice-go-client")
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, ans, 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_ = json.Unmarshal(data, &ans) // best effort: the status decides
	if ans.Error == "" && resp.StatusCode != http.StatusOK {
		ans.Error = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	return resp.StatusCode, ans, parseRetryAfter(resp.Header.Get("Retry-After")), nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// report records a delivery error for Flush and Close, and OnError.
func (c *Client) report(err error) {
	c.mu.Lock()
	if len(c.errs) < 10 {
		c.errs = append(c.errs, err)
	}
	c.mu.Unlock()
	if c.opts.OnError != nil {
		c.opts.OnError(err)
	}
}

func (c *Client) takeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := errors.Join(c.errs...)
	c.errs = nil
	return err
}

// toFallback writes events to Fallback as JSON lines.
func (c *Client) toFallback(lines [][]byte) {
	c.fail.Add(uint64(len(lines)))
	c.fbMu.Lock()
	defer c.fbMu.Unlock()
	for _, l := range lines {
		_, _ = c.fallback.Write(append(l[:len(l):len(l)], '\n'))
	}
}
