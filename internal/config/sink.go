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
	// Path is a template (see docs/configuration.md, Templates): {group},
	// {stream}, {app}, {host}, {proc}, {fields.KEY}, {date} (the event's UTC
	// day) and %Y %m %d %H are replaced per event, each value made safe as
	// one path element, e.g. ./archive/{group}/{date}.ndjson.
	Path string `yaml:"path"`
	// Format is ndjson (default: one JSON event per line) or raw (the
	// frame as received, else the message, one per line).
	Format string `yaml:"format"`
	// Sync is batch (default: fsync before acknowledging), interval (every
	// sync_interval in the background) or never.
	Sync string `yaml:"sync"`
	// SyncInterval for sync: interval (default 1s).
	SyncInterval Duration `yaml:"sync_interval"`
	// NoSync is the older spelling of sync: never.
	NoSync bool `yaml:"no_sync"`
	// MaxOpenFiles bounds the files kept open (default 64).
	MaxOpenFiles int `yaml:"max_open_files"`
	// MaxFileBytes rotates a file before it grows beyond this (0: never).
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	// MaxFileAge rotates a file opened longer ago than this (0: never).
	MaxFileAge Duration `yaml:"max_file_age"`
	// Compress gzips rotated files.
	Compress bool `yaml:"compress"`
	// MaxFiles keeps at most this many rotated files per path (0: all).
	MaxFiles int `yaml:"max_files"`
	// MaxAge deletes rotated files older than this (0: never).
	MaxAge Duration `yaml:"max_age"`
}

func newFileSink() *FileSink {
	return &FileSink{Format: "ndjson", Sync: "batch", SyncInterval: Duration(time.Second), MaxOpenFiles: 64}
}

// SlackSink posts digests of events to a Slack incoming webhook: events
// are grouped by a key within a window, each group one message.
type SlackSink struct {
	// WebhookURL is the incoming webhook. Also webhook_url_file.
	WebhookURL Secret `yaml:"webhook_url"`
	// Window is how long events are gathered into digests (default 10s).
	Window Duration `yaml:"window"`
	// GroupBy is the digest key template (default
	// "{severity} {host} {app} {proc}").
	GroupBy string `yaml:"group_by"`
	// MaxLines per digest before "… and N more" (default 20).
	MaxLines int `yaml:"max_lines"`
	// MaxLineLength truncates long lines (default 300 characters).
	MaxLineLength int `yaml:"max_line_length"`
	// Channel and Username override the webhook's.
	Channel  string `yaml:"channel"`
	Username string `yaml:"username"`
	// Icons maps severity names to an emoji, e.g. {error: ":fire:"}.
	Icons map[string]string `yaml:"icons"`
	// Timeout bounds one request (default 10s).
	Timeout Duration `yaml:"timeout"`
}

// HTTPSink posts batches to an HTTP endpoint.
type HTTPSink struct {
	// URL is the endpoint (a secret: Sumo Logic's carries its token).
	// Also url_file.
	URL Secret `yaml:"url"`
	// Preset fills in headers and format for a known service: sumologic.
	Preset string `yaml:"preset"`
	// Method is POST (default) or PUT.
	Method string `yaml:"method"`
	// Headers are templates (e.g. "X-Sumo-Category: heroku/{app}"); a batch
	// is sent as one request per distinct set of header values.
	Headers map[string]Secret `yaml:"headers"`
	// Encoding is ndjson (default), json (an array) or text (the message,
	// or the line template, per line).
	Encoding string `yaml:"encoding"`
	// Template formats a line for encoding: text (default "{message}"
	// meaning the message).
	Template string `yaml:"template"`
	// Gzip compresses request bodies (default false; true for sumologic).
	Gzip *bool `yaml:"gzip"`
	// MaxBytes bounds one request's body before compression (default
	// 1MiB).
	MaxBytes ByteSize `yaml:"max_bytes"`
	// Username and Password for basic auth; BearerToken for bearer auth.
	Username    string `yaml:"username"`
	Password    Secret `yaml:"password"`
	BearerToken Secret `yaml:"bearer_token"`
	// TLS configures https:// endpoints.
	TLS *ClientTLSConfig `yaml:"tls"`
	// Timeout bounds one request (default 30s).
	Timeout Duration `yaml:"timeout"`
}

