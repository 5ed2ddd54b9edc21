package httpsink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/sink/tlsclient"

	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Encoding selects how a request body is built from events.
type Encoding string

// The encodings. The zero value means EncodingNDJSON.
const (
	// EncodingNDJSON writes the event's JSON form, one per line.
	EncodingNDJSON Encoding = "ndjson"
	// EncodingJSON writes one JSON array of the events' JSON forms.
	EncodingJSON Encoding = "json"
	// EncodingText writes one line per event: the message, or Template.
	EncodingText Encoding = "text"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultMethod   = http.MethodPost
	DefaultEncoding = EncodingNDJSON
	// DefaultMaxBytes bounds a request body before compression.
	DefaultMaxBytes = 1 << 20
	DefaultTimeout  = 30 * time.Second
	// DefaultTemplate is the line of the text encoding: the message.
	DefaultTemplate = "{message}"
)

// Presets.
const (
	// PresetSumoLogic configures a Sumo Logic HTTP Logs and Metrics Source
	// (see the package documentation).
	PresetSumoLogic = "sumologic"
	// SumoMaxBytes is the request size the sumologic preset sets: Sumo
	// allows "up to but not exceeding 1MB of uncompressed data".
	SumoMaxBytes = 1_000_000
	// SumoTemplate is the line of the sumologic preset: a timestamp in a
	// format Sumo documents, the process (web.1, router), the message.
	SumoTemplate = "{time} {proc} {message}"
)

// Config configures an HTTP sink. Zero values take the defaults above.
type Config struct {
	// URL is the endpoint, http:// or https://. It is a secret (Sumo
	// Logic's carries its token in the path): only scheme://host is ever
	// shown.
	URL string
	// Method is POST (default) or PUT.
	Method string
	// Headers maps header names to value templates (package sink/tmpl),
	// e.g. "X-Sumo-Category": "heroku/{app}" (write %% for a percent
	// sign). A header that renders empty is not sent. Content-Type may be
	// set here to override the encoding's; Content-Length,
	// Content-Encoding, Host and hop-by-hop headers may not. Authorization
	// (e.g. Sumo Logic's token header) is taken literally, not as a
	// template, and only without Username and BearerToken.
	Headers map[string]string
	// Encoding is ndjson (default), json or text.
	Encoding Encoding
	// Template is the line of the text encoding (default "{message}"): the
	// placeholders of sink/tmpl plus {message} and {time}. Only with text.
	Template string
	// Gzip compresses request bodies (Content-Encoding: gzip).
	Gzip bool
	// MaxBytes bounds a request body before compression (default 1 MiB);
	// larger batches are split. An event larger on its own is sent alone.
	MaxBytes int

	// Username and Password are sent with basic authentication.
	Username string
	Password string
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string

	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key for mutual
	// TLS; both or neither.
	CertFile string
	KeyFile  string
	// ServerName overrides the name the server certificate is checked
	// against (default: the URL's host).
	ServerName string
	// InsecureSkipVerify disables server certificate checks. Testing only.
	InsecureSkipVerify bool

	// Timeout bounds one request, from connecting to reading the response
	// (default 30s).
	Timeout time.Duration
}

// ApplyPreset configures c for a known service; "" does nothing. It
// overwrites Method, Encoding, Template, Gzip and MaxBytes, and adds the
// preset's headers where c has no header of that name (in any case): apply
// it first, then what the user set explicitly.
//
// sumologic: POST, gzip, text lines "{time} {proc} {message}", MaxBytes
// 1,000,000, X-Sumo-Category {group}, X-Sumo-Host {host}, X-Sumo-Name {app}.
func (c *Config) ApplyPreset(name string) error {
	switch name {
	case "":
		return nil
	case PresetSumoLogic:
		c.Method = http.MethodPost
		c.Encoding = EncodingText
		c.Template = SumoTemplate
		c.Gzip = true
		c.MaxBytes = SumoMaxBytes
		c.addHeaderDefault("X-Sumo-Category", "{group}")
		c.addHeaderDefault("X-Sumo-Host", "{host}")
		c.addHeaderDefault("X-Sumo-Name", "{app}")
		return nil
	}
	return fmt.Errorf("cannot apply preset %q: unknown; known is %s", name, PresetSumoLogic)
}

func (c *Config) addHeaderDefault(name, value string) {
	for k := range c.Headers {
		if strings.EqualFold(k, name) {
			return
		}
	}
	if c.Headers == nil {
		c.Headers = make(map[string]string)
	}
	c.Headers[name] = value
}

