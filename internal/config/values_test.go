package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestFullFile checks every decoded value of testdata/valid/full.yaml.
func TestFullFile(t *testing.T) {
	vars := testEnv(t)
	cfg, err := Load("testdata/valid/full.yaml", envOf(vars))
	if err != nil {
		t.Fatal(err)
	}
	certs := vars["CERT_DIR"]
	want := &Config{
		DataDir: "/var/lib/sluice",
		HTTP: HTTPConfig{
			Listen: "0.0.0.0:8443",
			TLS: &TLSConfig{
				CertFile:     certs + "/cert.pem",
				KeyFile:      certs + "/key.pem",
				ClientCAFile: certs + "/cert.pem",
			},
			TrustedProxies: []string{"10.0.0.0/8", "192.0.2.7", "::1"},
			ReadTimeout:    Duration(30 * time.Second),
			WriteTimeout:   Duration(45 * time.Second),
			IdleTimeout:    0,
			ShutdownGrace:  Duration(20 * time.Second),
		},
		WAL: WALConfig{MaxBytes: 2 * GiB, SegmentBytes: 128e6},
		Auth: map[string]Auth{
			"drains": {Type: AuthBasic, Users: map[string]Secrets{
				"alice":   {"drain-secret"},
				"bob":     {"old-token", "new-token"},
				"heroku":  {"from-a-file", "rotated:with:colons"},
				"staging": {"st4ging"},
			}},
			"apps":     {Type: AuthBearer, Tokens: []Secret{"ingest-secret", "tok-1", "tok-2"}, Groups: []string{"/app/*", "exact-group"}},
			"firehose": {Type: AuthFirehoseKey, Keys: []Secret{"k1"}},
		},
		Sources: map[string]Source{
			"heroku": {Type: SourceLogplex, Logplex: &LogplexSource{
				Path:         "/heroku/logs",
				Auth:         "drains",
				EnforceHTTPS: true,
				MaxBodyBytes: 5 * MiB,
				Severity:     "always",
				KeepRaw:      true,
				DrainNames:   map[string]string{"d.01234567-89ab-cdef-0123-456789abcdef": "my-app"},
				DedupeWindow: Duration(time.Hour),
				MetadataID:   "meta@53595",
				QueryParams:  []string{"index", "source", "sourcetype"},
				FieldParams:  []string{"team"},
			}},
		},
		Sinks: map[string]Sink{
			"splunk": {Type: SinkSyslog, Syslog: &SyslogSink{
				Address:        "tls://splunk.internal:6514",
				Connections:    8,
				Format:         "logiss",
				ConnectTimeout: Duration(2 * time.Second),
				WriteTimeout:   Duration(3 * time.Second),
				TLS: &ClientTLSConfig{
					CAFile:     certs + "/cert.pem",
					CertFile:   certs + "/cert.pem",
					KeyFile:    certs + "/key.pem",
					ServerName: "splunk.example.com",
				},
			}},
			"archive": {Type: SinkFile, File: &FileSink{
				Path:         "/var/log/sluice/{group}/{app}/{stream}-{host}-{date}.ndjson",
				Format:       "ndjson",
				Sync:         "batch",
				SyncInterval: Duration(time.Second),
				NoSync:       true,
				MaxOpenFiles: 16,
			}},
		},
		Subscriptions: []Subscription{
			{
				Name:    "splunk-errors",
				Sink:    "splunk",
				Where:   `severity <= warning && proc != "router"`,
				Pattern: `{ $.level = "error" }`,
				Batch:   BatchConfig{MaxEvents: 500, MaxBytes: 512 * KiB, MaxAge: Duration(250 * time.Millisecond)},
				Retry:   RetryConfig{Initial: Duration(time.Second), Max: Duration(time.Minute)},
				Start:   "newest",
			},
			newSubscription("archive"),
		},
		Log: LogConfig{Level: "debug", Format: "json", Attrs: map[string]string{"deploy": "production"}},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Load(full.yaml) mismatch (-want +got):\n%s", diff)
	}
}

// TestAnchors checks that aliases and merge keys are applied.
func TestAnchors(t *testing.T) {
	cfg, err := Load("testdata/valid/anchors.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sinks["secondary"].Syslog; got.Address != "tcp://logs-2.internal:514" || got.Connections != 2 || got.Format != "rfc5424" {
		t.Errorf("merged sink = %+v", got)
	}
	if got := cfg.Subscriptions[1]; got.Sink != "secondary" || got.Name != "secondary" || got.Batch.MaxEvents != 10 || got.Batch.MaxAge != DefaultBatchAge {
		t.Errorf("merged subscription = %+v", got)
	}
}

