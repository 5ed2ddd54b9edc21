package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a sluice process.
type Config struct {
	// DataDir holds the write-ahead log and the store (default
	// ./sluice-data).
	DataDir string `yaml:"data_dir"`
	// HTTP is the one HTTP listener every HTTP source, the API and the web
	// UI share.
	HTTP HTTPConfig `yaml:"http"`
	// WAL bounds the write-ahead log.
	WAL WALConfig `yaml:"wal"`
	// Auth holds named credentials that sources (and later the API) refer
	// to by name.
	Auth map[string]Auth `yaml:"auth"`
	// Sources are the inputs, by name.
	Sources map[string]Source `yaml:"sources"`
	// Sinks are the destinations, by name.
	Sinks map[string]Sink `yaml:"sinks"`
	// Subscriptions deliver events from the log to sinks.
	Subscriptions []Subscription `yaml:"subscriptions"`
	// Log configures sluice's own logging.
	Log LogConfig `yaml:"log"`
	// API configures the query API (/api/v1/) and the web UI (/), which
	// read the store sink.
	API APIConfig `yaml:"api"`
}

// APIConfig configures who may read the stored events.
type APIConfig struct {
	// Auth names a credential under auth (type bearer or basic) that every
	// request to the API and the web UI must carry; empty: open (allowed
	// on loopback, or with http.insecure). A browser signs in with basic.
	Auth string `yaml:"auth"`
}

// HTTPConfig configures the HTTP listener.
type HTTPConfig struct {
	// Listen is host:port, e.g. "127.0.0.1:8080" or ":8080" (every
	// interface). Listening beyond loopback requires every HTTP source to
	// have auth, or Insecure.
	Listen string `yaml:"listen"`
	// TLS, when set, makes the listener speak HTTPS.
	TLS *TLSConfig `yaml:"tls"`
	// Insecure allows listening beyond loopback with HTTP sources that have
	// no auth.
	Insecure bool `yaml:"insecure"`
	// TrustedProxies lists the CIDRs or IPs of proxies whose
	// X-Forwarded-For and X-Forwarded-Proto are believed (the client
	// address of a request, and whether it came over HTTPS).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ReadTimeout (default 1m), WriteTimeout (default 1m) and IdleTimeout
	// (default 2m) bound a request's reading, its response, and an idle
	// keep-alive connection; 0 means no limit.
	ReadTimeout  Duration `yaml:"read_timeout"`
	WriteTimeout Duration `yaml:"write_timeout"`
	IdleTimeout  Duration `yaml:"idle_timeout"`
	// ShutdownGrace is how long requests in flight may take to finish on
	// shutdown (default 25s, within Heroku's 30s).
	ShutdownGrace Duration `yaml:"shutdown_grace"`
}

// TLSConfig is the listener's certificate and, optionally, the CA that
// client certificates must be signed by.
type TLSConfig struct {
	// CertFile and KeyFile are PEM files: the certificate (chain) and its
	// private key.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, requires clients to present a certificate
	// signed by one of the CAs in this PEM file.
	ClientCAFile string `yaml:"client_ca_file"`
}

// WALConfig bounds the write-ahead log.
type WALConfig struct {
	// MaxBytes caps the log on disk (default 1GiB); when it is full,
	// sources refuse new input until subscribers catch up.
	MaxBytes ByteSize `yaml:"max_bytes"`
	// SegmentBytes is the size of one preallocated segment file (default
	// 64MiB).
	SegmentBytes ByteSize `yaml:"segment_bytes"`
}

// LogConfig configures sluice's own log.
type LogConfig struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is json (default: one JSON object a line) or text (logfmt-like).
	Format string `yaml:"format"`
	// Attrs are added to every line sluice logs about itself, e.g.
	// {deploy: production}.
	Attrs map[string]string `yaml:"attrs"`
}

// Defaults.
const (
	DefaultDataDir       = "./sluice-data"
	DefaultPort          = "8080"
	DefaultShutdownGrace = Duration(25 * time.Second)
	DefaultWALMaxBytes   = 1 * GiB
	DefaultSegmentBytes  = 64 * MiB
)

