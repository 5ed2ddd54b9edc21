package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
)

// conn is one TCP or TLS connection. Its goroutine owns everything but mu
// and closed, which Close uses to interrupt a blocked read.
type conn struct {
	s      *Source
	nc     net.Conn
	la     listenAddr
	source string // event Source
	peer   string
	client string // verified TLS client identity
	bytes  prometheus.Counter

	mu     sync.Mutex
	closed bool

	// The batch: message bytes, where each message ends, when it must be
	// ingested at the latest.
	buf     []byte
	ends    []int
	flushAt time.Time
	events  []event.Event
	err     error // from the last ingest: stops reading
}

func (s *Source) newConn(nc net.Conn, la listenAddr) *conn {
	return &conn{
		s:      s,
		nc:     nc,
		la:     la,
		source: la.source,
		peer:   remoteIP(nc.RemoteAddr()),
		bytes:  s.m.bytes.WithLabelValues(la.transport),
	}
}

// interrupt makes a blocked or later read fail with errClosing.
func (c *conn) interrupt() {
	c.mu.Lock()
	c.closed = true
	_ = c.nc.SetReadDeadline(time.Now())
	c.mu.Unlock()
}

// serve reads, frames, parses and ingests until the connection ends.
func (c *conn) serve() {
	s := c.s
	defer c.nc.Close()
	transport := c.la.transport
	if c.la.transport == transportTLS {
		tc := tls.Server(c.nc, s.cfg.TLS)
		c.nc = tc
		if !c.handshake(tc) {
			return
		}
	}
	s.m.connectionsTotal.WithLabelValues(transport).Inc()
	gauge := s.m.connections.WithLabelValues(transport)
	gauge.Inc()
	defer gauge.Dec()
	s.log.Debug("syslog connection opened", slog.String("listen", c.la.raw), slog.String("peer", c.peer), slog.String("client", c.client))

	frameErrors := s.m.frameErrors.WithLabelValues(transport)
	fr := syslog.NewFramer(connReader{c}, syslog.FramerConfig{
		Mode:         syslog.FramingAuto,
		MaxFrameSize: s.cfg.MaxMessageBytes,
		OnBadFrame:   syslog.Resync,
	})
	var err error
	for {
		var frame []byte
		frame, err = fr.Next()
		if err != nil {
			var fe *syslog.FrameError
			if errors.As(err, &fe) {
				frameErrors.Inc()
				s.log.Debug("bad syslog frame skipped", slog.String("listen", c.la.raw), slog.String("peer", c.peer), slog.Any("error", err))
				continue
			}
			break
		}
		if len(c.ends) == 0 {
			c.flushAt = time.Now().Add(s.cfg.BatchDelay)
		}
		c.buf = append(c.buf, frame...)
		c.ends = append(c.ends, len(c.buf))
		if len(c.ends) >= s.cfg.BatchSize || len(c.buf) >= batchMaxBytes {
			if c.flush() != nil {
				break
			}
		}
	}
	if c.err == nil {
		_ = c.flush()
	}
	level, msg := slog.LevelDebug, "syslog connection closed"
	switch {
	case errors.Is(err, errIdle):
		s.m.closedIdle.Inc()
		msg = "syslog connection closed: idle"
	case errors.Is(err, io.EOF), errors.Is(err, errClosing), c.err != nil:
	default:
		level, msg = slog.LevelInfo, "syslog connection failed"
	}
	s.log.Log(context.Background(), level, msg, slog.String("listen", c.la.raw), slog.String("peer", c.peer), slog.String("client", c.client), slog.String("framing", fr.Mode().String()), slog.Any("error", err))
}

// handshake completes the TLS handshake and checks the client; false means
// the connection was rejected (counted and logged).
func (c *conn) handshake(tc *tls.Conn) bool {
	s := c.s
	ctx, cancel := context.WithTimeout(s.ctx, min(handshakeTimeout, s.cfg.IdleTimeout))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Now()) })
	err := tc.HandshakeContext(ctx)
	stop()
	if err != nil {
		s.m.rejected.WithLabelValues(rejectTLSHandshake).Inc()
		s.log.Warn("syslog TLS handshake failed", slog.String("listen", c.la.raw), slog.String("peer", c.peer), slog.Any("error", err))
		return false
	}
	_ = tc.SetDeadline(time.Time{})
	id, ok := s.checkClient(tc.ConnectionState())
	if !ok {
		s.m.rejected.WithLabelValues(rejectNotAllowed).Inc()
		s.log.Warn("syslog TLS client not allowed", slog.String("listen", c.la.raw), slog.String("peer", c.peer), slog.String("client", id))
		return false
	}
	c.client = id
	return true
}

// flush parses and ingests the batch. The messages become one new string,
// which the events share; nothing is read meanwhile.
func (c *conn) flush() error {
	if len(c.ends) == 0 {
		return c.err
	}
	s := c.s
	data := string(c.buf)
	now := time.Now()
	n := len(c.ends)
	if cap(c.events) < n {
		c.events = append(c.events[:cap(c.events)], make([]event.Event, n-cap(c.events))...)
	}
	events := c.events[:n]
	start := 0
	for i, end := range c.ends {
		s.build(data[start:end], &events[i], now, c.source, c.peer, c.client)
		start = end
	}
	s.m.messages.WithLabelValues(c.la.transport).Add(float64(n))
	c.buf, c.ends = c.buf[:0], c.ends[:0]
	if cap(c.buf) > batchMaxBytes+s.cfg.MaxMessageBytes {
		c.buf = nil
	}
	c.err = s.ingestReliably(events, c.la, c.peer)
	return c.err
}

// connReader is what the Framer reads from: it keeps the read deadline (the
// batch's flush time, or the idle timeout), ingests the batch when its time
// has come while the connection is quiet, and counts bytes.
type connReader struct{ c *conn }

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	for {
		if c.err != nil {
			return 0, c.err
		}
		pending := len(c.ends) > 0
		deadline := c.flushAt
		if !pending {
			deadline = time.Now().Add(c.s.cfg.IdleTimeout)
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, errClosing
		}
		_ = c.nc.SetReadDeadline(deadline)
		c.mu.Unlock()
		n, err := c.nc.Read(p)
		if n > 0 {
			c.bytes.Add(float64(n))
		}
		if err == nil || n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		switch {
		case closed:
			return 0, errClosing
		case !pending:
			return 0, errIdle
		}
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
}