// TestExpansion checks ${VAR} expansion in decoded values: an environment
// value cannot change the document's structure nor be expanded again.
func TestExpansion(t *testing.T) {
	env := envOf(map[string]string{
		"EVIL":   "x\n  evil: true",
		"COLON":  "a: b",
		"NESTED": "${SECRET}",
		"SECRET": "s3cret",
		"EMPTY":  "",
		"PORT":   "9000",
	})
	f := func(yaml, want string) {
		t.Helper()
		cfg, err := Parse([]byte(yaml), "t.yaml", env)
		if err != nil {
			t.Errorf("Parse(%q): %v", yaml, err)
			return
		}
		if cfg.DataDir != want {
			t.Errorf("Parse(%q): data_dir = %q, want %q", yaml, cfg.DataDir, want)
		}
	}
	f("data_dir: ${EVIL}", "x\n  evil: true") // stays one string
	f("data_dir: \"${EVIL}\"", "x\n  evil: true")
	f("data_dir: ${COLON}", "a: b")
	f("data_dir: ${NESTED}", "${SECRET}") // not expanded again
	f("data_dir: $${SECRET}", "${SECRET}")
	f("data_dir: a$$b", "a$b")
	f("data_dir: \"$.level and $ and $x\"", "$.level and $ and $x")
	f("data_dir: ${EMPTY}x", "x") // set but empty is empty
	f("data_dir: ${EMPTY:-d}", "d")
	f("data_dir: ${UNSET:-d/${SECRET}", "d/${SECRET") // the default is literal, up to the first }
	f("data_dir: x${UNSET:-}", "x")
	f("data_dir: '${PORT}'", "9000") // single quotes do not stop expansion
	f("data_dir: |\n  line ${PORT}\n", "line 9000\n")

	// A value read as another type after expansion.
	// (In flow style, {a: ${X}} is not YAML: the } ends the mapping; quote it.)
	cfg, err := Parse([]byte(`
sinks:
  k:
    type: syslog
    address: tcp://h:${PORT}
    connections: ${PORT}
http:
  insecure: ${UNSET:-true}
`), "t.yaml", envOf(map[string]string{"PORT": "900"}))
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Sinks["k"].Syslog; k.Connections != 900 || k.Address != "tcp://h:900" || !cfg.HTTP.Insecure {
		t.Errorf("expanded values: %+v, insecure %v", k, cfg.HTTP.Insecure)
	}
	// Injection into a secret or a key position stays a value.
	_, err = Parse([]byte("auth: {a: {type: basic, users: {u: \"${EVIL}\"}}}"), "t.yaml", env)
	if err == nil || !strings.Contains(err.Error(), "auth.a.users.u: cannot use a secret with a line break") || strings.Contains(err.Error(), "evil") {
		t.Errorf("secret with a line break: %v", err)
	}
}