// setDefaults fills in the defaults of everything but the named
// components, which get theirs when they are created.
func (c *Config) setDefaults() {
	c.DataDir = DefaultDataDir
	c.HTTP = HTTPConfig{
		Listen:        "127.0.0.1:" + DefaultPort,
		ReadTimeout:   Duration(time.Minute),
		WriteTimeout:  Duration(time.Minute),
		IdleTimeout:   Duration(2 * time.Minute),
		ShutdownGrace: DefaultShutdownGrace,
	}
	c.WAL = WALConfig{MaxBytes: DefaultWALMaxBytes, SegmentBytes: DefaultSegmentBytes}
	c.Log = LogConfig{Level: "info", Format: "json"}
}

// finish fills in the defaults that depend on other values: a
// subscription's name is its sink's.
func (c *Config) finish() {
	for _, sk := range c.Sinks {
		if sk.Store != nil && sk.Store.Dir == "" {
			sk.Store.Dir = filepath.Join(c.DataDir, "store")
		}
	}
	for i := range c.Subscriptions {
		if c.Subscriptions[i].Name == "" {
			c.Subscriptions[i].Name = c.Subscriptions[i].Sink
		}
	}
}

// newConfig returns a Config with its defaults and empty component maps.
func newConfig() *Config {
	c := &Config{
		Auth:    map[string]Auth{},
		Sources: map[string]Source{},
		Sinks:   map[string]Sink{},
	}
	c.setDefaults()
	return c
}

// validName reports whether name can name a credential, source, sink or
// subscription: names appear in metrics, logs and file names.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func checkName(p *problems, path, what, name string) {
	if !validName(name) {
		p.add(path, "cannot use %q as a %s name: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", name, what)
	}
}