// isReserved reports whether a canonical header name is set by the sink or
// the transport.
func isReserved(canon string) bool {
	switch canon {
	case "Connection", "Content-Encoding", "Content-Length", "Host", "Keep-Alive",
		"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// Validate reports every problem with c at once (joined), without reading
// any file. Messages never contain the URL beyond scheme://host.
func (c *Config) Validate() error {
	var errs []error
	u, err := parseURL(c.URL)
	if err != nil {
		errs = append(errs, err)
	}
	switch strings.ToUpper(c.Method) {
	case "", http.MethodPost, http.MethodPut:
	default:
		errs = append(errs, fmt.Errorf("cannot use method %q: want POST or PUT", c.Method))
	}
	switch c.Encoding {
	case "", EncodingNDJSON, EncodingJSON:
		if c.Template != "" {
			errs = append(errs, fmt.Errorf("cannot use template with encoding %s: a line template is for encoding text", c.encoding()))
		}
	case EncodingText:
		if _, err := parseLine(c.template()); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("cannot use encoding %q: want ndjson, json or text", c.Encoding))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("cannot use max_bytes %d: must not be negative", c.MaxBytes))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("cannot use timeout %v: must not be negative", c.Timeout))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("cannot use password without username: set both for basic authentication"))
	}
	if c.Username != "" && c.BearerToken != "" {
		errs = append(errs, errors.New("cannot use both basic and bearer authentication: set username/password or bearer_token"))
	}
	if strings.Contains(c.Username, ":") || hasControl(c.Username) {
		errs = append(errs, errors.New("cannot use username: basic authentication allows no colon or control character in it"))
	}
	if hasControl(c.Password) {
		errs = append(errs, errors.New("cannot use password: it holds a control character (a trailing newline from a file?)"))
	}
	if hasControl(c.BearerToken) || strings.ContainsAny(c.BearerToken, " ") {
		errs = append(errs, errors.New("cannot use bearer_token: it holds a space or control character (a trailing newline from a file?)"))
	}
	errs = append(errs, c.validateHeaders()...)
	fileTLS := c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "" || c.InsecureSkipVerify
	if u != nil && u.Scheme == "http" && fileTLS {
		errs = append(errs, fmt.Errorf("cannot use TLS settings with url %s: use an https:// url", redact(u)))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cannot use client certificate: cert_file and key_file must be set together"))
	}
	return errors.Join(errs...)
}

func (c *Config) validateHeaders() []error {
	var errs []error
	names := make([]string, 0, len(c.Headers))
	for name := range c.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	seen := make(map[string]string, len(names))
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		switch {
		case !isToken(name):
			errs = append(errs, fmt.Errorf("cannot use header %q: a header name is letters, digits and !#$%%&'*+-.^_`|~", name))
			continue
		case isReserved(canon):
			errs = append(errs, fmt.Errorf("cannot set header %s: the sink sets it", canon))
		case canon == "Authorization" && (c.Username != "" || c.BearerToken != ""):
			errs = append(errs, errors.New("cannot set header Authorization with username or bearer_token: use one of them"))
		}
		if prev, ok := seen[canon]; ok {
			errs = append(errs, fmt.Errorf("cannot use headers %q and %q: they are the same header", prev, name))
		}
		seen[canon] = name
		value := c.Headers[name]
		if canon == "Authorization" {
			// A credential: taken literally, never quoted in an error.
			if hasControl(value) {
				errs = append(errs, errors.New("cannot use header Authorization: its value holds a control character"))
			}
			continue
		}
		if _, err := tmpl.Parse(value); err != nil {
			// tmpl's error quotes the whole value first; keep the reason.
			reason := strings.TrimPrefix(err.Error(), fmt.Sprintf("cannot parse template %q: ", value))
			errs = append(errs, fmt.Errorf("cannot use header %s: its value is not a valid template: %s", canon, reason))
		}
	}
	return errs
}

// hasControl reports whether s holds a control character other than tab,
// which cannot be sent in a header.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseURL checks an endpoint URL; its errors show at most scheme://host.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("cannot use url: it must be set, e.g. https://collectors.sumologic.com/receiver/v1/http/<code>")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole URL, a secret.
		return nil, errors.New("cannot use url: it does not parse as a URL; check it for spaces and stray characters")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("cannot use url: want an http:// or https:// URL")
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("cannot use url %s://: it has no host", u.Scheme)
	}
	return u, nil
}

// redact returns what may be shown of an endpoint: scheme://host[:port].
func redact(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// Endpoint returns what may be shown of the URL: scheme://host[:port], or
// "" when the URL does not parse.
func (c *Config) Endpoint() string {
	u, err := parseURL(c.URL)
	if err != nil {
		return ""
	}
	return redact(u)
}

// String describes c without secrets.
func (c Config) String() string {
	return fmt.Sprintf("http sink %s %s encoding=%s gzip=%t max_bytes=%d", c.method(), c.Endpoint(), c.encoding(), c.Gzip, c.maxBytes())
}

// LogValue implements slog.LogValuer without secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint()),
		slog.String("method", c.method()),
		slog.String("encoding", string(c.encoding())),
		slog.Bool("gzip", c.Gzip),
		slog.Int("max_bytes", c.maxBytes()),
	)
}

func (c *Config) method() string {
	if c.Method == "" {
		return DefaultMethod
	}
	return strings.ToUpper(c.Method)
}

func (c *Config) encoding() Encoding {
	if c.Encoding == "" {
		return DefaultEncoding
	}
	return c.Encoding
}

func (c *Config) template() string {
	if c.Template == "" {
		return DefaultTemplate
	}
	return c.Template
}

func (c *Config) maxBytes() int {
	if c.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return c.MaxBytes
}

func (c *Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// TLSConfig builds the tls.Config for an https:// URL from the file fields:
// CA bundle, optional client certificate (mutual TLS), server name, TLS 1.2
// or later. It returns nil when no TLS field is set (the system's roots
// and defaults apply) or the URL is http://.
func (c *Config) TLSConfig() (*tls.Config, error) {
	u, err := parseURL(c.URL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" || (c.CAFile == "" && c.CertFile == "" && c.KeyFile == "" && c.ServerName == "" && !c.InsecureSkipVerify) {
		return nil, nil
	}
	return tlsclient.Files{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile,
		ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify}.Config("")
}