func TestExpand(t *testing.T) {
	env := envOf(map[string]string{"A": "1", "B": "2"})
	f := func(in, want, wantErr string) {
		t.Helper()
		got, err := expand(in, env)
		switch {
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("expand(%q) error = %v, want %q", in, err, wantErr)
		case wantErr == "" && err != nil:
			t.Errorf("expand(%q): %v", in, err)
		case got != want:
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "", "")
	f("plain", "plain", "")
	f("${A}${B}", "12", "")
	f("x${A}y$$z$", "x1y$z$", "")
	f("$$$", "$$", "")
	f("${A:-x}", "1", "")
	f("${_U9:-x}", "x", "")
	f("${A", "", `cannot expand "${A": no closing }`)
	f("${}", "", `cannot expand ${}: "" is not a variable name`)
	f("${9A}", "", `"9A" is not a variable name`)
	f("${A-x}", "", `"A-x" is not a variable name`)
	f("${C}", "", "cannot expand ${C}: C is not set in the environment; set it, or give a default: ${C:-value}")
	f("${C}${D}${A}", "", "cannot expand ${C}, ${D}: C, D are not set")
}

// TestSecretFiles checks the `*_file` forms: one secret (one trailing
// newline removed), a list, users.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one", "hook\n")
	two := write("two", "hook\n\n")
	crlf := write("crlf", "hook\r\n")
	empty := write("empty", "\n")
	big := write("big", strings.Repeat("x", maxSecretFile+1))

	f := func(yaml string, want Secret, wantErr string) {
		t.Helper()
		d := newDecoder(noEnv, "t.yaml")
		var s SlackSink
		d.decodeStruct(mustParse(t, yaml), reflectValue(&s), "sinks.s", "", "")
		switch {
		case wantErr != "":
			if len(d.errs) != 1 || !strings.Contains(d.errs[0].Error(), wantErr) {
				t.Errorf("%s: errors %v, want %q", yaml, d.errs, wantErr)
			}
		case len(d.errs) > 0:
			t.Errorf("%s: %v", yaml, d.errs)
		case s.WebhookURL != want:
			t.Errorf("%s: webhook_url = %q, want %q", yaml, string(s.WebhookURL), string(want))
		}
	}
	f("webhook_url_file: "+one, "hook", "")
	f("webhook_url_file: "+two, "hook\n", "") // only one newline is removed
	f("webhook_url_file: "+crlf, "hook", "")
	f("webhook_url_file: "+empty, "", "sinks.s.webhook_url_file: cannot use secret file "+empty+": it is empty")
	f("webhook_url_file: "+big, "", "larger than 1MiB")
	f("webhook_url_file: "+dir+"/missing", "", "sinks.s.webhook_url_file: cannot read secret file: open "+dir+"/missing: no such file")
	f("{webhook_url: x, webhook_url_file: "+one+"}", "", "sinks.s.webhook_url_file: cannot use both webhook_url and webhook_url_file: keep one")
	f("webhook_url_filez: x", "", `sinks.s.webhook_url_filez: cannot use "webhook_url_filez" in sinks.s: unknown key; did you mean "webhook_url_file"?`)

	tokens := write("tokens", "# tokens\n a \n\nb\r\n")
	_, err := Parse([]byte(fmt.Sprintf("auth: {a: {type: bearer, tokens_file: %s}, e: {type: bearer, tokens_file: %s}}", tokens, empty)), "t.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "auth.e.tokens_file: cannot use secret file "+empty+": it has no secrets") || len(Errors(err)) != 1 {
		t.Errorf("empty tokens file: %v", err)
	}
	cfg, err := Parse([]byte(fmt.Sprintf("auth: {a: {type: bearer, tokens_file: %s}}", tokens)), "t.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Secret{" a ", "b"}, cfg.Auth["a"].Tokens); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}

func TestDefault(t *testing.T) {
	cfg := Default(nil)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Default is invalid: %v", err)
	}
	want := newConfig()
	want.Sources["logplex"] = Source{Type: SourceLogplex, Logplex: &LogplexSource{
		Path: "/logs", MaxBodyBytes: 10 * MiB, Severity: "auto", DedupeWindow: Duration(10 * time.Minute),
	}}
	want.Sources["syslog"] = Source{Type: SourceSyslog, Syslog: &SyslogSource{
		Listen:          []string{"tcp://127.0.0.1:5514", "udp://127.0.0.1:5514"},
		MaxMessageBytes: 64 * KiB, MaxConnections: 1024, IdleTimeout: Duration(5 * time.Minute),
		Group: "host", Stream: "app", Severity: "auto",
	}}
	want.Sinks["store"] = Sink{Type: SinkStore, Store: &StoreSink{Dir: "sluice-data/store", Retention: Duration(7 * 24 * time.Hour), QueryTimeout: Duration(10 * time.Second)}}
	want.Subscriptions = []Subscription{newSubscription("store")}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Default (-want +got):\n%s", diff)
	}
	if cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.DataDir != "./sluice-data" || cfg.HTTP.ShutdownGrace != Duration(25*time.Second) ||
		cfg.WAL.MaxBytes != GiB || cfg.WAL.SegmentBytes != 64*MiB {
		t.Errorf("Default: %+v", cfg)
	}
	for port, listen := range map[string]string{"9000": "127.0.0.1:9000", "": "127.0.0.1:8080"} {
		if got := Default(envOf(map[string]string{"PORT": port})).HTTP.Listen; got != listen {
			t.Errorf("Default with PORT=%q listens on %q, want %q", port, got, listen)
		}
	}
	if err := Default(envOf(map[string]string{"PORT": "x"})).Validate(); err == nil || !strings.Contains(err.Error(), `http.listen: cannot listen on "127.0.0.1:x": port "x" is not a number`) {
		t.Errorf("Default with PORT=x: %v", err)
	}
}

