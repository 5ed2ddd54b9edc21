package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/syslog"
	"github.com/sluicelog/sluice/internal/pipeline"
)

// Field names the source adds to every event.
const (
	// FieldPeer is the sender's IP address.
	FieldPeer = "syslog.peer"
	// FieldClient is the verified TLS client certificate's common name.
	FieldClient = "syslog.client"
)

const (
	// batchMaxBytes bounds the message bytes one connection's batch holds
	// before it is ingested, whatever BatchSize says.
	batchMaxBytes = 1 << 20
	// maxFullWait bounds one wait for a full write-ahead log.
	maxFullWait = 5 * time.Second
	// minFullWait is the wait when RetryAfter is zero or tiny.
	minFullWait = 10 * time.Millisecond
	// handshakeTimeout bounds a TLS handshake (also by IdleTimeout).
	handshakeTimeout = 10 * time.Second
	// udpHandoffWait is how long the UDP reader waits for the ingesting
	// goroutine before it drops a batch.
	udpHandoffWait = time.Second
	// unknown is the Group or Stream of an event without the value they
	// come from.
	unknown = "unknown"
)

// errIdle ends a connection that sent nothing for IdleTimeout.
var errIdle = errors.New("connection idle")

// errClosing ends a connection because the source is closing.
var errClosing = errors.New("syslog source is closing")

// Source is the syslog listener source. Create it with New, then Start it;
// Close stops it.
type Source struct {
	cfg     Config
	addrs   []listenAddr
	group   pick
	stream  pick
	allowed map[string]bool
	ing     pipeline.Ingester
	m       *metrics
	log     *slog.Logger

	ctx    context.Context // from Start: ends ingest retries when canceled
	active atomic.Int64    // open TCP and TLS connections

	mu        sync.Mutex
	started   bool
	closing   bool
	listeners []net.Listener
	udp       []*net.UDPConn
	bound     []net.Addr
	conns     map[*conn]struct{}

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
	wg        sync.WaitGroup
}

// New returns a Source that hands what it receives to ing, registers its
// metrics with reg (may be nil) and logs to logger (may be nil). It checks
// cfg (Config.Validate) but binds nothing: Start does.
func New(cfg Config, ing pipeline.Ingester, reg prometheus.Registerer, logger *slog.Logger) (*Source, error) {
	if ing == nil {
		return nil, errors.New("cannot create syslog source: no ingester")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create syslog source: %w", err)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("cannot create syslog source: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg:   cfg,
		ing:   ing,
		m:     m,
		log:   logger,
		ctx:   context.Background(),
		conns: make(map[*conn]struct{}),
		done:  make(chan struct{}),
	}
	for _, l := range cfg.Listen {
		la, _ := parseListen(l) // checked by Validate
		s.addrs = append(s.addrs, la)
	}
	s.group, _ = parsePick(cfg.GroupFrom)
	s.stream, _ = parsePick(cfg.StreamFrom)
	if len(cfg.AllowedClients) > 0 {
		s.allowed = make(map[string]bool, len(cfg.AllowedClients))
		for _, c := range cfg.AllowedClients {
			s.allowed[c] = true
		}
	}
	return s, nil
}

// Start binds every listen address and serves them in goroutines. An error
// names the address that could not be bound; then nothing stays bound.
// Canceling ctx closes the source as Close does, and also abandons ingest
// calls and retries in flight.
func (s *Source) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("cannot start syslog source: already started")
	}
	if s.closing {
		return errors.New("cannot start syslog source: closed")
	}
	s.started = true
	s.ctx = ctx
	var lc net.ListenConfig
	for _, la := range s.addrs {
		if la.transport == transportUDP {
			pc, err := lc.ListenPacket(ctx, "udp", la.hostport)
			if err == nil {
				err = setupUDP(pc.(*net.UDPConn), s.cfg.UDPReadBuffer)
				if err != nil {
					pc.Close()
				}
			}
			if err != nil {
				s.unbindLocked()
				return fmt.Errorf("cannot listen on %s: %w", la.raw, err)
			}
			uc := pc.(*net.UDPConn)
			s.udp = append(s.udp, uc)
			s.bound = append(s.bound, uc.LocalAddr())
			continue
		}
		ln, err := lc.Listen(ctx, "tcp", la.hostport)
		if err != nil {
			s.unbindLocked()
			return fmt.Errorf("cannot listen on %s: %w", la.raw, err)
		}
		s.listeners = append(s.listeners, ln)
		s.bound = append(s.bound, ln.Addr())
	}
	for i, la := range s.addrs {
		if _, p, _ := net.SplitHostPort(la.hostport); p == "0" {
			h, _, _ := net.SplitHostPort(la.hostport)
			_, bp, _ := net.SplitHostPort(s.bound[i].String())
			s.addrs[i].source = "syslog:" + la.transport + "://" + net.JoinHostPort(h, bp)
		}
	}
	li, ui := 0, 0
	for _, la := range s.addrs {
		s.wg.Add(1)
		if la.transport == transportUDP {
			go s.serveUDP(s.udp[ui], la)
			ui++
			continue
		}
		go s.accept(s.listeners[li], la)
		li++
	}
	s.log.Info("syslog source listening", slog.Any("listen", s.cfg.Listen), slog.Any("addrs", s.bound))
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return nil
}

func (s *Source) unbindLocked() {
	for _, ln := range s.listeners {
		ln.Close()
	}
	for _, uc := range s.udp {
		uc.Close()
	}
	s.listeners, s.udp, s.bound = nil, nil, nil
}

