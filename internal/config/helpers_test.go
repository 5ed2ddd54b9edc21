package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// envOf returns an environment holding exactly vars.
func envOf(vars map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// writeCert writes a self-signed certificate and its key as cert.pem and
// key.pem into a new directory, and returns the directory.
func writeCert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sluice test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", "CERTIFICATE", der)
	write("key.pem", "EC PRIVATE KEY", keyDER)
	return dir
}

// testEnv is the environment the files in testdata/ are loaded with.
func testEnv(t *testing.T) map[string]string {
	return map[string]string{
		"CERT_DIR":          writeCert(t),
		"PORT":              "8443",
		"DRAIN_TOKEN":       "drain-secret",
		"INGEST_TOKEN":      "ingest-secret",
		"FIREHOSE_KEY":      "firehose-secret",
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/secret",
	}
}

// mustParse parses yaml and returns its body.
func mustParse(t *testing.T, yaml string) ast.Node {
	t.Helper()
	f, err := parser.ParseBytes([]byte(yaml), 0)
	if err != nil || len(f.Docs) != 1 {
		t.Fatalf("parse %q: %v", yaml, err)
	}
	return f.Docs[0].Body
}

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