// TestRedacted prints a configuration without its secrets, and parsing the
// print gives the configuration back.
func TestRedacted(t *testing.T) {
	vars := testEnv(t)
	for _, file := range []string{"testdata/valid/full.yaml", "testdata/valid/minimal.yaml", "testdata/valid/anchors.yaml"} {
		cfg, err := Load(file, envOf(vars))
		if err != nil {
			t.Fatal(err)
		}
		out := cfg.Redacted()
		for _, secret := range []string{"drain-secret", "ingest-secret", "from-a-file", "tok-1", "old-token", "st4ging"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: Redacted shows %q:\n%s", file, secret, out)
			}
		}
		again, err := Parse([]byte(out), "redacted.yaml", nil)
		if err != nil {
			t.Fatalf("%s: Redacted does not parse: %v\n%s", file, err, out)
		}
		ignoreSecrets := cmp.Comparer(func(a, b Secret) bool { return true })
		if diff := cmp.Diff(cfg, again, ignoreSecrets); diff != "" {
			t.Errorf("%s: Redacted does not round-trip (-want +got):\n%s\n%s", file, diff, out)
		}
	}
	if out := Default(nil).Redacted(); !strings.Contains(out, "listen: 127.0.0.1:8080") || !strings.Contains(out, "type: logplex") {
		t.Errorf("Default().Redacted():\n%s", out)
	}
	cfg, _ := Load("testdata/valid/full.yaml", envOf(vars))
	if out := cfg.Redacted(); !strings.Contains(out, "alice:\n") || !strings.Contains(out, "- REDACTED") || !strings.Contains(out, "idle_timeout: 0s") {
		t.Errorf("Redacted:\n%s", out)
	}
}

// TestLoopback checks which listen addresses need auth.
func TestLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:80": true, "127.1.2.3:80": true, "[::1]:80": true, "localhost:80": true, "LOCALHOST:80": true,
		":80": false, "0.0.0.0:80": false, "[::]:80": false, "10.0.0.1:80": false, "example.com:80": false, "garbage": false,
	} {
		if got := isLoopback(listen); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", listen, got, want)
		}
	}
	f := func(yaml string, wantErr bool) {
		t.Helper()
		_, err := Parse([]byte(yaml), "t.yaml", nil)
		if (err != nil) != wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", yaml, err, wantErr)
		}
	}
	const src = "sources: {s: {type: logplex}}\n"
	f(src, false) // default listen is loopback
	f(src+"http: {listen: \":8080\"}", true)
	f(src+"http: {listen: \"0.0.0.0:8080\", insecure: true}", false)
	f("http: {listen: \"[::]:8080\"}\nauth: {a: {type: basic, users: {u: p}}}\nsources: {s: {type: logplex, auth: a}}", false)
}

// TestTLSFiles checks the certificate files of the listener and of the
// syslog sink.
func TestTLSFiles(t *testing.T) {
	certs := writeCert(t)
	other := writeCert(t)
	cert, key, otherKey := certs+"/cert.pem", certs+"/key.pem", other+"/key.pem"
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := func(v interface{ Validate() error }, wantErr ...string) {
		t.Helper()
		got := Errors(v.Validate())
		if len(got) != len(wantErr) {
			t.Errorf("%+v: errors %v, want %d", v, got, len(wantErr))
			return
		}
		for i, w := range wantErr {
			if !strings.Contains(got[i].Error(), w) {
				t.Errorf("%+v: error %d = %v, want %q", v, i, got[i], w)
			}
		}
	}
	f(&TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: cert})
	f(&TLSConfig{CertFile: cert, KeyFile: otherKey}, "cert_file: cannot load the certificate and key: tls: private key does not match public key")
	f(&TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: notPEM}, "client_ca_file: cannot use "+notPEM+" as CA file: it holds no PEM certificate")
	f(&TLSConfig{}, "cannot serve TLS without a certificate")
	f(&TLSConfig{CertFile: cert}, "key_file: cannot use cert_file without key_file")
	f(&ClientTLSConfig{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "x"})
	f(&ClientTLSConfig{CAFile: "/nonexistent.pem"}, "ca_file: cannot read CA file: open /nonexistent.pem: no such file or directory")
	f(&ClientTLSConfig{KeyFile: key}, "cert_file: cannot use key_file without cert_file")
	f(&ClientTLSConfig{CertFile: cert, KeyFile: notPEM}, "cert_file: cannot load the client certificate and key")
}