// ElasticsearchSink indexes events with the _bulk API (Elasticsearch and
// OpenSearch, including Amazon OpenSearch Service with SigV4).
type ElasticsearchSink struct {
	// URLs of the cluster's nodes, used round-robin with failover.
	URLs []string `yaml:"urls"`
	// Index is a template, e.g. logs-{app}-%Y.%m.%d (default
	// sluice-%Y.%m.%d).
	Index string `yaml:"index"`
	// DataStream, instead of Index, writes to a data stream (create).
	DataStream string `yaml:"data_stream"`
	// OmitID sends no _id (for servers that refuse ids); a replay after a
	// crash then duplicates documents.
	OmitID bool `yaml:"omit_id"`
	// Username and Password for basic auth. Also password_file.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// APIKey (the base64 "id:key" Elasticsearch gives). Also api_key_file.
	APIKey Secret `yaml:"api_key"`
	// AWS signs requests with SigV4 for Amazon OpenSearch Service.
	AWS *AWSSigning `yaml:"aws"`
	// Gzip compresses request bodies (default true).
	Gzip *bool `yaml:"gzip"`
	// MaxBulkBytes bounds one _bulk body (default 5MiB).
	MaxBulkBytes ByteSize `yaml:"max_bulk_bytes"`
	// TLS configures https:// URLs.
	TLS *ClientTLSConfig `yaml:"tls"`
	// Timeout bounds one request (default 30s).
	Timeout Duration `yaml:"timeout"`
}

// AWSSigning signs requests with AWS SigV4, with credentials from the
// environment, the shared files, or the instance/task role.
type AWSSigning struct {
	Region string `yaml:"region"`
	// Service is es (Amazon OpenSearch Service, default) or aoss
	// (OpenSearch Serverless).
	Service string `yaml:"service"`
}

// CloudWatchSink puts events into CloudWatch Logs. Not built yet.
type CloudWatchSink struct {
	Region    string `yaml:"region"`
	LogGroup  string `yaml:"log_group"`
	LogStream string `yaml:"log_stream"`
}

// StoreSink feeds the embedded searchable store that the API, `sluice
// tail`, `sluice search` and the web UI read. At most one per
// configuration.
type StoreSink struct {
	// Dir holds one SQLite database per UTC day (default
	// DATA_DIR/store).
	Dir string `yaml:"dir"`
	// Retention deletes whole days older than this (default 168h, a week).
	Retention Duration `yaml:"retention"`
	// MaxBytes deletes the oldest days until the store takes at most this
	// much disk (default 0: no size limit; the newest day is always kept).
	MaxBytes ByteSize `yaml:"max_bytes"`
	// QueryTimeout bounds each search, histogram and listing (default 10s).
	QueryTimeout Duration `yaml:"query_timeout"`
}

// Defaults of the store sink.
const (
	DefaultStoreRetention    = Duration(7 * 24 * time.Hour)
	DefaultStoreQueryTimeout = Duration(10 * time.Second)
)

// Validate checks the store's limits.
func (s *StoreSink) Validate() error {
	var p problems
	if s.Retention < Duration(time.Hour) {
		p.add("retention", "cannot keep events for only %s: use at least 1h (default 168h)", s.Retention)
	}
	if s.MaxBytes != 0 && s.MaxBytes < 16*MiB {
		p.add("max_bytes", "cannot cap the store at %d bytes: use 0 (no cap) or at least 16MiB", int64(s.MaxBytes))
	}
	if s.QueryTimeout < Duration(100*time.Millisecond) || s.QueryTimeout > Duration(10*time.Minute) {
		p.add("query_timeout", "cannot use %s: use 100ms to 10m (default 10s)", s.QueryTimeout)
	}
	return p.err()
}

func sinkTypes() []unionType {
	return []unionType{
		{SinkSyslog, true},
		{SinkFile, true},
		{SinkSlack, true},
		{SinkHTTP, true},
		{SinkElasticsearch, true},
		{SinkCloudWatch, false},
		{SinkStore, true},
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
		s.Slack = &SlackSink{Window: DefaultSlackWindow, GroupBy: DefaultSlackGroupBy, MaxLines: 20, MaxLineLength: 300, Timeout: Duration(10 * time.Second)}
	case SinkHTTP:
		// Zero values take the sink's defaults, or the preset's.
		s.HTTP = &HTTPSink{}
	case SinkElasticsearch:
		s.Elasticsearch = &ElasticsearchSink{Index: defaultESIndex, MaxBulkBytes: 5 * MiB, Timeout: Duration(30 * time.Second)}
	case SinkCloudWatch:
		s.CloudWatch = &CloudWatchSink{}
	case SinkStore:
		s.Store = &StoreSink{Retention: DefaultStoreRetention, QueryTimeout: DefaultStoreQueryTimeout}
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
		case s.Slack != nil:
			return s.Slack.Validate()
		case s.HTTP != nil:
			return s.HTTP.Validate()
		case s.Elasticsearch != nil:
			return s.Elasticsearch.Validate()
		case s.Store != nil:
			return s.Store.Validate()
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

// defaultESIndex is the Elasticsearch sink's index template.
const defaultESIndex = "sluice-%Y.%m.%d"

// Slack sink defaults.
const (
	DefaultSlackWindow  = Duration(10 * time.Second)
	DefaultSlackGroupBy = "{severity} {host} {app} {proc}"
)
