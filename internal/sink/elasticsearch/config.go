package elasticsearch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/sink/tlsclient"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultIndex        = "sluice-%Y.%m.%d"
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBulkBytes = 5 << 20
	// MinMaxBulkBytes is the smallest MaxBulkBytes accepted.
	MinMaxBulkBytes = 1 << 10
	// MaxURLs bounds Config.URLs.
	MaxURLs = 64
)

// The AWS services requests can be signed for.
const (
	// ServiceES is Amazon OpenSearch Service (managed domains).
	ServiceES = "es"
	// ServiceAOSS is Amazon OpenSearch Serverless.
	ServiceAOSS = "aoss"
)

// Config configures an Elasticsearch / OpenSearch sink. Zero values take the
// defaults above.
type Config struct {
	// URLs of the cluster (http:// or https://, optionally with a path
	// prefix, e.g. "https://proxy.example/es"), used round-robin; a URL
	// that cannot be reached is skipped for a while and the request goes to
	// the next one. At least one.
	URLs []string

	// Index is a template for the index name (package tmpl: {app},
	// {fields.KEY}, %Y.%m.%d, ...); default "sluice-%Y.%m.%d". Documents are
	// written with the bulk "index" action. Values taken from the event are
	// lowercased and characters not allowed in index names become '_'.
	Index string
	// DataStream, instead of Index, names a data stream (also a template,
	// e.g. "logs-sluice-default" or "logs-{app}-default"). Documents are
	// written with the "create" action, the only one data streams accept;
	// the cluster needs an index template with data_stream enabled that
	// matches the name.
	DataStream string
	// OmitID leaves out the document _id (the event ID) for destinations
	// that refuse client-chosen ids, e.g. OpenSearch Serverless time-series
	// collections. Replays after a crash then create duplicates.
	OmitID bool

	// Username and Password authenticate with HTTP basic auth.
	Username string
	Password string
	// APIKey authenticates with "Authorization: ApiKey <key>": either the
	// "encoded" value Elasticsearch returns when the key is created (base64
	// of id:api_key), sent as is, or "id:api_key", which is encoded here.
	APIKey string
	// AWS, when set, signs requests with AWS Signature Version 4 for Amazon
	// OpenSearch Service or OpenSearch Serverless, with credentials from the
	// AWS SDK's default chain (environment, shared files, SSO, container or
	// instance role).
	AWS *AWSConfig

	// DisableGzip sends request bodies uncompressed. By default they are
	// gzip'd (Content-Encoding: gzip), which Elasticsearch (5.0 and later)
	// and OpenSearch always accept.
	DisableGzip bool
	// Timeout bounds one HTTP request, reading the response included
	// (default 30s).
	Timeout time.Duration
	// MaxBulkBytes bounds the uncompressed body of one _bulk request
	// (default 5 MiB); larger batches are split into several requests. A
	// single event larger than this is sent alone.
	MaxBulkBytes int

	// CAFile is a PEM bundle of the CAs to trust for https:// URLs; the
	// system pool when empty.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key for mutual
	// TLS; both or neither.
	CertFile string
	KeyFile  string
	// ServerName overrides the name the server certificate is checked
	// against (default: the host of each URL).
	ServerName string
	// InsecureSkipVerify disables server certificate checks. Testing only.
	InsecureSkipVerify bool
}

// AWSConfig selects AWS SigV4 signing.
type AWSConfig struct {
	// Region of the domain or collection, e.g. "eu-west-1". Empty: the
	// SDK's default (AWS_REGION, AWS_DEFAULT_REGION, the shared config
	// file).
	Region string
	// Service is "es" (Amazon OpenSearch Service, the default) or "aoss"
	// (OpenSearch Serverless).
	Service string
}

