// Package tlsclient builds the TLS client configuration the sinks share
// from their file settings: a CA bundle, an optional client certificate
// (mutual TLS), a server name, TLS 1.2 or later.
package tlsclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Files are a sink's TLS settings.
type Files struct {
	// CAFile is a PEM bundle trusted instead of the system's roots.
	CAFile string
	// CertFile and KeyFile are a client certificate and key (PEM).
	CertFile, KeyFile string
	// ServerName overrides the name the server's certificate is checked
	// against.
	ServerName string
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool
}

// Config returns the tls.Config for f; serverName is used when f names
// none.
func (f Files) Config(serverName string) (*tls.Config, error) {
	t := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         serverName,
		InsecureSkipVerify: f.InsecureSkipVerify,
	}
	if f.ServerName != "" {
		t.ServerName = f.ServerName
	}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cannot load CA file %s: no PEM certificate found", f.CAFile)
		}
		t.RootCAs = pool
	}
	if f.CertFile != "" || f.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load client certificate %s: %w", f.CertFile, err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}
