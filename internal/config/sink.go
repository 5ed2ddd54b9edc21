package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sink types. syslog and file are built in this version; the others are
// recognised (their keys parse) and refused by Validate.
const (
	SinkSyslog        = "syslog"
	SinkFile          = "file"
	SinkSlack         = "slack"
	SinkHTTP          = "http"
	SinkElasticsearch = "elasticsearch"
	SinkCloudWatch    = "cloudwatch"
	SinkStore         = "store"
)

// Sink is one destination, a union keyed by Type: exactly the field for
// Type is set.
//
//	splunk: {type: syslog, address: "tls://splunk.internal:6514"}
type Sink struct {
	// Type selects the kind of sink, and which field below is set.
	Type          string
	Syslog        *SyslogSink
	File          *FileSink
	Slack         *SlackSink
	HTTP          *HTTPSink
	Elasticsearch *ElasticsearchSink
	CloudWatch    *CloudWatchSink
	Store         *StoreSink
}

// SyslogSink forwards events over TCP or TLS on a pool of persistent
// connections, octet-counted (RFC 6587).
type SyslogSink struct {
	// Address is tcp://host:port or tls://host:port.
	Address string `yaml:"address"`
	// Connections is the number of connections (default 4).
	Connections int `yaml:"connections"`
	// Format is rfc5424 (default), raw (the frame as received, for
	// syslog inputs) or logiss (byte for byte what heroku/log-iss forwards:
	// the Logplex frame with [origin ip="…"] and the metadata element of
	// the logplex source's metadata_id in its STRUCTURED-DATA).
	Format string `yaml:"format"`
	// ConnectTimeout bounds connecting, TLS handshake included (default 5s).
	ConnectTimeout Duration `yaml:"connect_timeout"`
	// WriteTimeout bounds writing one batch (default 10s).
	WriteTimeout Duration `yaml:"write_timeout"`
	// TLS configures tls:// addresses.
	TLS *ClientTLSConfig `yaml:"tls"`
}

