package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

var _ sink.Sink = (*Sink)(nil)

const (
	// minChunk is the fewest events a Write gives one connection: a batch
	// is spread over more connections only when each gets at least this
	// many, so small batches cost no goroutines.
	minChunk = 32
	// flushBytes is how much a connection's buffer holds before it is
	// written out; with maxRetained it bounds memory per connection.
	flushBytes = 256 << 10
	// maxRetained is the largest buffer kept between writes (a buffer grows
	// beyond flushBytes only by a single huge frame).
	maxRetained = 1 << 20
	// healthyAfter: a connection on which a write succeeded at least this
	// long after it was established is healthy, and its loss resets the
	// reconnect backoff (the first reconnect is then immediate). A
	// destination that accepts connections and drops them, or stops reading
	// (the writes that succeed are those the socket buffers absorb at
	// first), sees reconnects at growing intervals instead.
	healthyAfter = 10 * time.Second
	// clientCertGrace is how long a TLS 1.3 connect waits for the server
	// to reject the client certificate (see connect).
	clientCertGrace = 300 * time.Millisecond
)

// constError is an error that can be a constant (no package-level state).
type constError string

func (e constError) Error() string { return string(e) }

const (
	errClosed     constError = "sink is closed"
	errPeerClosed constError = "connection closed by the destination"
)

// Sink forwards events to a syslog destination over a pool of persistent
// TCP or TLS connections. See the package documentation for the
// concurrency design and the delivery guarantee.
type Sink struct {
	cfg      Config
	logger   *slog.Logger
	hostport string
	tls      *tls.Config
	dialer   net.Dialer

	slots []*slot
	free  chan *slot    // idle slots; a Write owns the slots it took
	done  chan struct{} // closed by Close

	mu      sync.Mutex // guards closed and writes of slot.c
	closed  bool
	readers sync.WaitGroup

	connects, reconnects, connectErrors, disconnects, resets atomic.Uint64
	writeErrors, frames, bytes                               atomic.Uint64
	replayed                                                 atomic.Uint64
}

// slot is one of the pool's connections, across reconnects. Its fields
// belong to the goroutine that took it from Sink.free; Close reads c under
// Sink.mu, so c is written under Sink.mu.
type slot struct {
	id        int
	c         *conn // nil when not connected
	bo        backoff.ExponentialBackOff
	next      time.Time // no dial before this
	lastErr   error
	connected bool // was connected at least once
	buf       []byte
	ends      []int // offsets in buf where frames end
	n         int   // result of the last writeChunk: frames written
	err       error // and the error
	// doubt holds the frames written recently on c; replay, those of a
	// lost connection, to be sent first on the next one.
	doubt  inDoubt
	replay []byte
}

// conn is one network connection and its reader goroutine.
type conn struct {
	nc    net.Conn // what is written to: the TLS or the TCP connection
	raw   net.Conn // the TCP connection
	since time.Time
	// healthy is set once a write succeeded healthyAfter after since.
	healthy bool
	dead    chan struct{} // closed by the reader when the connection ends
	err     error         // why; set before dead is closed
}

