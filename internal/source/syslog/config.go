package syslog

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/parse"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultMaxMessageBytes bounds one syslog message: 64 KiB.
	DefaultMaxMessageBytes = 64 << 10
	// DefaultMaxConnections bounds the open TCP and TLS connections of a
	// source; connections beyond it are accepted and closed at once.
	DefaultMaxConnections = 1024
	// DefaultIdleTimeout is how long a TCP or TLS connection may send
	// nothing before it is closed.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultBatchSize is the most events per Ingest call.
	DefaultBatchSize = 500
	// DefaultBatchDelay is the longest a message waits for its batch to fill.
	DefaultBatchDelay = 5 * time.Millisecond
)

// Transports accepted in Listen addresses.
const (
	transportTCP = "tcp"
	transportTLS = "tls"
	transportUDP = "udp"
)

// Config configures the syslog source.
type Config struct {
	// Listen lists the addresses to listen on, as transport://host:port
	// with transport tcp, udp or tls: "tcp://127.0.0.1:5514",
	// "udp://127.0.0.1:5514", "tls://0.0.0.0:6514". Port 0 picks a free
	// port (see Source.Addrs).
	Listen []string
	// TLS is the server configuration for tls:// listeners: certificates
	// and, for mutual TLS, ClientCAs with ClientAuth
	// tls.RequireAndVerifyClientCert.
	TLS *tls.Config
	// AllowedClients is the mutual TLS allow-list: a verified client
	// certificate's common name or one of its DNS names must be listed.
	// Empty allows any verified client.
	AllowedClients []string
	// MaxMessageBytes bounds one message; DefaultMaxMessageBytes when 0.
	MaxMessageBytes int
	// MaxConnections bounds the open TCP and TLS connections;
	// DefaultMaxConnections when 0.
	MaxConnections int
	// IdleTimeout closes a TCP or TLS connection that sends nothing for
	// that long; DefaultIdleTimeout when 0.
	IdleTimeout time.Duration
	// UDPReadBuffer sets SO_RCVBUF on UDP sockets; 0 keeps the OS default.
	UDPReadBuffer int
	// Enricher understands each parsed event.
	Enricher parse.Enricher
	// GroupFrom and StreamFrom say where an event's Group and Stream come
	// from: "host", "app", "proc" or "fixed:NAME". The defaults are "host"
	// and "app".
	GroupFrom, StreamFrom string
	// BatchSize is the most events per Ingest call; DefaultBatchSize when 0.
	BatchSize int
	// BatchDelay is the longest a received message waits for its batch to
	// fill before it is ingested; DefaultBatchDelay when 0.
	BatchDelay time.Duration
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchDelay == 0 {
		cfg.BatchDelay = DefaultBatchDelay
	}
	if cfg.GroupFrom == "" {
		cfg.GroupFrom = "host"
	}
	if cfg.StreamFrom == "" {
		cfg.StreamFrom = "app"
	}
	return cfg
}

// Validate reports every problem with cfg at once.
func (cfg Config) Validate() error {
	var errs []error
	if len(cfg.Listen) == 0 {
		errs = append(errs, errors.New("listen: at least one address is required"))
	}
	hasTLS := false
	for _, l := range cfg.Listen {
		la, err := parseListen(l)
		if err != nil {
			errs = append(errs, fmt.Errorf("listen: %w", err))
			continue
		}
		hasTLS = hasTLS || la.transport == transportTLS
	}
	if hasTLS && (cfg.TLS == nil || (len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil && cfg.TLS.GetConfigForClient == nil)) {
		errs = append(errs, errors.New("tls: a tls:// listener needs a TLS configuration with a certificate"))
	}
	if len(cfg.AllowedClients) > 0 && (cfg.TLS == nil || cfg.TLS.ClientAuth < tls.VerifyClientCertIfGiven) {
		errs = append(errs, errors.New("allowed_clients: needs TLS client certificate verification (ClientAuth RequireAndVerifyClientCert and ClientCAs)"))
	}
	for _, v := range []struct {
		name string
		n    int64
	}{
		{"max_message_bytes", int64(cfg.MaxMessageBytes)},
		{"max_connections", int64(cfg.MaxConnections)},
		{"idle_timeout", int64(cfg.IdleTimeout)},
		{"udp_read_buffer", int64(cfg.UDPReadBuffer)},
		{"batch_size", int64(cfg.BatchSize)},
		{"batch_delay", int64(cfg.BatchDelay)},
	} {
		if v.n < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", v.name))
		}
	}
	for _, f := range []struct{ name, v string }{{"group_from", cfg.GroupFrom}, {"stream_from", cfg.StreamFrom}} {
		if _, err := parsePick(f.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

// listenAddr is one parsed Listen entry.
type listenAddr struct {
	raw       string // as configured
	source    string // event Source: "syslog:" and raw, with the bound port for port 0
	transport string // tcp, tls or udp
	hostport  string
}

func parseListen(s string) (listenAddr, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return listenAddr{}, fmt.Errorf("cannot parse listen address %q: want transport://host:port, e.g. tcp://127.0.0.1:5514", s)
	}
	switch u.Scheme {
	case transportTCP, transportTLS, transportUDP:
	default:
		return listenAddr{}, fmt.Errorf("cannot parse listen address %q: transport %q is not tcp, udp or tls", s, u.Scheme)
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return listenAddr{}, fmt.Errorf("cannot parse listen address %q: %w", s, err)
	}
	return listenAddr{raw: s, source: "syslog:" + s, transport: u.Scheme, hostport: u.Host}, nil
}

// pick says which event field becomes a Group or Stream.
type pick struct {
	from  string // host, app, proc or fixed
	fixed string
}

func parsePick(s string) (pick, error) {
	switch s {
	case "", "host", "app", "proc":
		return pick{from: s}, nil
	}
	if name, ok := strings.CutPrefix(s, "fixed:"); ok && name != "" {
		return pick{from: "fixed", fixed: name}, nil
	}
	return pick{}, fmt.Errorf("cannot use %q: want host, app, proc or fixed:NAME", s)
}