// ClientTLSConfig configures a TLS client.
type ClientTLSConfig struct {
	// CAFile is a PEM bundle of the CAs that may sign the server's
	// certificate, trusted instead of the system's roots (log-iss's
	// PEMFILE).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate and key (PEM), for
	// servers that require one.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name to verify the server's certificate against
	// (default: the address's host).
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Syslog sink defaults.
const (
	DefaultConnections    = 4
	DefaultConnectTimeout = Duration(5 * time.Second)
	DefaultWriteTimeout   = Duration(10 * time.Second)
)

func newSyslogSink() *SyslogSink {
	return &SyslogSink{
		Connections:    DefaultConnections,
		Format:         "rfc5424",
		ConnectTimeout: DefaultConnectTimeout,
		WriteTimeout:   DefaultWriteTimeout,
	}
}

// FileSink appends events to files named by a path template.
type FileSink struct {
	// Path is a template: {group}, {stream}, {app}, {host} and {date} (the
	// event's UTC day, 2006-01-02) are replaced per event, e.g.
	// ./archive/{group}/{date}.ndjson.
	Path string `yaml:"path"`
	// Format is ndjson (default): one JSON event per line.
	Format string `yaml:"format"`
	// NoSync skips the fsync after each batch: faster, but a machine crash
	// may lose the last batches.
	NoSync bool `yaml:"no_sync"`
	// MaxOpenFiles bounds the files kept open (default 64).
	MaxOpenFiles int `yaml:"max_open_files"`
}

func newFileSink() *FileSink { return &FileSink{Format: "ndjson", MaxOpenFiles: 64} }

// SlackSink posts digests to a Slack incoming webhook. Not built yet.
type SlackSink struct {
	// WebhookURL is the incoming webhook. Also webhook_url_file.
	WebhookURL Secret `yaml:"webhook_url"`
	// Window is how long events are gathered into one digest.
	Window Duration `yaml:"window"`
}

// HTTPSink posts batches to an HTTP endpoint. Not built yet.
type HTTPSink struct {
	URL string `yaml:"url"`
	// Preset fills in headers and format for a known service: sumologic.
	Preset string `yaml:"preset"`
	// Headers are sent with every request; their values are secrets.
	Headers map[string]Secret `yaml:"headers"`
	Gzip    bool              `yaml:"gzip"`
}

// ElasticsearchSink indexes events with _bulk (also OpenSearch). Not built
// yet.
type ElasticsearchSink struct {
	URLs     []string `yaml:"urls"`
	Index    string   `yaml:"index"`
	Username string   `yaml:"username"`
	// Password is also password_file.
	Password Secret `yaml:"password"`
	// APIKey is also api_key_file.
	APIKey Secret `yaml:"api_key"`
	// AWSRegion, when set, signs requests with SigV4 (Amazon OpenSearch).
	AWSRegion string `yaml:"aws_region"`
}

// CloudWatchSink puts events into CloudWatch Logs. Not built yet.
type CloudWatchSink struct {
	Region    string `yaml:"region"`
	LogGroup  string `yaml:"log_group"`
	LogStream string `yaml:"log_stream"`
}

// StoreSink feeds the embedded searchable store. Not built yet.
type StoreSink struct {
	Retention Duration `yaml:"retention"`
}

func sinkTypes() []unionType {
	return []unionType{
		{SinkSyslog, true},
		{SinkFile, true},
		{SinkSlack, false},
		{SinkHTTP, false},
		{SinkElasticsearch, false},
		{SinkCloudWatch, false},
		{SinkStore, false},
	}
}

func (s *Sink) kind() string       { return "sink" }
func (s *Sink) types() []unionType { return sinkTypes() }
func (s *Sink) typeName() string   { return s.Type }
func (s *Sink) variant() reflect.Value {
	switch s.Type {
	case SinkSyslog:
		return reflect.ValueOf(s.Syslog)
	case SinkFile:
		return reflect.ValueOf(s.File)
	case SinkSlack:
		return reflect.ValueOf(s.Slack)
	case SinkHTTP:
		return reflect.ValueOf(s.HTTP)
	case SinkElasticsearch:
		return reflect.ValueOf(s.Elasticsearch)
	case SinkCloudWatch:
		return reflect.ValueOf(s.CloudWatch)
	case SinkStore:
		return reflect.ValueOf(s.Store)
	}
	return reflect.Value{}
}

func (s *Sink) choose(typ string) (reflect.Value, bool) {
	*s = Sink{Type: typ}
	switch typ {
	case SinkSyslog:
		s.Syslog = newSyslogSink()
	case SinkFile:
		s.File = newFileSink()
	case SinkSlack:
		s.Slack = &SlackSink{}
	case SinkHTTP:
		s.HTTP = &HTTPSink{}
	case SinkElasticsearch:
		s.Elasticsearch = &ElasticsearchSink{}
	case SinkCloudWatch:
		s.CloudWatch = &CloudWatchSink{}
	case SinkStore:
		s.Store = &StoreSink{}
	default:
		*s = Sink{}
		return reflect.Value{}, false
	}
	return s.variant(), true
}

// Validate checks the sink.
func (s *Sink) Validate() error {
	return validateUnion(s, func() error {
		switch {
		case s.Syslog != nil:
			return s.Syslog.Validate()
		case s.File != nil:
			return s.File.Validate()
		}
		return &Error{Err: fmt.Errorf("cannot use a %s sink without its settings", s.Type)}
	})
}

// Validate checks the address, pool, format, timeouts and TLS files.
func (s *SyslogSink) Validate() error {
	var p problems
	scheme, hostport, ok := strings.Cut(s.Address, "://")
	switch {
	case s.Address == "":
		p.add("address", "cannot forward without an address: set tcp://host:port or tls://host:port, e.g. tls://logs.example.com:6514")
	case !ok || (scheme != "tcp" && scheme != "tls"):
		p.add("address", "cannot forward to %q: want tcp://host:port or tls://host:port, e.g. tls://logs.example.com:6514", s.Address)
	default:
		host, port, err := net.SplitHostPort(hostport)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			p.add("address", "cannot forward to %q: want %s://host:port with a port from 1 to 65535, e.g. %s://logs.example.com:6514", s.Address, scheme, scheme)
		}
		if s.TLS != nil && scheme != "tls" {
			p.add("tls", "cannot use TLS settings with %s: change the address to tls://%s", s.Address, hostport)
		}
	}
	if s.Connections < 1 || s.Connections > 1024 {
		p.add("connections", "cannot use %d connections: use 1 to 1024 (default %d)", s.Connections, DefaultConnections)
	}
	if !slices.Contains([]string{"rfc5424", "raw", "logiss"}, s.Format) {
		p.add("format", "cannot use format %q: use rfc5424, raw or logiss", s.Format)
	}
	if s.ConnectTimeout <= 0 {
		p.add("connect_timeout", "cannot use a connect timeout of %s: use a positive duration, e.g. %s", s.ConnectTimeout, DefaultConnectTimeout)
	}
	if s.WriteTimeout <= 0 {
		p.add("write_timeout", "cannot use a write timeout of %s: use a positive duration, e.g. %s", s.WriteTimeout, DefaultWriteTimeout)
	}
	if s.TLS != nil {
		p.addAll("tls", s.TLS.Validate())
	}
	return p.err()
}

// Validate checks that the CA, certificate and key files can be used.
func (t *ClientTLSConfig) Validate() error {
	var p problems
	if t.CAFile != "" {
		if err := checkCAFile(t.CAFile); err != nil {
			p.add("ca_file", "%v", err)
		}
	}
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "":
		p.add("cert_file", "cannot use key_file without cert_file: set both (PEM), or neither")
	case t.KeyFile == "":
		p.add("key_file", "cannot use cert_file without key_file: set both (PEM), or neither")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			p.add("cert_file", "cannot load the client certificate and key: %v", err)
		}
	}
	return p.err()
}

// Validate checks the path template and format.
func (f *FileSink) Validate() error {
	var p problems
	if f.Path == "" {
		p.add("path", "cannot write files without a path: set a template, e.g. ./archive/{group}/{date}.ndjson")
	} else {
		rest := f.Path
		for _, ph := range []string{"{group}", "{stream}", "{app}", "{host}", "{date}"} {
			rest = strings.ReplaceAll(rest, ph, "")
		}
		if strings.ContainsAny(rest, "{}") {
			p.add("path", "cannot use path template %q: it has an unknown placeholder; known are {group} {stream} {app} {host} {date}", f.Path)
		}
	}
	if f.Format != "ndjson" {
		p.add("format", "cannot write format %q: use ndjson", f.Format)
	}
	if f.MaxOpenFiles < 1 {
		p.add("max_open_files", "cannot keep %d files open: use at least 1 (default 64)", f.MaxOpenFiles)
	}
	return p.err()
}
