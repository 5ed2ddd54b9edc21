package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTPOptions configures the HTTP listener.
type HTTPOptions struct {
	Listen      string
	TLSCertFile string
	TLSKeyFile  string
	// TLSClientCAFile, when set, requires clients to present a certificate
	// signed by one of its CAs (mutual TLS).
	TLSClientCAFile   string
	ReadHeaderTimeout time.Duration // default 10s
	ReadTimeout       time.Duration // whole request, body included; default 30s (slow bodies get cut off)
	WriteTimeout      time.Duration // default 30s
	IdleTimeout       time.Duration // default 120s
	// DrainDelay is how long, after a shutdown signal, new requests are
	// still read and answered 503 with Connection: close — so that clients
	// with keep-alive connections learn to go elsewhere instead of seeing
	// their connection reset. Default 1s.
	DrainDelay time.Duration
	// ShutdownGrace bounds the whole shutdown: in-flight requests that take
	// longer are cut off. Default 25s.
	ShutdownGrace time.Duration
}

// NoLimit, as a timeout of HTTPOptions, means no limit at all (a zero
// value means the default).
const NoLimit time.Duration = -1

func (o *HTTPOptions) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		switch {
		case *d == 0:
			*d = v
		case *d < 0:
			*d = 0 // net/http: 0 is no limit
		}
	}
	def(&o.ReadHeaderTimeout, 10*time.Second)
	def(&o.ReadTimeout, 30*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 120*time.Second)
	def(&o.DrainDelay, time.Second)
	def(&o.ShutdownGrace, 25*time.Second)
}

// HTTP is sluice's one HTTP listener: sources, health, metrics.
type HTTP struct {
	opts     HTTPOptions
	logger   *slog.Logger
	mux      *http.ServeMux
	srv      *http.Server
	draining atomic.Bool
	// closing is closed when shutdown begins: long-lived answers (live
	// tail) end then, so that in-flight requests can finish.
	closing  chan struct{}
	inflight sync.WaitGroup
	// lastConn is when the newest connection or request arrived (Unix
	// nanoseconds).
	lastConn atomic.Int64

	mu     sync.Mutex
	checks []func() error

	requests *prometheus.CounterVec
}

// quietPeriod is how long no new connection must arrive before the
// listener closes on shutdown.
const quietPeriod = 250 * time.Millisecond

// maxDrainBody bounds what is read of a request refused during shutdown.
const maxDrainBody = 16 << 20

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id of the request ctx belongs to: the client's
// X-Request-Id, or one sluice made.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// NewHTTP returns the listener's handler set; metrics go to reg, which is
// also served at /metrics.
func NewHTTP(opts HTTPOptions, reg *prometheus.Registry, logger *slog.Logger) *HTTP {
	opts.setDefaults()
	h := &HTTP{opts: opts, logger: logger, mux: http.NewServeMux(), closing: make(chan struct{}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_http_requests_total", Help: "HTTP requests answered, by status code."}, []string{"code"}),
	}
	reg.MustRegister(h.requests)
	h.mux.HandleFunc("GET /healthz", h.health)
	h.mux.HandleFunc("GET /health", h.health) // log-iss's path
	h.mux.HandleFunc("GET /readyz", h.ready)
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	h.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		MaxHeaderBytes:    64 << 10,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				h.lastConn.Store(time.Now().UnixNano())
			}
		},
	}
	return h
}

// Closing is closed when shutdown begins.
func (h *HTTP) Closing() <-chan struct{} { return h.closing }

// Handle registers a handler (a source) on the mux.
func (h *HTTP) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// AddReadinessCheck adds a check /readyz runs; an error makes it answer 503.
func (h *HTTP) AddReadinessCheck(check func() error) {
	h.mu.Lock()
	h.checks = append(h.checks, check)
	h.mu.Unlock()
}

