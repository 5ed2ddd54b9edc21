package slack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

var _ sink.Sink = (*Sink)(nil)

const (
	// postInterval is Slack's rate for incoming webhooks: one message per
	// second (short bursts are tolerated, not guaranteed; we do not burst).
	postInterval = time.Second
	// defaultRetryAfter is the wait after a 429 without a usable
	// Retry-After.
	defaultRetryAfter = time.Second
	// maxRetryAfter caps a Retry-After, so that a nonsense value cannot
	// stall the subscription for days.
	maxRetryAfter = time.Hour
	// maxResponse is how much of a response body is read.
	maxResponse = 4 << 10
	// maxErrorBody is how much of an error body an error message quotes.
	maxErrorBody = 200
	// maxProgress is how many batches failed part-way are remembered: one
	// per helper worker in flight is enough.
	maxProgress = 16
)

// constError is an error that can be a constant (no package-level state).
type constError string

func (e constError) Error() string { return string(e) }

const errClosed constError = "cannot post to Slack: the sink is closed"

// Sink posts digests of batches to a Slack incoming webhook. See the
// package documentation.
type Sink struct {
	cfg     Config
	url     string // the secret
	where   string // the webhook, redacted, for messages
	fmt     *formatter
	client  *http.Client
	limiter *rate.Limiter
	logger  *slog.Logger
	seed    maphash.Seed

	// writeMu makes Writes take turns: the rate limit and the progress of
	// a batch are the webhook's, not a caller's.
	writeMu sync.Mutex
	// progress holds the batches that failed part-way, for their retries,
	// oldest first, at most maxProgress; guarded by writeMu.
	progress []*progress

	mu        sync.Mutex // guards the fields below
	closed    bool
	notBefore time.Time // no request before this (after a 429)
}

// progress records which digests of a batch are done, so that a retry of
// the same batch posts only the others.
type progress struct {
	fingerprint uint64
	events      int
	digests     []digestState
}

type digestState struct {
	posted bool
	err    error // refused for good
}

// New returns a sink posting to cfg.WebhookURL. It sends nothing until the
// first Write. A nil logger discards.
func New(cfg Config, logger *slog.Logger) (*Sink, error) {
	return newSink(cfg, logger, postInterval)
}

// newSink is New with the interval between posts (≤ 0: no limit, for
// tests).
func newSink(cfg Config, logger *slog.Logger, interval time.Duration) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create Slack sink: %w", err)
	}
	cfg = cfg.withDefaults()
	f, err := newFormatter(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot create Slack sink: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	limit := rate.Inf
	if interval > 0 {
		limit = rate.Every(interval)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &Sink{
		cfg:   cfg,
		url:   cfg.WebhookURL,
		where: redactURL(cfg.WebhookURL),
		fmt:   f,
		client: &http.Client{
			Transport: transport,
			// A webhook does not redirect; following one would send the
			// digest elsewhere and put URLs in errors.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		limiter: rate.NewLimiter(limit, 1),
		logger:  logger.With("sink", "slack"),
		seed:    maphash.MakeSeed(),
	}, nil
}

// Connect does nothing but report a closed sink: a webhook is one request
// per message, and posting a test message would be noise. Problems show on
// the first Write.
func (s *Sink) Connect(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	return nil
}

// Close closes idle connections; Writes after Close fail.
func (s *Sink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.client.CloseIdleConnections()
	return nil
}

// Write groups batch into digests and posts them, one message each, at
// most one per second. It returns nil when every digest was posted; a
// retryable error (the helper retries the batch, and only the digests not
// yet posted are posted then); an error marked sink.Permanent when every
// digest was refused for good; or a *sink.ItemsError naming the events of
// the digests refused for good when others were posted.
func (s *Sink) Write(ctx context.Context, batch []event.Event) error {
	if len(batch) == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errClosed
	}
	ds := s.fmt.digests(batch)
	p := s.takeProgress(s.fingerprint(batch), len(batch), len(ds))
	var webhookErr error // refused for good for the whole webhook
	for i := range ds {
		st := &p.digests[i]
		if st.posted || st.err != nil {
			continue
		}
		if webhookErr != nil {
			st.err = webhookErr
			continue
		}
		err := s.post(ctx, &ds[i].msg)
		if err == nil {
			st.posted = true
			continue
		}
		if !sink.IsPermanent(err) {
			s.keepProgress(p) // for the retry
			return err
		}
		st.err = err
		var pe *statusError
		if !errors.As(err, &pe) || !pe.digestOnly {
			webhookErr = err
		}
	}
	var failed []sink.ItemError
	var first error
	posted, same := 0, true
	for i, st := range p.digests {
		if st.posted {
			posted++
			continue
		}
		if first == nil {
			first = st.err
		}
		same = same && st.err.Error() == first.Error()
		for _, ev := range ds[i].events {
			failed = append(failed, sink.ItemError{Index: ev, Err: st.err})
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case posted == 0 && same:
		return first
	}
	return &sink.ItemsError{Failed: failed}
}

// takeProgress returns, and forgets, what is known of the batch with this
// fingerprint, or a fresh record.
func (s *Sink) takeProgress(fingerprint uint64, events, digests int) *progress {
	for i, p := range s.progress {
		if p.fingerprint == fingerprint && p.events == events && len(p.digests) == digests {
			s.progress = slices.Delete(s.progress, i, i+1)
			return p
		}
	}
	return &progress{fingerprint: fingerprint, events: events, digests: make([]digestState, digests)}
}

// keepProgress remembers p for the retry of its batch, forgetting the
// oldest record beyond maxProgress.
func (s *Sink) keepProgress(p *progress) {
	if len(s.progress) >= maxProgress {
		s.progress = slices.Delete(s.progress, 0, 1)
	}
	s.progress = append(s.progress, p)
}

// fingerprint identifies a batch, so that its retry is recognised. Event
// IDs alone would not do: they may be empty.
func (s *Sink) fingerprint(batch []event.Event) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	var b [17]byte
	for i := range batch {
		e := &batch[i]
		binary.LittleEndian.PutUint64(b[0:], uint64(e.Time.UnixNano()))
		binary.LittleEndian.PutUint64(b[8:], uint64(e.Received.UnixNano()))
		b[16] = byte(e.Severity)
		_, _ = h.Write(b[:])
		for _, v := range [...]string{e.ID, e.Host, e.App, e.Proc, e.Message} {
			_, _ = h.WriteString(v)
			_ = h.WriteByte(0)
		}
	}
	return h.Sum64()
}

// post sends one message, after the rate limit and any Retry-After.
func (s *Sink) post(ctx context.Context, m *Message) error {
	body, err := m.Payload()
	if err != nil {
		return sink.Permanent(err)
	}
	if err := s.wait(ctx); err != nil {
		return fmt.Errorf("cannot post digest to %s: %w", s.where, err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return sink.Permanent(fmt.Errorf("cannot post digest to %s: cannot build the request; check webhook_url", s.where))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return s.transportError(ctx, err)
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		s.logger.Debug("posted digest", "title", m.Attachments[0].Title, "bytes", len(body))
		return nil
	}
	return s.statusError(resp, answer)
}

// wait waits for the end of a Retry-After and for the rate limit.
func (s *Sink) wait(ctx context.Context) error {
	s.mu.Lock()
	nb := s.notBefore
	s.mu.Unlock()
	if d := time.Until(nb); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("cannot wait out Slack's Retry-After: %w", ctx.Err())
		}
	}
	if err := s.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("cannot wait for the rate limit (1 message per second): %w", err)
	}
	return nil
}