func (c *conn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// abort closes the TCP connection at once: no TLS close_notify, which could
// block on a stalled destination.
func (c *conn) abort() { _ = c.raw.Close() }

// Stats are counters since New, for metrics.
type Stats struct {
	// Connects counts established connections (TCP and TLS handshake),
	// Reconnects those of them that replaced a lost connection.
	Connects, Reconnects uint64
	// ConnectErrors counts failed connection attempts.
	ConnectErrors uint64
	// Disconnects counts connections lost: closed or reset by the
	// destination, or closed after a write error or timeout.
	Disconnects uint64
	// Resets counts connections the destination reset (RST): data written
	// shortly before may have been lost (see the package documentation).
	Resets uint64
	// WriteErrors counts failed writes (each closes its connection).
	WriteErrors uint64
	// Frames counts frames handed to the kernel completely, Bytes every
	// byte written (including those of a frame cut short by an error).
	Frames, Bytes uint64
	// ReplayedBytes counts bytes sent again on a new connection because
	// the connection that first carried them was lost within the in-doubt
	// window (see inDoubtWindow).
	ReplayedBytes uint64
}

// New returns a sink for cfg; it does not connect (Connect or the first
// Write does). A nil logger discards.
func New(cfg Config, logger *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create syslog sink: %w", err)
	}
	tlsConf, err := cfg.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("cannot create syslog sink: %w", err)
	}
	cfg = cfg.withDefaults()
	_, host, port, _ := splitAddress(cfg.Address)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		cfg:      cfg,
		logger:   logger.With("sink", "syslog", "address", cfg.Address),
		hostport: net.JoinHostPort(host, port),
		tls:      tlsConf,
		dialer:   net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second},
		slots:    make([]*slot, cfg.Connections),
		free:     make(chan *slot, cfg.Connections),
		done:     make(chan struct{}),
	}
	for i := range s.slots {
		sl := &slot{id: i, bo: backoff.ExponentialBackOff{
			InitialInterval:     cfg.ReconnectMin,
			RandomizationFactor: 0.5,
			Multiplier:          2,
			MaxInterval:         cfg.ReconnectMax,
		}}
		sl.bo.Reset()
		s.slots[i] = sl
		s.free <- sl
	}
	return s, nil
}

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Connects:      s.connects.Load(),
		Reconnects:    s.reconnects.Load(),
		ConnectErrors: s.connectErrors.Load(),
		Disconnects:   s.disconnects.Load(),
		Resets:        s.resets.Load(),
		WriteErrors:   s.writeErrors.Load(),
		Frames:        s.frames.Load(),
		Bytes:         s.bytes.Load(),
		ReplayedBytes: s.replayed.Load(),
	}
}

// Connect connects the idle connections that are down and whose backoff
// has passed. It succeeds when at least one connection is usable.
func (s *Sink) Connect(ctx context.Context) error {
	if s.isClosed() {
		return fmt.Errorf("cannot connect to syslog destination %s: %w", s.cfg.Address, errClosed)
	}
	var arr [MaxConnections]*slot
	taken := arr[:0]
	for len(taken) < len(s.slots) {
		sl, ok := s.tryAcquire()
		if !ok {
			break
		}
		taken = append(taken, sl)
	}
	defer s.release(taken)
	if len(taken) < len(s.slots) {
		// Some are in use by a Write; they will reconnect themselves.
		s.prepare(ctx, taken)
		return nil
	}
	if ready, err := s.prepare(ctx, taken); ready == 0 {
		return err
	}
	return nil
}