// Addrs returns the bound addresses, in the order of Config.Listen; nil
// before Start.
func (s *Source) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bound)
}

// Close stops accepting connections and datagrams, ingests what was
// already read (waiting for the Ingest calls in flight), and closes every
// connection. It is safe to call more than once.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		var errs []error
		for _, ln := range s.listeners {
			if err := ln.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for _, uc := range s.udp {
			if err := uc.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for c := range s.conns {
			c.interrupt()
		}
		s.mu.Unlock()
		close(s.done)
		s.wg.Wait()
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("cannot close syslog source: %w", err)
		}
	})
	return s.closeErr
}

func (s *Source) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// accept serves one TCP or TLS listener.
func (s *Source) accept(ln net.Listener, la listenAddr) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.isClosing() {
				return
			}
			// Out of file descriptors and the like: back off, as
			// net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("cannot accept syslog connection", slog.String("listen", la.raw), slog.Any("error", err), slog.Duration("retry_in", delay))
			select {
			case <-time.After(delay):
			case <-s.done:
				return
			}
			continue
		}
		delay = 0
		if s.active.Add(1) > int64(s.cfg.MaxConnections) {
			s.active.Add(-1)
			s.m.rejected.WithLabelValues(rejectMaxConnections).Inc()
			s.log.Warn("syslog connection rejected: too many connections", slog.String("listen", la.raw), slog.String("peer", nc.RemoteAddr().String()), slog.Int("max_connections", s.cfg.MaxConnections))
			nc.Close()
			continue
		}
		c := s.newConn(nc, la)
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			s.active.Add(-1)
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer s.active.Add(-1)
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// remoteIP returns the IP address of a peer, or the address as it is for a
// non-IP one.
func remoteIP(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UDPAddr:
		return a.IP.String()
	case nil:
		return ""
	}
	return a.String()
}

// ingestReliably ingests events for a stream connection: on a full log it
// waits and retries the same batch; it returns an error only when the
// pipeline is closed, Start's context ends, or the source is closing while
// the log stays full (the batch is then lost, and logged).
func (s *Source) ingestReliably(events []event.Event, la listenAddr, peer string) error {
	wait := minFullWait
	for {
		err := s.ing.Ingest(s.ctx, events)
		if err == nil {
			return nil
		}
		var full *pipeline.FullError
		switch {
		case errors.As(err, &full):
			wait = min(max(full.RetryAfter, minFullWait), maxFullWait)
			s.m.fullWaits.Inc()
			s.log.Debug("write-ahead log full: syslog connection paused", slog.String("listen", la.raw), slog.String("peer", peer), slog.Duration("retry_in", wait))
		case errors.Is(err, pipeline.ErrClosed), s.ctx.Err() != nil:
			s.log.Warn("syslog connection stopped: cannot ingest", slog.String("listen", la.raw), slog.String("peer", peer), slog.Int("events", len(events)), slog.Any("error", err))
			return err
		default:
			wait = min(max(2*wait, 100*time.Millisecond), maxFullWait)
			s.log.Error("cannot ingest syslog messages; retrying", slog.String("listen", la.raw), slog.String("peer", peer), slog.Int("events", len(events)), slog.Any("error", err), slog.Duration("retry_in", wait))
		}
		if s.isClosing() {
			s.log.Error("syslog source closing: messages read but not stored", slog.String("listen", la.raw), slog.String("peer", peer), slog.Int("events", len(events)), slog.Any("error", err))
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
		case <-s.ctx.Done():
			t.Stop()
		}
	}
}

// build turns one message into e: parsed, or kept raw with a parse_error
// field when it does not parse. line must not alias a reused buffer.
func (s *Source) build(line string, e *event.Event, now time.Time, source, peer, client string) {
	e.Reset()
	if err := syslog.Parse(line, e, now); err != nil {
		e.Reset()
		e.Message = line
		e.Severity = event.Info
		e.AddString(syslog.FieldParseError, err.Error())
		s.m.malformed.Inc()
	}
	e.Received = now
	e.Source = source
	e.Group = s.group.value(e)
	e.Stream = s.stream.value(e)
	s.cfg.Enricher.Enrich(e)
	if peer != "" {
		e.AddString(FieldPeer, peer)
	}
	if client != "" {
		e.AddString(FieldClient, client)
	}
}

// value returns the Group or Stream p picks from e.
func (p pick) value(e *event.Event) string {
	var v string
	switch p.from {
	case "host":
		v = e.Host
	case "app":
		v = e.App
	case "proc":
		v = e.Proc
	case "fixed":
		v = p.fixed
	}
	if v == "" || v == "-" {
		return unknown
	}
	return v
}

// checkClient verifies a TLS connection's client against AllowedClients
// and returns its identity (the certificate's common name, or its first DNS
// name).
func (s *Source) checkClient(st tls.ConnectionState) (identity string, ok bool) {
	if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		return "", s.allowed == nil
	}
	cert := st.PeerCertificates[0]
	identity = cert.Subject.CommonName
	if identity == "" && len(cert.DNSNames) > 0 {
		identity = cert.DNSNames[0]
	}
	if s.allowed == nil {
		return identity, true
	}
	if cert.Subject.CommonName != "" && s.allowed[cert.Subject.CommonName] {
		return identity, true
	}
	for _, n := range cert.DNSNames {
		if s.allowed[n] {
			return identity, true
		}
	}
	return identity, false
}