// Validate reports every problem with c at once (joined), without reading
// any file.
func (c Config) Validate() error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, errors.New("cannot use urls: none set; give at least one, e.g. https://localhost:9200"))
	}
	if len(c.URLs) > MaxURLs {
		errs = append(errs, fmt.Errorf("cannot use urls: %d given, at most %d allowed", len(c.URLs), MaxURLs))
	}
	https := false
	for _, raw := range c.URLs {
		u, err := parseURL(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if u.Scheme == "https" {
			https = true
		}
	}
	if c.Index != "" && c.DataStream != "" {
		errs = append(errs, errors.New("cannot use both index and data_stream: set one (index writes with the index action, data_stream with create)"))
	}
	if c.Index != "" {
		if err := validateNameTemplate("index", c.Index); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DataStream != "" {
		if err := validateNameTemplate("data_stream", c.DataStream); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("cannot use password without username: set username too"))
	}
	auths := 0
	for _, set := range []bool{c.Username != "", c.APIKey != "", c.AWS != nil} {
		if set {
			auths++
		}
	}
	if auths > 1 {
		errs = append(errs, errors.New("cannot use several authentications: set one of username/password, api_key or aws"))
	}
	if strings.ContainsAny(c.APIKey, " \t\r\n") {
		errs = append(errs, errors.New("cannot use api_key: it contains white space; give the encoded key or id:api_key"))
	}
	if c.AWS != nil {
		switch c.AWS.Service {
		case "", ServiceES, ServiceAOSS:
		default:
			errs = append(errs, fmt.Errorf("cannot use aws service %q: want es (Amazon OpenSearch Service) or aoss (OpenSearch Serverless)", c.AWS.Service))
		}
		if c.AWS.Region != "" && !isRegion(c.AWS.Region) {
			errs = append(errs, fmt.Errorf("cannot use aws region %q: want a region name such as eu-west-1", c.AWS.Region))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("cannot use timeout %v: must not be negative", c.Timeout))
	}
	if c.MaxBulkBytes != 0 && c.MaxBulkBytes < MinMaxBulkBytes {
		errs = append(errs, fmt.Errorf("cannot use max_bulk_bytes %d: must be at least %d", c.MaxBulkBytes, MinMaxBulkBytes))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cannot use client certificate: cert_file and key_file must be set together"))
	}
	tlsSet := c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "" || c.InsecureSkipVerify
	if tlsSet && !https && len(c.URLs) > 0 {
		errs = append(errs, errors.New("cannot use TLS settings: no url is https://"))
	}
	return errors.Join(errs...)
}

// parseURL checks one of Config.URLs.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, which may hold a password: keep only
		// the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot use url: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("cannot use url %q: want http:// or https://", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("cannot use url %q: missing host", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("cannot use url %q: put credentials in username/password, not in the URL", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("cannot use url %q: must not have a query or fragment", u.Redacted())
	}
	return u, nil
}

// validateNameTemplate checks that name parses and that its literal parts
// are allowed in an index name: expanding it with harmless values must give
// a valid name.
func validateNameTemplate(key, name string) error {
	t, err := tmpl.Parse(name)
	if err != nil {
		return fmt.Errorf("cannot use %s: %w", key, err)
	}
	sample := event.Event{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: "h", App: "a", Proc: "p", MsgID: "m",
		Group: "g", Stream: "s", Source: "src", ID: "i",
	}
	var n indexNamer
	n.t = t
	got, problem := n.name(nil, &sample)
	// A template starting with a placeholder may start with anything: the
	// event's value decides (and a bad one is refused per event).
	if problem != "" && !strings.HasPrefix(name, "{") {
		return fmt.Errorf("cannot use %s %q: %s", key, name, problem)
	}
	if lower := strings.ToLower(string(got)); lower != string(got) {
		return fmt.Errorf("cannot use %s %q: index names must be lowercase", key, name)
	}
	if r := invalidNameChar(string(got)); r >= 0 {
		return fmt.Errorf(`cannot use %s %q: %q is not allowed in index names (nor are \ / * ? " < > | , # : space and control characters)`, key, name, r)
	}
	if strings.HasPrefix(string(got), ".ds-") {
		return fmt.Errorf("cannot use %s %q: names starting with .ds- are reserved for data stream backing indices", key, name)
	}
	return nil
}

func isRegion(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Index == "" && c.DataStream == "" {
		c.Index = DefaultIndex
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBulkBytes == 0 {
		c.MaxBulkBytes = DefaultMaxBulkBytes
	}
	if c.AWS != nil && c.AWS.Service == "" {
		a := *c.AWS
		a.Service = ServiceES
		c.AWS = &a
	}
	return c
}

// tlsConfig builds the TLS client configuration: CA bundle (or the system
// pool), optional client certificate, server name, TLS 1.2 or later.
func (c *Config) tlsConfig() (*tls.Config, error) {
	return tlsclient.Files{CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile,
		ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify}.Config("")
}
