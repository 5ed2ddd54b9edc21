package syslog

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/sink/tlsclient"
)

// Format selects how an event becomes a syslog message.
type Format string

// The formats. The zero value means FormatRFC5424.
const (
	// FormatRFC5424 builds an RFC 5424 message from the event's fields.
	FormatRFC5424 Format = "rfc5424"
	// FormatRaw sends the frame exactly as it was received (Event.Raw), or
	// an RFC 5424 message when the event has no Raw.
	FormatRaw Format = "raw"
	// FormatLogISS rewrites Event.Raw as heroku/log-iss does before
	// forwarding: see the package documentation.
	FormatLogISS Format = "logiss"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultConnections    = 4
	DefaultConnectTimeout = 5 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultReconnectMin   = 250 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	// MaxConnections bounds Connections.
	MaxConnections = 64
)

// Config configures a syslog sink. Zero values take the defaults above.
type Config struct {
	// Address is "tcp://host:port" or "tls://host:port".
	Address string
	// Connections is the number of persistent connections (default 4).
	// With more than one, the destination may see events out of order;
	// use 1 where strict order matters.
	Connections int
	// Format is rfc5424 (default), raw or logiss.
	Format Format
	// ConnectTimeout bounds a dial including the TLS handshake (default 5s).
	ConnectTimeout time.Duration
	// WriteTimeout bounds the writing of one batch on one connection
	// (default 10s). A connection that cannot take a batch in this time is
	// closed.
	WriteTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff (with
	// jitter) between two connection attempts of one connection (defaults
	// 250ms and 30s).
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// MetadataID, for the logiss format, is log-iss's METADATA_ID: the
	// fields "<MetadataID>.<param>" (which the logplex source records from
	// the drain URL's query parameters) are written as log-iss's
	// [<MetadataID> param="…" …] element after the origin element. Empty:
	// no such element.
	MetadataID string

	// TLS, when set, is used as is (cloned) for tls:// addresses; the
	// fields below must then be empty. ServerName defaults to the host of
	// Address.
	TLS *tls.Config
	// CAFile is a PEM bundle of the CAs to trust; the system pool when empty.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key for mutual
	// TLS; both or neither.
	CertFile string
	KeyFile  string
	// ServerName overrides the name the server certificate is checked
	// against (default: the host of Address).
	ServerName string
	// InsecureSkipVerify disables server certificate checks. Testing only.
	InsecureSkipVerify bool
}

// Validate reports every problem with c at once (joined), without reading
// any file.
func (c Config) Validate() error {
	var errs []error
	scheme, _, _, err := splitAddress(c.Address)
	if err != nil {
		errs = append(errs, err)
	}
	if c.Connections < 0 || c.Connections > MaxConnections {
		errs = append(errs, fmt.Errorf("cannot use connections %d: must be between 1 and %d", c.Connections, MaxConnections))
	}
	switch c.Format {
	case "", FormatRFC5424, FormatRaw, FormatLogISS:
	default:
		errs = append(errs, fmt.Errorf("cannot use format %q: want rfc5424, raw or logiss", c.Format))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"connect_timeout", c.ConnectTimeout}, {"write_timeout", c.WriteTimeout},
		{"reconnect_min", c.ReconnectMin}, {"reconnect_max", c.ReconnectMax},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("cannot use %s %v: must not be negative", d.name, d.v))
		}
	}
	if c.ReconnectMin > 0 && c.ReconnectMax > 0 && c.ReconnectMin > c.ReconnectMax {
		errs = append(errs, fmt.Errorf("cannot use reconnect_min %v: above reconnect_max %v", c.ReconnectMin, c.ReconnectMax))
	}
	if c.MetadataID != "" && !isSDName(c.MetadataID) {
		errs = append(errs, fmt.Errorf("cannot use metadata_id %q: must be 1 to 32 printable ASCII characters except '=', ']', '\"' and space", c.MetadataID))
	}
	fileTLS := c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "" || c.InsecureSkipVerify
	if err == nil && scheme == "tcp" && (c.TLS != nil || fileTLS) {
		errs = append(errs, fmt.Errorf("cannot use TLS settings with address %q: use a tls:// address", c.Address))
	}
	if c.TLS != nil && fileTLS {
		errs = append(errs, errors.New("cannot use TLS settings: set either TLS or the ca_file/cert_file/key_file/server_name/insecure_skip_verify fields, not both"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cannot use client certificate: cert_file and key_file must be set together"))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Connections == 0 {
		c.Connections = DefaultConnections
	}
	if c.Format == "" {
		c.Format = FormatRFC5424
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = DefaultReconnectMin
		if c.ReconnectMax != 0 && c.ReconnectMax < c.ReconnectMin {
			c.ReconnectMin = c.ReconnectMax
		}
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(DefaultReconnectMax, c.ReconnectMin)
	}
	return c
}

// TLSConfig builds the tls.Config for a tls:// address from TLS or from the
// file fields: CA bundle, optional client certificate (mutual TLS), server
// name (default: the host of Address), TLS 1.2 or later. It returns nil for
// a tcp:// address.
func (c Config) TLSConfig() (*tls.Config, error) {
	scheme, host, _, err := splitAddress(c.Address)
	if err != nil {
		return nil, err
	}
	if scheme != "tls" {
		return nil, nil
	}
	if c.TLS != nil {
		t := c.TLS.Clone()
		if t.ServerName == "" {
			t.ServerName = host
		}
		return t, nil
	}
	return tlsclient.Files{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile,
		ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify}.Config(host)
}

// splitAddress splits "tcp://host:port" or "tls://host:port".
func splitAddress(addr string) (scheme, host, port string, err error) {
	scheme, hostport, ok := strings.Cut(addr, "://")
	if !ok || (scheme != "tcp" && scheme != "tls") {
		return "", "", "", fmt.Errorf("cannot use address %q: want tcp://host:port or tls://host:port", addr)
	}
	host, port, err = net.SplitHostPort(hostport)
	if err != nil {
		return "", "", "", fmt.Errorf("cannot use address %q: %w", addr, err)
	}
	if host == "" {
		return "", "", "", fmt.Errorf("cannot use address %q: missing host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", "", fmt.Errorf("cannot use address %q: port must be a number from 1 to 65535", addr)
	}
	return scheme, host, port, nil
}