// transportError describes a request that got no answer, without the URL
// that net/http puts in its errors. Such errors are retryable.
func (s *Sink) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("cannot post digest to %s: %w", s.where, ctx.Err())
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	if errors.Is(cause, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
		return fmt.Errorf("cannot post digest to %s: no answer within %v (timeout); will retry", s.where, s.cfg.Timeout)
	}
	return fmt.Errorf("cannot post digest to %s: %w; will retry", s.where, cause)
}

// statusError is a non-2xx answer.
type statusError struct {
	where      string
	status     int
	body       string // Slack's error code, e.g. no_service
	hint       string
	retryAfter time.Duration // for 429
	// digestOnly says the refusal concerns this message only (400
	// invalid_payload, 413), not every message to the webhook.
	digestOnly bool
}

func (e *statusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot post digest to %s: Slack answered %d %s", e.where, e.status, http.StatusText(e.status))
	if e.body != "" {
		fmt.Fprintf(&b, ": %s", e.body)
	}
	if e.hint != "" {
		fmt.Fprintf(&b, " (%s)", e.hint)
	}
	return b.String()
}

// RetryAfter is the wait Slack asked for (429), for the helper.
func (e *statusError) RetryAfter() time.Duration { return e.retryAfter }

func (s *Sink) statusError(resp *http.Response, answer []byte) error {
	e := &statusError{where: s.where, status: resp.StatusCode, body: errorBody(answer)}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok {
			d = defaultRetryAfter
		}
		e.retryAfter = d
		e.hint = "Slack is rate limiting the webhook; retry after " + d.String()
		s.mu.Lock()
		if nb := time.Now().Add(d); nb.After(s.notBefore) {
			s.notBefore = nb
		}
		s.mu.Unlock()
		s.logger.Warn("Slack is rate limiting the webhook", "retry_after", d.String())
		return e
	case code >= 500 || code == http.StatusRequestTimeout:
		e.hint = "will retry"
		return e
	case code >= 300 && code < 400:
		e.hint = "a webhook does not redirect; check webhook_url"
		return sink.Permanent(e)
	case code >= 400:
		e.hint, e.digestOnly = explain(code, e.body)
		return sink.Permanent(e)
	}
	e.hint = "unexpected answer; will retry"
	return e
}

// explain says what a 4xx refusal means and what to do, and whether it
// concerns only the message sent. The codes are those Slack documents for
// incoming webhooks.
func explain(status int, code string) (hint string, digestOnly bool) {
	switch code {
	case "invalid_payload", "no_text", "too_many_attachments":
		return "Slack could not accept this digest; it is dead-lettered, the others are posted", true
	case "user_not_found", "channel_not_found":
		return "check channel, or leave it empty to post to the webhook's own channel", false
	case "action_prohibited":
		return "the workspace restricts posting through this webhook; ask a Slack admin", false
	case "posting_to_general_channel_denied":
		return "only admins may post to this channel; choose another channel", false
	case "channel_is_archived":
		return "the channel is archived: unarchive it or use a webhook for another channel", false
	case "no_service", "no_service_id", "no_team", "team_disabled", "invalid_token":
		return "the webhook was removed, disabled or revoked: create a new one and update webhook_url", false
	}
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		return "Slack could not accept this digest; it is dead-lettered, the others are posted", true
	}
	return "check webhook_url and the Slack app's configuration", false
}

// errorBody returns the start of an error answer as one printable line.
func errorBody(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseRetryAfter reads a Retry-After header (RFC 9110 section 10.2.3):
// delay-seconds or an HTTP-date, relative to now. Negative delays and dates
// in the past are zero; delays beyond maxRetryAfter are capped.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}