// Write sends batch, spread in contiguous chunks over the idle connections
// (at least minChunk events each), and returns nil when every frame was
// handed to the kernel. Otherwise it returns a retryable error, or a
// *sink.PartialError whose Delivered counts the leading events that were
// (chunks are ordered, so events after the first failed one may have been
// sent too and will be sent again). Write is safe for concurrent use.
func (s *Sink) Write(ctx context.Context, batch []event.Event) error {
	if len(batch) == 0 {
		return nil
	}
	if s.isClosed() {
		return fmt.Errorf("cannot write to syslog destination %s: %w", s.cfg.Address, errClosed)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cannot write to syslog destination %s: %w", s.cfg.Address, context.Cause(ctx))
	}
	want := min(len(s.slots), (len(batch)+minChunk-1)/minChunk)
	var arr [MaxConnections]*slot
	taken := arr[:0]
	select {
	case sl := <-s.free:
		taken = append(taken, sl)
	case <-ctx.Done():
		return fmt.Errorf("cannot write to syslog destination %s: %w", s.cfg.Address, context.Cause(ctx))
	case <-s.done:
		return fmt.Errorf("cannot write to syslog destination %s: %w", s.cfg.Address, errClosed)
	}
	for len(taken) < want {
		sl, ok := s.tryAcquire()
		if !ok {
			break
		}
		taken = append(taken, sl)
	}
	ready, err := s.prepare(ctx, taken)
	// When none of those can be used, try the other idle connections, one
	// at a time, so that one destination address refusing does not stop
	// delivery over connections that work.
	for ready == 0 {
		sl, ok := s.tryAcquire()
		if !ok {
			break
		}
		taken = append(taken, sl)
		if n, _ := s.prepare(ctx, taken[len(taken)-1:]); n == 1 {
			taken[0], taken[len(taken)-1] = taken[len(taken)-1], taken[0]
			ready = 1
		}
	}
	s.release(taken[ready:])
	taken = taken[:ready]
	defer s.release(taken)
	if ready == 0 {
		return fmt.Errorf("cannot write to syslog destination: %w", err)
	}

	bounds := func(i int) (int, int) { return i * len(batch) / ready, (i + 1) * len(batch) / ready }
	if ready == 1 {
		sl := taken[0]
		sl.n, sl.err = s.writeChunk(ctx, sl, batch)
	} else {
		var wg sync.WaitGroup
		for i := 1; i < ready; i++ {
			sl := taken[i]
			lo, hi := bounds(i)
			chunk := batch[lo:hi]
			wg.Go(func() { sl.n, sl.err = s.writeChunk(ctx, sl, chunk) })
		}
		sl := taken[0]
		lo, hi := bounds(0)
		sl.n, sl.err = s.writeChunk(ctx, sl, batch[lo:hi])
		wg.Wait()
	}
	delivered := 0
	for i, sl := range taken {
		if sl.err != nil {
			err, delivered := sl.err, delivered+sl.n
			if delivered == 0 {
				return err
			}
			return &sink.PartialError{Delivered: delivered, Err: err}
		}
		lo, hi := bounds(i)
		delivered += hi - lo
	}
	return nil
}