// Validate checks the whole configuration and returns every problem found,
// joined (see Errors), or nil.
func (c *Config) Validate() error {
	var p problems
	if c.DataDir == "" {
		p.add("data_dir", "cannot run without a data directory: set data_dir, e.g. %s", DefaultDataDir)
	}
	p.addAll("http", c.HTTP.Validate())
	p.addAll("wal", c.WAL.Validate())
	p.addAll("log", c.Log.Validate())

	for _, name := range sortedKeys(c.Auth) {
		path := joinPath("auth", name)
		checkName(&p, path, "credential", name)
		a := c.Auth[name]
		p.addAll(path, a.Validate())
	}

	// HTTP paths already taken, by the server itself and by sources.
	paths := map[string]string{}
	for _, name := range sortedKeys(c.Sources) {
		path := joinPath("sources", name)
		checkName(&p, path, "source", name)
		s := c.Sources[name]
		if err := s.Validate(); err != nil {
			p.addAll(path, err)
			continue
		}
		if s.Logplex != nil {
			c.checkSourceAuth(&p, path, s.Logplex.Auth, AuthBasic, "a Logplex drain sends HTTP basic credentials (https://user:token@host/logs)")
			checkHTTPPath(&p, path+".path", s.Logplex.Path, paths)
			if s.Logplex.Auth == "" && !c.HTTP.Insecure && !isLoopback(c.HTTP.Listen) {
				p.add(path+".auth", "cannot accept unauthenticated input from other machines: http.listen %q is reachable beyond this one and this source has no auth; set auth (a credential of type basic), listen on 127.0.0.1, or set http.insecure: true to accept it anyway", c.HTTP.Listen)
			}
			if s.Logplex.EnforceHTTPS && c.HTTP.TLS == nil && len(c.HTTP.TrustedProxies) == 0 {
				p.add(path+".enforce_https", "cannot enforce HTTPS on a plain HTTP listener without a proxy: set http.tls, or list the TLS-terminating proxy in http.trusted_proxies so its X-Forwarded-Proto is believed")
			}
		}
		httpSource := func(srcPath, auth, want, why string) {
			c.checkSourceAuth(&p, path, auth, want, why)
			checkHTTPPath(&p, path+".path", srcPath, paths)
			if auth == "" && want != AuthFirehoseKey && !c.HTTP.Insecure && !isLoopback(c.HTTP.Listen) {
				p.add(path+".auth", "cannot accept unauthenticated input from other machines: http.listen %q is reachable beyond this one and this source has no auth; set auth (a credential of type %s), listen on 127.0.0.1, or set http.insecure: true", c.HTTP.Listen, want)
			}
		}
		switch {
		case s.Firehose != nil:
			httpSource(s.Firehose.Path, s.Firehose.Auth, AuthFirehoseKey, "Firehose sends its access key in X-Amz-Firehose-Access-Key")
		case s.CloudWatch != nil:
			httpSource(s.CloudWatch.Path, s.CloudWatch.Auth, AuthBearer, "a forwarder sends Authorization: Bearer <token>")
		case s.Ingest != nil:
			httpSource(s.Ingest.Path, s.Ingest.Auth, AuthBearer, "apps send Authorization: Bearer <token>")
		}
	}

	var stores []string
	for _, name := range sortedKeys(c.Sinks) {
		path := joinPath("sinks", name)
		checkName(&p, path, "sink", name)
		s := c.Sinks[name]
		p.addAll(path, s.Validate())
		if s.Type == SinkStore {
			stores = append(stores, name)
		}
	}
	if len(stores) > 1 {
		p.add(joinPath("sinks", stores[1]), "cannot have two store sinks (%s): the API, tail, search and the web UI read one store; keep one and filter what goes into it with its subscription's where", strings.Join(stores, ", "))
	}
	if c.API.Auth != "" {
		if a, ok := c.Auth[c.API.Auth]; !ok {
			p.add("api.auth", "cannot use credential %q: there is no such entry under auth; defined: %s", c.API.Auth, listOrNone(sortedKeys(c.Auth)))
		} else if a.Type != AuthBearer && a.Type != AuthBasic {
			p.add("api.auth", "cannot use credential %q of type %s for the API: use a credential of type bearer (sluice tail/search --token) or basic (a browser asks for it)", c.API.Auth, a.Type)
		}
	} else if len(stores) > 0 && !c.HTTP.Insecure && !isLoopback(c.HTTP.Listen) {
		p.add("api.auth", "cannot show the stored logs to other machines without credentials: http.listen %q is reachable beyond this one; set api.auth (a credential of type bearer or basic), listen on 127.0.0.1, or set http.insecure: true", c.HTTP.Listen)
	}

	names := map[string]int{}
	for i := range c.Subscriptions {
		path := "subscriptions[" + strconv.Itoa(i) + "]"
		s := &c.Subscriptions[i]
		p.addAll(path, s.Validate())
		if s.Sink != "" {
			if _, ok := c.Sinks[s.Sink]; !ok {
				p.add(path+".sink", "cannot deliver to sink %q: there is no such sink; defined sinks: %s", s.Sink, listOrNone(sortedKeys(c.Sinks)))
			}
		}
		if s.Name != "" {
			if j, dup := names[s.Name]; dup {
				p.add(path+".name", "cannot use name %q: subscriptions[%d] has it too; give each subscription its own name (two subscriptions to one sink need a name each)", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
	}
	return p.err()
}

// checkSourceAuth checks that a source's auth names a credential of the type
// the source's protocol can carry.
func (c *Config) checkSourceAuth(p *problems, path, auth, want, why string) {
	if auth == "" {
		return
	}
	a, ok := c.Auth[auth]
	if !ok {
		p.add(path+".auth", "cannot use credential %q: there is no such entry under auth; defined: %s", auth, listOrNone(sortedKeys(c.Auth)))
		return
	}
	if a.Type != want && a.Type != "" {
		p.add(path+".auth", "cannot use credential %q of type %s here: %s; use a credential of type %s", auth, a.Type, why, want)
	}
}

func checkHTTPPath(p *problems, path, value string, taken map[string]string) {
	switch {
	case value == "/", value == "/metrics", value == "/healthz", value == "/readyz", value == "/health",
		value == "/api", strings.HasPrefix(value, "/api/"):
		p.add(path, "cannot serve a source at %q: sluice serves /, /metrics, /healthz, /readyz, /health and /api/... itself; choose another path, e.g. /logs", value)
		return
	}
	if other, ok := taken[value]; ok {
		p.add(path, "cannot serve two sources at %q: %s is there already; give each its own path", value, other)
		return
	}
	taken[value] = parentPath(path)
}

// isLoopback reports whether listen (host:port) only accepts connections
// from this machine: 127.0.0.0/8, ::1 or localhost.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Validate checks the listener's settings.
func (h *HTTPConfig) Validate() error {
	var p problems
	if err := checkListen(h.Listen); err != nil {
		p.add("listen", "%v", err)
	}
	if h.TLS != nil {
		p.addAll("tls", h.TLS.Validate())
	}
	for i, tp := range h.TrustedProxies {
		if _, err := netip.ParsePrefix(tp); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(tp); err == nil {
			continue
		}
		p.add("trusted_proxies["+strconv.Itoa(i)+"]", "cannot use %q as a proxy address: want an IP or a CIDR, e.g. 10.0.0.0/8 or 192.0.2.7", tp)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"read_timeout", h.ReadTimeout}, {"write_timeout", h.WriteTimeout}, {"idle_timeout", h.IdleTimeout}, {"shutdown_grace", h.ShutdownGrace}} {
		if d.v < 0 {
			p.add(d.key, "cannot use a negative duration (%s): use 0 for no limit, or e.g. 30s", d.v)
		}
	}
	return p.err()
}

func checkListen(listen string) error {
	if listen == "" {
		return fmt.Errorf("cannot listen without an address: set host:port, e.g. 127.0.0.1:8080 or :8080 for every interface")
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %q: want host:port, e.g. 127.0.0.1:8080 or :8080 for every interface", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("cannot listen on %q: port %q is not a number from 0 to 65535", listen, port)
	}
	return nil
}

// Validate checks that the certificate, key and CA files can be used.
func (t *TLSConfig) Validate() error {
	var p problems
	switch {
	case t.CertFile == "" && t.KeyFile == "":
		p.add("", "cannot serve TLS without a certificate: set cert_file and key_file (PEM)")
	case t.CertFile == "":
		p.add("cert_file", "cannot use key_file without cert_file: set both (PEM)")
	case t.KeyFile == "":
		p.add("key_file", "cannot use cert_file without key_file: set both (PEM)")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			p.add("cert_file", "cannot load the certificate and key: %v", err)
		}
	}
	if t.ClientCAFile != "" {
		if err := checkCAFile(t.ClientCAFile); err != nil {
			p.add("client_ca_file", "%v", err)
		}
	}
	return p.err()
}

// checkCAFile checks that file is a PEM bundle with at least one
// certificate.
func checkCAFile(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("cannot read CA file: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("cannot use %s as CA file: it holds no PEM certificate (-----BEGIN CERTIFICATE-----)", file)
	}
	return nil
}

// Validate checks the log's bounds.
func (w *WALConfig) Validate() error {
	var p problems
	if w.SegmentBytes < 64*KiB {
		p.add("segment_bytes", "cannot use segments of %s: use at least 64KiB (default %s)", w.SegmentBytes, DefaultSegmentBytes)
	}
	if w.MaxBytes < 2*w.SegmentBytes {
		p.add("max_bytes", "cannot cap the log at %s with %s segments: max_bytes must hold at least two segments (%s); raise max_bytes or lower segment_bytes", w.MaxBytes, w.SegmentBytes, 2*w.SegmentBytes)
	}
	return p.err()
}

// Validate checks level and format.
func (l *LogConfig) Validate() error {
	var p problems
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, l.Level) {
		p.add("level", "cannot use log level %q: use debug, info, warn or error", l.Level)
	}
	if l.Format != "text" && l.Format != "json" {
		p.add("format", "cannot use log format %q: use text or json", l.Format)
	}
	for k := range l.Attrs {
		if k == "" {
			p.add("attrs", "cannot use an empty attribute name")
		}
	}
	return p.err()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