func (h *HTTP) health(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

func (h *HTTP) ready(w http.ResponseWriter, _ *http.Request) {
	if h.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	h.mu.Lock()
	checks := h.checks
	h.mu.Unlock()
	for _, c := range checks {
		if err := c(); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
			return
		}
	}
	writeText(w, http.StatusOK, "ready\n")
}

// writeText answers with a plain-text body and an explicit Content-Length
// (Logplex cannot read chunked responses).
func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

type statusWriter struct {
	http.ResponseWriter
	code     int
	draining *atomic.Bool
}

// WriteHeader records the status; while shutting down it also closes the
// connection after this answer (the client learns to reconnect elsewhere,
// and no idle connection is left to be cut later).
func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
		if s.draining.Load() {
			s.Header().Set("Connection", "close")
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushing and
// deadlines of streamed answers such as live tail).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// ServeHTTP gives every request an id, refuses new requests while shutting
// down, and counts responses.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 200 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
	h.lastConn.Store(time.Now().UnixNano())
	sw := &statusWriter{ResponseWriter: w, draining: &h.draining}
	if h.draining.Load() {
		// Read the body first: closing a connection with unread data makes
		// the kernel send a reset, which can destroy this answer before the
		// client reads it.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrainBody))
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "1")
		const msg = "sluice is shutting down; retry against another instance or in a moment"
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/json")
			sw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = sw.Write([]byte(`{"error":"` + msg + `"}` + "\n"))
		} else {
			writeText(sw, http.StatusServiceUnavailable, msg+"\n")
		}
		h.requests.WithLabelValues("503").Inc()
		return
	}
	h.inflight.Add(1)
	defer h.inflight.Done()
	h.mux.ServeHTTP(sw, r)
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	h.requests.WithLabelValues(strconv.Itoa(sw.code)).Inc()
}

// Listen opens the listener (so that the caller knows the address before
// serving, e.g. with port 0).
func (h *HTTP) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", h.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", h.opts.Listen, err)
	}
	if h.opts.TLSCertFile != "" {
		tc, err := serverTLS(h.opts.TLSCertFile, h.opts.TLSKeyFile, h.opts.TLSClientCAFile)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}

// serverTLS loads a server certificate and, when clientCAFile is set,
// requires client certificates signed by its CAs (mutual TLS).
func serverTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the TLS certificate %s: %w", certFile, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the client CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cannot use the client CA file %s: no PEM certificates in it", clientCAFile)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// Serve serves on ln until ctx is done, then shuts down gracefully: for
// DrainDelay new requests are answered 503 with Connection: close, then the
// listener closes and in-flight requests finish (bounded by ShutdownGrace).
func (h *HTTP) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("cannot serve HTTP: %w", err)
	case <-ctx.Done():
	}
	h.logger.Info("shutting down: answering new requests with 503", "drain_delay", h.opts.DrainDelay.String())
	// Keep-alives stay on: turning them off would close idle connections at
	// once, racing clients that are sending on them. Every answer from now
	// on closes its connection instead.
	h.draining.Store(true)
	close(h.closing)
	grace, cancel := context.WithCancel(context.Background())
	if h.opts.ShutdownGrace > 0 {
		grace, cancel = context.WithTimeout(context.Background(), h.opts.ShutdownGrace)
	}
	defer cancel()
	select {
	case <-time.After(h.opts.DrainDelay):
	case <-grace.Done():
	}
	// Close the listener only once clients stopped connecting and sending
	// for a moment: connections still queued in the kernel when it closes,
	// and requests racing the close of an idle connection, are reset.
	for grace.Err() == nil && time.Since(time.Unix(0, h.lastConn.Load())) < quietPeriod {
		time.Sleep(quietPeriod / 4)
	}
	if err := h.srv.Shutdown(grace); err != nil && !errors.Is(err, http.ErrServerClosed) {
		h.srv.Close()
		return fmt.Errorf("cannot finish in-flight requests within %s: %w", h.opts.ShutdownGrace, err)
	}
	// Handlers of hijacked or already-closed connections may still run.
	h.inflight.Wait()
	return nil
}
