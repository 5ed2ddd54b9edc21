package httpsink

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/sink"
)

func TestAuth(t *testing.T) {
	events := loadEvents(t)[:1]
	f := func(cfg Config, wantAuth, wantUser, wantPass string) {
		t.Helper()
		ep := newEndpoint(t, endpointOpts{})
		cfg.URL = ep.url()
		s := newSink(t, cfg)
		if err := s.Write(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		r := ep.requests()[0]
		if got := r.Header.Get("Authorization"); got != wantAuth {
			t.Errorf("Authorization = %q, want %q", got, wantAuth)
		}
		if r.BasicUser != wantUser || r.BasicPass != wantPass {
			t.Errorf("basic auth = %q:%q, want %q:%q", r.BasicUser, r.BasicPass, wantUser, wantPass)
		}
	}
	f(Config{}, "", "", "")
	f(Config{Username: "drain", Password: "s3cr3t:with:colons"}, "Basic ZHJhaW46czNjcjN0OndpdGg6Y29sb25z", "drain", "s3cr3t:with:colons")
	f(Config{Username: "user"}, "Basic dXNlcjo=", "user", "")
	f(Config{BearerToken: "eyJhbGciOi.tok"}, "Bearer eyJhbGciOi.tok", "", "")
	// Sumo Logic's token-in-a-header form of a source URL.
	f(Config{Headers: map[string]string{"authorization": " Bearer sumo-{token}%d "}}, "Bearer sumo-{token}%d", "", "")
}

func TestTLSWithCAFile(t *testing.T) {
	events := loadEvents(t)[:2]
	ep := newEndpoint(t, endpointOpts{tls: true})
	caFile := writeFile(t, "ca.pem", certPEM(ep.srv.Certificate().Raw))
	f := func(cfg Config, wantErr string) {
		t.Helper()
		cfg.URL = ep.url()
		s := newSink(t, cfg)
		err := s.Write(context.Background(), events)
		if wantErr == "" {
			if err != nil {
				t.Fatalf("Write = %v", err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Write = %v, want %q", err, wantErr)
		}
		if sink.IsPermanent(err) {
			t.Errorf("a TLS failure is retried (the events stay in the log until it is fixed): %v", err)
		}
		checkNoSecret(t, err.Error())
	}
	f(Config{CAFile: caFile}, "")
	f(Config{CAFile: caFile, ServerName: "example.com"}, "") // httptest's certificate names example.com too
	f(Config{CAFile: caFile, ServerName: "other.example"}, "certificate is valid for")
	f(Config{InsecureSkipVerify: true}, "")
	f(Config{}, "certificate signed by unknown authority")
	if n := len(ep.requests()); n != 3 {
		t.Errorf("%d requests arrived, want 3", n)
	}
}

func TestMutualTLS(t *testing.T) {
	events := loadEvents(t)[:2]
	pki := newClientPKI(t)
	ep := newEndpoint(t, endpointOpts{tlsConf: &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool}})
	caFile := writeFile(t, "ca.pem", certPEM(ep.srv.Certificate().Raw))
	f := func(certFile, keyFile string, wantErr bool) {
		t.Helper()
		s := newSink(t, Config{URL: ep.url(), CAFile: caFile, CertFile: certFile, KeyFile: keyFile})
		err := s.Write(context.Background(), events)
		if (err != nil) != wantErr {
			t.Fatalf("Write = %v, want error %v", err, wantErr)
		}
		if err != nil {
			if sink.IsPermanent(err) {
				t.Errorf("Write = %v: a TLS failure is retried", err)
			}
			checkNoSecret(t, err.Error())
		}
	}
	f(pki.certFile, pki.keyFile, false)
	f("", "", true)
	f(pki.otherCert, pki.otherKy, true)
	reqs := ep.requests()
	if len(reqs) != 1 || reqs[0].ClientCert != "sluice-client" || reqs[0].Decoded != ndjson(events) {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	pki := newClientPKI(t)
	f := func(cfg Config, want string) {
		t.Helper()
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "cannot create http sink: ") {
			t.Errorf("New = %v, want %q", err, want)
		}
	}
	u := "https://logs.example/receiver/v1/http/" + secretCode
	f(Config{URL: u, CAFile: pki.certFile + ".missing"}, "cannot load CA file")
	f(Config{URL: u, CAFile: pki.keyFile}, "no PEM certificate found")
	f(Config{URL: u, CertFile: pki.certFile, KeyFile: pki.otherKy}, "cannot load client certificate")
	if c, err := (&Config{URL: u}).TLSConfig(); c != nil || err != nil {
		t.Errorf("TLSConfig without TLS fields = %v, %v; want the defaults", c, err)
	}
	c, err := (&Config{URL: u, CertFile: pki.certFile, KeyFile: pki.keyFile}).TLSConfig()
	if err != nil || len(c.Certificates) != 1 || c.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLSConfig = %+v, %v", c, err)
	}
}