// writeChunk writes events as frames on sl's connection, under one
// deadline, and returns how many frames were handed to the kernel
// completely. On error the connection is closed, so a partly written frame
// is never followed by anything on it.
func (s *Sink) writeChunk(ctx context.Context, sl *slot, events []event.Event) (int, error) {
	c := sl.c
	deadline := time.Now().Add(s.cfg.WriteTimeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	if err := c.nc.SetWriteDeadline(deadline); err != nil {
		return 0, s.writeFailed(ctx, sl, err)
	}
	if ctx.Done() != nil {
		// Cancelling ctx interrupts a blocked write.
		stop := context.AfterFunc(ctx, func() { _ = c.nc.SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	if len(sl.replay) > 0 {
		// Frames a lost connection may not have delivered go first.
		if c.isDead() {
			return 0, s.writeFailed(ctx, sl, c.err)
		}
		if _, err := c.nc.Write(sl.replay); err != nil {
			return 0, s.writeFailed(ctx, sl, err)
		}
		s.replayed.Add(uint64(len(sl.replay)))
		sl.doubt.add(sl.replay, time.Now())
		sl.replay = sl.replay[:0]
	}
	written := 0
	buf, ends := sl.buf[:0], sl.ends[:0]
	for i := range events {
		buf = appendFrame(buf, &events[i], s.cfg.Format, s.cfg.MetadataID)
		ends = append(ends, len(buf))
		if len(buf) < flushBytes && i < len(events)-1 {
			continue
		}
		if c.isDead() {
			// Checked before every write: never write into a connection
			// the destination has closed or reset.
			return written, s.writeFailed(ctx, sl, c.err)
		}
		n, err := c.nc.Write(buf)
		full := sort.SearchInts(ends, n+1) // frames ending at or before n
		written += full
		s.frames.Add(uint64(full))
		s.bytes.Add(uint64(n))
		if full > 0 {
			sl.doubt.add(buf[:ends[full-1]], time.Now())
		}
		if err != nil {
			s.keep(sl, buf, ends)
			if ctxDeadline && errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
				// ctx's deadline, hit before ctx noticed.
				err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
			}
			return written, s.writeFailed(ctx, sl, err)
		}
		buf, ends = buf[:0], ends[:0]
	}
	s.keep(sl, buf, ends)
	if !c.healthy && time.Since(c.since) >= healthyAfter {
		c.healthy = true
	}
	return written, nil
}

// keep stores the buffers in sl for the next write, unless they grew big.
func (s *Sink) keep(sl *slot, buf []byte, ends []int) {
	if cap(buf) > maxRetained {
		buf, ends = nil, nil
	}
	sl.buf, sl.ends = buf[:0], ends[:0]
}

// writeFailed closes sl's connection after a failed write and returns the
// error to report.
func (s *Sink) writeFailed(ctx context.Context, sl *slot, err error) error {
	s.writeErrors.Add(1)
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	s.drop(sl, err)
	return fmt.Errorf("cannot write to syslog destination %s (connection %d): %w", s.cfg.Address, sl.id, err)
}

// prepare makes the given slots usable, connecting (in parallel) those that
// are down or dead, moves the usable ones to the front and returns their
// number and the first error.
func (s *Sink) prepare(ctx context.Context, slots []*slot) (int, error) {
	need := 0
	for _, sl := range slots {
		if sl.c == nil || sl.c.isDead() {
			need++
		}
	}
	if need == 0 {
		return len(slots), nil
	}
	var errs [MaxConnections]error
	if need == 1 {
		for i, sl := range slots {
			if sl.c == nil || sl.c.isDead() {
				errs[i] = s.ensure(ctx, sl)
			}
		}
	} else {
		var wg sync.WaitGroup
		for i, sl := range slots {
			if sl.c == nil || sl.c.isDead() {
				wg.Go(func() { errs[i] = s.ensure(ctx, sl) })
			}
		}
		wg.Wait()
	}
	ready := 0
	var first error
	for i := range slots {
		if errs[i] != nil {
			if first == nil {
				first = errs[i]
			}
			continue
		}
		slots[ready], slots[i] = slots[i], slots[ready]
		errs[ready], errs[i] = errs[i], errs[ready]
		ready++
	}
	return ready, first
}

// ensure connects sl if it is down or its connection died.
func (s *Sink) ensure(ctx context.Context, sl *slot) error {
	if c := sl.c; c != nil {
		if !c.isDead() {
			return nil
		}
		s.drop(sl, c.err)
	}
	return s.dial(ctx, sl)
}

// drop forgets sl's connection and closes it.
func (s *Sink) drop(sl *slot, cause error) {
	c := sl.c
	if c == nil {
		return
	}
	s.mu.Lock()
	sl.c = nil
	s.mu.Unlock()
	c.abort()
	s.disconnects.Add(1)
	sl.replay = sl.doubt.takeInto(sl.replay, time.Now())
	if c.healthy {
		sl.bo.Reset()
		sl.next = time.Time{}
	}
	sl.lastErr = cause
	s.logger.Warn("syslog connection lost", "connection", sl.id, "error", cause)
}

// dial connects sl, at most once per backoff interval.
func (s *Sink) dial(ctx context.Context, sl *slot) error {
	now := time.Now()
	if now.Before(sl.next) {
		return fmt.Errorf("cannot connect to syslog destination %s (connection %d): next attempt in %v, after: %w",
			s.cfg.Address, sl.id, sl.next.Sub(now).Round(time.Millisecond), sl.lastErr)
	}
	sl.next = now.Add(sl.bo.NextBackOff())
	c, err := s.connect(ctx)
	if err != nil {
		s.connectErrors.Add(1)
		sl.lastErr = err
		s.logger.Warn("cannot connect to syslog destination", "connection", sl.id, "error", err)
		return fmt.Errorf("cannot connect to syslog destination %s (connection %d): %w", s.cfg.Address, sl.id, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.abort()
		return fmt.Errorf("cannot connect to syslog destination %s: %w", s.cfg.Address, errClosed)
	}
	sl.c = c
	s.mu.Unlock()
	s.connects.Add(1)
	if sl.connected {
		s.reconnects.Add(1)
	}
	sl.connected = true
	s.logger.Info("connected to syslog destination", "connection", sl.id, "remote", c.raw.RemoteAddr().String())
	return nil
}

// connect dials, shakes hands and starts the connection's reader.
//
// In TLS 1.3 a client finishes its handshake before the server has checked
// the client certificate; a server that rejects it says so only afterwards,
// with an alert. Data written in the meantime would be lost, and so would
// everything written on every reconnect. So when the server asked for a
// client certificate under TLS 1.3, connect waits up to clientCertGrace
// for such a rejection before reporting success.
func (s *Sink) connect(ctx context.Context) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	raw, err := s.dialer.DialContext(dctx, "tcp", s.hostport)
	if err != nil {
		return nil, err
	}
	nc := raw
	certRequested := false
	if s.tls != nil {
		conf := s.tls.Clone()
		conf.GetClientCertificate = clientCertificate(s.tls, &certRequested)
		tc := tls.Client(raw, conf)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		nc = tc
		certRequested = certRequested && tc.ConnectionState().Version >= tls.VersionTLS13
	}
	c := &conn{nc: nc, raw: raw, since: time.Now(), dead: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = raw.Close()
		return nil, errClosed
	}
	s.readers.Add(1)
	s.mu.Unlock()
	go s.read(c)
	if certRequested {
		t := time.NewTimer(min(clientCertGrace, s.cfg.ConnectTimeout))
		defer t.Stop()
		select {
		case <-c.dead:
			return nil, fmt.Errorf("destination rejected the TLS client certificate: %w", c.err)
		case <-dctx.Done():
			c.abort()
			return nil, context.Cause(dctx)
		case <-t.C:
		}
	}
	return c, nil
}

// clientCertificate returns a GetClientCertificate callback that records
// that the server asked for a certificate, and otherwise behaves as conf
// would: its own callback, else the first of conf.Certificates the server
// accepts, else none.
func clientCertificate(conf *tls.Config, requested *bool) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		*requested = true
		if conf.GetClientCertificate != nil {
			return conf.GetClientCertificate(cri)
		}
		for i := range conf.Certificates {
			if cri.SupportsCertificate(&conf.Certificates[i]) == nil {
				return &conf.Certificates[i], nil
			}
		}
		return new(tls.Certificate), nil
	}
}

// read reads from c until it ends, so that a close or reset by the
// destination (which sends nothing) is seen at once, then marks c dead.
func (s *Sink) read(c *conn) {
	defer s.readers.Done()
	buf := make([]byte, 512)
	for {
		_, err := c.nc.Read(buf)
		if err == nil {
			continue // a syslog receiver has nothing to say; ignore it
		}
		switch {
		case errors.Is(err, io.EOF):
			err = errPeerClosed
		case errors.Is(err, syscall.ECONNRESET):
			s.resets.Add(1)
			err = fmt.Errorf("connection reset by the destination, data written shortly before may be lost: %w", err)
		}
		c.err = err
		close(c.dead)
		c.abort()
		return
	}
}

func (s *Sink) tryAcquire() (*slot, bool) {
	select {
	case sl := <-s.free:
		return sl, true
	default:
		return nil, false
	}
}

func (s *Sink) release(slots []*slot) {
	for _, sl := range slots {
		s.free <- sl
	}
}

func (s *Sink) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Close closes every connection and waits for their reader goroutines.
// Idle connections are closed gracefully (TLS close_notify, given at most a
// second, then FIN after the data already written); connections a
// concurrent Write is using are aborted, failing that Write. Close is
// idempotent.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	var idle [MaxConnections]bool
	for {
		sl, ok := s.tryAcquire()
		if !ok {
			break
		}
		idle[sl.id] = true
	}
	var graceful []*conn
	for _, sl := range s.slots {
		switch {
		case sl.c == nil:
		case idle[sl.id]:
			graceful = append(graceful, sl.c)
		default:
			sl.c.abort()
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range graceful {
		wg.Go(func() {
			// A TLS close_notify can block on a destination that stopped
			// reading; give it a second.
			t := time.AfterFunc(time.Second, c.abort)
			defer t.Stop()
			_ = c.nc.Close()
		})
	}
	wg.Wait()
	s.readers.Wait()
	return nil
}
