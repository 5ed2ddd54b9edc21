package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/config"
)

type certs struct{ dir string }

// newCerts writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA, as PEM files.
func newCerts(t *testing.T) certs {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name string, der []byte, key *ecdsa.PrivateKey) {
		os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		if key != nil {
			kb, _ := x509.MarshalECPrivateKey(key)
			os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
		}
	}
	write("ca", caDER, nil)
	for i, name := range []string{"server", "client"} {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		write(name, der, key)
	}
	return certs{dir}
}

func (c certs) path(name string) string { return filepath.Join(c.dir, name+".pem") }

// serve runs a Server from YAML until the returned stop is called.
func serve(t *testing.T, yaml string) (addr string, stop func()) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv.Addr(), func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
}

func post(t *testing.T, client *http.Client, url, msg string) int {
	t.Helper()
	m := "<190>1 2024-05-01T12:00:00+00:00 host app web.1 - " + msg + "\n"
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf("%d %s", len(m), m)))
	req.Header.Set("Content-Type", "application/logplex-1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitFile(t *testing.T, path string, lines int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Count(string(b), "\n") >= lines || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMutualTLSAndStartNewest: the HTTP listener requires client
// certificates signed by client_ca_file, and a subscription added later
// with start: newest sees only what arrives after it.
func TestMutualTLSAndStartNewest(t *testing.T) {
	c := newCerts(t)
	dir := t.TempDir()
	base := fmt.Sprintf(`data_dir: %s
http:
  listen: 127.0.0.1:0
  tls: {cert_file: %s, key_file: %s, client_ca_file: %s}
sources:
  heroku: {type: logplex}
sinks:
  all: {type: file, path: "%s/all.ndjson"}
  late: {type: file, path: "%s/late.ndjson"}
subscriptions:
  - {sink: all, batch: {max_age: 10ms}}
`, dir, c.path("server"), c.path("server-key"), c.path("ca"), dir, dir)

	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(c.path("ca"))
	pool.AppendCertsFromPEM(caPEM)
	clientCert, err := tls.LoadX509KeyPair(c.path("client"), c.path("client-key"))
	if err != nil {
		t.Fatal(err)
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}}}}
	withoutCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	addr, stop := serve(t, base)
	url := "https://" + addr + "/logs"
	if _, err := withoutCert.Post(url, "application/logplex-1", strings.NewReader("")); err == nil {
		t.Fatal("a client without a certificate was let in")
	}
	if code := post(t, withCert, url, "first"); code != 200 {
		t.Fatalf("status %d", code)
	}
	waitFile(t, filepath.Join(dir, "all.ndjson"), 1)
	stop()

	addr, stop = serve(t, base+"  - {sink: late, start: newest, batch: {max_age: 10ms}}\n")
	url = "https://" + addr + "/logs"
	if code := post(t, withCert, url, "second"); code != 200 {
		t.Fatalf("status %d", code)
	}
	all := waitFile(t, filepath.Join(dir, "all.ndjson"), 2)
	late := waitFile(t, filepath.Join(dir, "late.ndjson"), 1)
	stop()
	if !strings.Contains(all, "first") || !strings.Contains(all, "second") {
		t.Fatalf("all.ndjson: %s", all)
	}
	if strings.Contains(late, "first") || !strings.Contains(late, "second") {
		t.Fatalf("late.ndjson (start: newest) holds %s; want only the second event", late)
	}
}
