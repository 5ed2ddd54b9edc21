package httpsink

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicelog/sluice/internal/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// loadEvents reads testdata/events.ndjson: real-world events (Heroku
// router and app lines, a stack trace, a Lambda REPORT, a syslog warning,
// an ingested JSON line) in their JSON form.
func loadEvents(t testing.TB) []event.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []event.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
			t.Fatalf("testdata/events.ndjson line %d: %v", len(events)+1, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// recorded is what arrived at an endpoint in one request.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	// Body is the body as it arrived; Decoded the same, gunzipped when
	// Content-Encoding says gzip.
	Body    []byte
	Decoded string
	// BasicUser and BasicPass are the basic auth credentials, if any.
	BasicUser, BasicPass string
	// ClientCert is the subject of the client certificate (mutual TLS).
	ClientCert string
}

// reply is what an endpoint answers to a request; hang keeps the request
// open until the client gives up.
type reply struct {
	status int
	header map[string]string
	body   string
	hang   bool
}

// endpoint is a real HTTP server recording exactly what arrives.
type endpoint struct {
	t     testing.TB
	srv   *httptest.Server
	reply func(n int, r *recorded) reply // n counts requests from 0

	mu   sync.Mutex
	reqs []recorded
}

type endpointOpts struct {
	tls      bool
	tlsConf  *tls.Config // for mutual TLS
	discard  bool        // do not record (benchmarks)
	replyFor func(n int, r *recorded) reply
}

func newEndpoint(t testing.TB, o endpointOpts) *endpoint {
	t.Helper()
	ep := &endpoint{t: t, reply: o.replyFor}
	if ep.reply == nil {
		ep.reply = func(int, *recorded) reply { return reply{status: http.StatusOK} }
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.discard {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
			return
		}
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("endpoint: cannot read body: %v", err)
		}
		rec.Body = body
		rec.Decoded = string(body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("endpoint: body is not gzip: %v", err)
			} else {
				d, err := io.ReadAll(zr)
				if err != nil {
					t.Errorf("endpoint: cannot gunzip body: %v", err)
				}
				rec.Decoded = string(d)
			}
		}
		rec.BasicUser, rec.BasicPass, _ = r.BasicAuth()
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			rec.ClientCert = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		ep.mu.Lock()
		n := len(ep.reqs)
		ep.reqs = append(ep.reqs, rec)
		ep.mu.Unlock()
		rp := ep.reply(n, &rec)
		if rp.hang {
			<-r.Context().Done()
			return
		}
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		if rp.status == 0 {
			rp.status = http.StatusOK
		}
		w.WriteHeader(rp.status)
		_, _ = io.WriteString(w, rp.body)
	})
	ep.srv = httptest.NewUnstartedServer(h)
	// Handshake failures are what some tests are about: keep them out of
	// the test output.
	ep.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	switch {
	case o.tlsConf != nil:
		ep.srv.TLS = o.tlsConf
		ep.srv.StartTLS()
	case o.tls:
		ep.srv.StartTLS()
	default:
		ep.srv.Start()
	}
	t.Cleanup(ep.srv.Close)
	return ep
}

// url is the server's URL with a Sumo-like secret path.
func (ep *endpoint) url() string {
	return ep.srv.URL + "/receiver/v1/http/" + secretCode
}

// secretCode stands for the token in a Sumo Logic source URL; it must
// never appear in an error.
const secretCode = "ZaVnC4dhaV2Ztz1t6V0Wm0zOS5GIi0yUxZ1Ss0kSVRmWDVhNjAxY2M5Z=="

func (ep *endpoint) requests() []recorded {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]recorded(nil), ep.reqs...)
}

// newSink makes a sink closed at the end of the test.
func newSink(t testing.TB, cfg Config) *Sink {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// writeFile writes data to a file in a test's temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// certPEM encodes a certificate.
func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// clientPKI is a CA and a client certificate it signed, as files.
type clientPKI struct {
	pool               *x509.CertPool
	certFile, keyFile  string
	otherCert, otherKy string // a client certificate of another CA
}

func newClientPKI(t testing.TB) clientPKI {
	t.Helper()
	caCert, caKey := newCA(t, "sluice test client CA")
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	cert, key := newLeaf(t, "sluice-client", caCert, caKey)
	otherCA, otherKey := newCA(t, "someone else's CA")
	oc, ok := newLeaf(t, "intruder", otherCA, otherKey)
	return clientPKI{
		pool:      pool,
		certFile:  writeFile(t, "client.pem", cert),
		keyFile:   writeFile(t, "client-key.pem", key),
		otherCert: writeFile(t, "other.pem", oc),
		otherKy:   writeFile(t, "other-key.pem", ok),
	}
}

func newCA(t testing.TB, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// newLeaf returns a PEM client certificate and key signed by ca.
func newLeaf(t testing.TB, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certPEMBytes, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM(der), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// closedURL is the URL of a port nothing listens on.
func closedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/receiver/v1/http/" + secretCode
}

// ndjson is the NDJSON form of events.
func ndjson(events []event.Event) string {
	var b []byte
	for i := range events {
		b = events[i].AppendJSON(b)
		b = append(b, '\n')
	}
	return string(b)
}
