package config

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Source types. cwlogs_api is recognised (its keys parse) and refused by
// Validate until it is built.
const (
	SourceLogplex    = "logplex"
	SourceSyslog     = "syslog"
	SourceFirehose   = "firehose"
	SourceCloudWatch = "cloudwatch"
	SourceCWLogsAPI  = "cwlogs_api"
	SourceIngest     = "ingest"
)

// Source is one input, a union keyed by Type: exactly the field for Type is
// set.
//
//	heroku: {type: logplex, path: /logs, auth: drains}
type Source struct {
	// Type selects the kind of source, and which field below is set.
	Type       string
	Logplex    *LogplexSource
	Syslog     *SyslogSource
	Firehose   *FirehoseSource
	CloudWatch *CloudWatchSource
	CWLogsAPI  *CWLogsAPISource
	Ingest     *IngestSource
}

// LogplexSource receives Heroku Logplex HTTPS drains: POSTs of
// application/logplex-1 bodies.
type LogplexSource struct {
	// Path is where drains POST (default /logs).
	Path string `yaml:"path"`
	// Auth names a credential of type basic; empty accepts any request
	// (only allowed on loopback, or with http.insecure).
	Auth string `yaml:"auth"`
	// EnforceHTTPS refuses requests that did not arrive over HTTPS
	// (directly, or per X-Forwarded-Proto from a trusted proxy) with 400,
	// as log-iss's ENFORCE_SSL does.
	EnforceHTTPS bool `yaml:"enforce_https"`
	// MaxBodyBytes bounds one request body (default 10MiB).
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Severity says when to recover the severity of app lines from their
	// text: auto (default: when the transport gave only its default),
	// always, or never.
	Severity string `yaml:"severity"`
	// KeepRaw keeps each frame's original text in the event's fields.
	KeepRaw bool `yaml:"keep_raw"`
	// DrainNames maps a Logplex-Drain-Token ("d.xxxxxxxx-…") to the app
	// name its events get (group heroku/<app>), for drains whose frames do
	// not name the app.
	DrainNames map[string]string `yaml:"drain_names"`
	// DedupeWindow is how long frame ids (Logplex-Frame-Id + index) are
	// remembered to drop Logplex's retried deliveries (default 10m; 0
	// keeps duplicates).
	DedupeWindow Duration `yaml:"dedupe_window"`

	// MetadataID, QueryParams and FieldParams copy query parameters of the
	// drain URL into every event of the request, as log-iss does with
	// METADATA_ID and LOG_ISS_FIELD_PARAMS. For a drain
	// https://…/logs?index=web&team=core with metadata_id "meta@123",
	// query_params [index] and field_params [team], each event gets the
	// fields "meta@123.index"="web" and "meta@123.fields"="team=core" —
	// the RFC 5424 element [meta@123 index="web" fields="team=core"],
	// which the syslog sink's logiss format writes after
	// [origin ip="…"]. Parameters absent or empty in a request are left
	// out; field_params are joined as k=v with "," in the order listed.
	//
	// MetadataID is the SD-ID of that element; QueryParams and FieldParams
	// need it.
	MetadataID string `yaml:"metadata_id"`
	// QueryParams become one SD-PARAM each.
	QueryParams []string `yaml:"query_params"`
	// FieldParams are packed into one "fields" SD-PARAM.
	FieldParams []string `yaml:"field_params"`
	// Rules filter and transform events before they are written to the
	// log: dropped lines never cost disk (same transforms as
	// subscriptions).
	Rules []Transform `yaml:"rules"`
}

// Logplex source defaults.
const (
	DefaultLogplexPath  = "/logs"
	DefaultMaxBodyBytes = 10 * MiB
	DefaultDedupeWindow = Duration(10 * time.Minute)
)

func newLogplexSource() *LogplexSource {
	return &LogplexSource{
		Path:         DefaultLogplexPath,
		MaxBodyBytes: DefaultMaxBodyBytes,
		Severity:     "auto",
		DedupeWindow: DefaultDedupeWindow,
	}
}

// SyslogSource receives syslog over TCP, TLS and UDP: RFC 5424 and RFC
// 3164, octet-counted or newline-framed, detected per connection and per
// message.
type SyslogSource struct {
	// Listen lists URLs to listen on: tcp://host:port, tls://host:port,
	// udp://host:port.
	Listen []string `yaml:"listen"`
	// TLS is the certificate for tls:// listeners, and optionally the CA
	// client certificates must be signed by (mutual TLS).
	TLS *TLSConfig `yaml:"tls"`
	// AllowedClients limits mutual-TLS clients to these certificate names
	// (CN or DNS SAN); empty accepts every verified client.
	AllowedClients []string `yaml:"allowed_clients"`
	// MaxMessageBytes bounds one message (default 64KiB).
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
	// MaxConnections bounds concurrent TCP/TLS connections (default 1024).
	MaxConnections int `yaml:"max_connections"`
	// IdleTimeout closes a TCP connection that sent nothing for this long
	// (default 5m).
	IdleTimeout Duration `yaml:"idle_timeout"`
	// UDPReadBuffer sets the UDP socket's receive buffer (SO_RCVBUF);
	// 0 keeps the system's default.
	UDPReadBuffer ByteSize `yaml:"udp_read_buffer"`
	// Group and Stream say where events belong: host (default for group),
	// app (default for stream), or fixed:NAME.
	Group  string `yaml:"group"`
	Stream string `yaml:"stream"`
	// Severity says when to recover the severity from the text: auto
	// (default), always or never.
	Severity string `yaml:"severity"`
	// Rules filter and transform events before they are written to the
	// log: dropped lines never cost disk (same transforms as
	// subscriptions).
	Rules []Transform `yaml:"rules"`
}

// FirehoseSource receives Kinesis Data Firehose HTTP endpoint deliveries of
// CloudWatch Logs subscription records.
type FirehoseSource struct {
	// Path is where Firehose POSTs (default /firehose).
	Path string `yaml:"path"`
	// AccessKeys are accepted in X-Amz-Firehose-Access-Key (several for
	// rotation). Also access_keys_file.
	AccessKeys []Secret `yaml:"access_keys"`
	// Auth names a credential of type firehose_key, instead of AccessKeys.
	Auth string `yaml:"auth"`
	// Region is recorded when the source ARN does not say (aws.region).
	Region string `yaml:"region"`
	// MaxBodyBytes bounds a request (default 64MiB, Firehose's largest
	// buffer).
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Severity: auto (default), always or never.
	Severity string `yaml:"severity"`
	// Rules filter and transform events before they are written to the
	// log: dropped lines never cost disk (same transforms as
	// subscriptions).
	Rules []Transform `yaml:"rules"`
}

// CloudWatchSource receives Lambda-style {"awslogs":{"data":…}} events, as
// a forwarder function POSTs them.
type CloudWatchSource struct {
	// Path (default /cloudwatch).
	Path string `yaml:"path"`
	// Auth names a credential of type bearer.
	Auth string `yaml:"auth"`
	// Region is recorded on events (aws.region) when set.
	Region string `yaml:"region"`
	// MaxBodyBytes bounds a request (default 16MiB).
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Severity: auto (default), always or never.
	Severity string `yaml:"severity"`
	// Rules filter and transform events before they are written to the
	// log: dropped lines never cost disk (same transforms as
	// subscriptions).
	Rules []Transform `yaml:"rules"`
}

// CWLogsAPISource answers a subset of the CloudWatch Logs JSON API. Not
// built yet.
type CWLogsAPISource struct {
	Path string `yaml:"path"`
	Auth string `yaml:"auth"`
}

// IngestSource receives JSON and NDJSON batches of events, or text lines,
// from apps and the Go client.
type IngestSource struct {
	// Path (default /ingest); POST PATH/<group> sets the group.
	Path string `yaml:"path"`
	// Auth names a credential of type bearer; its groups limit what each
	// token may write.
	Auth string `yaml:"auth"`
	// MaxBodyBytes bounds a request (default 10MiB).
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Severity: auto (default), always or never.
	Severity string `yaml:"severity"`
	// Rules filter and transform events before they are written to the
	// log: dropped lines never cost disk (same transforms as
	// subscriptions).
	Rules []Transform `yaml:"rules"`
}

// Defaults of the other sources.
const (
	DefaultSyslogMaxMessage   = 64 * KiB
	DefaultSyslogConnections  = 1024
	DefaultSyslogIdleTimeout  = Duration(5 * time.Minute)
	DefaultFirehosePath       = "/firehose"
	DefaultFirehoseMaxBody    = 64 * MiB
	DefaultCloudWatchPath     = "/cloudwatch"
	DefaultCloudWatchMaxBody  = 16 * MiB
	DefaultIngestPath         = "/ingest"
	DefaultIngestMaxBodyBytes = 10 * MiB
)

func newSyslogSource() *SyslogSource {
	return &SyslogSource{MaxMessageBytes: DefaultSyslogMaxMessage, MaxConnections: DefaultSyslogConnections,
		IdleTimeout: DefaultSyslogIdleTimeout, Group: "host", Stream: "app", Severity: "auto"}
}

func newFirehoseSource() *FirehoseSource {
	return &FirehoseSource{Path: DefaultFirehosePath, MaxBodyBytes: DefaultFirehoseMaxBody, Severity: "auto"}
}

func newCloudWatchSource() *CloudWatchSource {
	return &CloudWatchSource{Path: DefaultCloudWatchPath, MaxBodyBytes: DefaultCloudWatchMaxBody, Severity: "auto"}
}

func newIngestSource() *IngestSource {
	return &IngestSource{Path: DefaultIngestPath, MaxBodyBytes: DefaultIngestMaxBodyBytes, Severity: "auto"}
}

// TransformRules returns the source's rules.
func (s *Source) TransformRules() []Transform {
	switch {
	case s.Logplex != nil:
		return s.Logplex.Rules
	case s.Syslog != nil:
		return s.Syslog.Rules
	case s.Firehose != nil:
		return s.Firehose.Rules
	case s.CloudWatch != nil:
		return s.CloudWatch.Rules
	case s.Ingest != nil:
		return s.Ingest.Rules
	}
	return nil
}

// sourceTypes lists the source types; built says which are built.
func sourceTypes() []unionType {
	return []unionType{
		{SourceLogplex, true},
		{SourceSyslog, true},
		{SourceFirehose, true},
		{SourceCloudWatch, true},
		{SourceCWLogsAPI, false},
		{SourceIngest, true},
	}
}

// unionType is one type of a source or sink.
type unionType struct {
	name  string
	built bool
}

func typeNames(ts []unionType, builtOnly bool) string {
	var names []string
	for _, t := range ts {
		if t.built || !builtOnly {
			names = append(names, t.name)
		}
	}
	return strings.Join(names, ", ")
}

func isBuilt(ts []unionType, name string) (built, known bool) {
	for _, t := range ts {
		if t.name == name {
			return t.built, true
		}
	}
	return false, false
}

// union is implemented by Source and Sink for the decoder and Redacted.
type union interface {
	// kind is "source" or "sink".
	kind() string
	types() []unionType
	// choose sets the type and a new variant with its defaults, and returns
	// a pointer to the variant; false if the type is unknown.
	choose(typ string) (reflect.Value, bool)
	// typeName and variant return the type and the variant set.
	typeName() string
	variant() reflect.Value
}

func (s *Source) kind() string       { return "source" }
func (s *Source) types() []unionType { return sourceTypes() }
func (s *Source) typeName() string   { return s.Type }
func (s *Source) variant() reflect.Value {
	switch s.Type {
	case SourceLogplex:
		return reflect.ValueOf(s.Logplex)
	case SourceSyslog:
		return reflect.ValueOf(s.Syslog)
	case SourceFirehose:
		return reflect.ValueOf(s.Firehose)
	case SourceCloudWatch:
		return reflect.ValueOf(s.CloudWatch)
	case SourceCWLogsAPI:
		return reflect.ValueOf(s.CWLogsAPI)
	case SourceIngest:
		return reflect.ValueOf(s.Ingest)
	}
	return reflect.Value{}
}

func (s *Source) choose(typ string) (reflect.Value, bool) {
	*s = Source{Type: typ}
	switch typ {
	case SourceLogplex:
		s.Logplex = newLogplexSource()
	case SourceSyslog:
		s.Syslog = newSyslogSource()
	case SourceFirehose:
		s.Firehose = newFirehoseSource()
	case SourceCloudWatch:
		s.CloudWatch = newCloudWatchSource()
	case SourceCWLogsAPI:
		s.CWLogsAPI = &CWLogsAPISource{}
	case SourceIngest:
		s.Ingest = newIngestSource()
	default:
		*s = Source{}
		return reflect.Value{}, false
	}
	return s.variant(), true
}

// Validate checks the source on its own; Config.Validate also checks what
// it refers to (its auth, its HTTP path).
func (s *Source) Validate() error {
	return validateUnion(s, func() error {
		var p problems
		for i, t := range s.TransformRules() {
			path := fmt.Sprintf("rules[%d]", i)
			switch t.Type {
			case TransformSample, TransformDedupe, TransformThrottle:
				// A request the log refuses (full) is retried by its
				// sender: stateful rules would count the refused attempt
				// and drop the retry.
				p.add(path+".type", "cannot use %s in a source's rules: a request refused while the log is full would count as seen and its retry be dropped; use it in a subscription's transforms", t.Type)
				continue
			}
			p.addAll(path, t.Validate())
		}
		p.addAll("", s.validateVariant())
		return p.err()
	})
}

func (s *Source) validateVariant() error {
	switch {
	case s.Logplex != nil:
		return s.Logplex.Validate()
	case s.Syslog != nil:
		return s.Syslog.Validate()
	case s.Firehose != nil:
		return s.Firehose.Validate()
	case s.CloudWatch != nil:
		return s.CloudWatch.Validate()
	case s.Ingest != nil:
		return s.Ingest.Validate()
	}
	return &Error{Err: fmt.Errorf("cannot use a %s source without its settings", s.Type)}
}

// validateUnion checks a union's type, then its variant with validate.
func validateUnion(u union, validate func() error) error {
	var p problems
	t := u.typeName()
	built, known := isBuilt(u.types(), t)
	switch {
	case t == "":
		p.add("type", "cannot use a %s without a type: set type to one of %s", u.kind(), typeNames(u.types(), false))
	case !known:
		p.add("type", "cannot use %s type %q: it does not exist; use one of %s", u.kind(), t, typeNames(u.types(), false))
	case !built:
		p.add("", "type %q is not built yet in this version of sluice; remove this %s, or use a type that is built: %s", t, u.kind(), typeNames(u.types(), true))
	default:
		p.addAll("", validate())
	}
	return p.err()
}

// Validate checks the drain endpoint's settings.
func (l *LogplexSource) Validate() error {
	var p problems
	if !strings.HasPrefix(l.Path, "/") || strings.ContainsAny(l.Path, "?# \t\r\n") {
		p.add("path", "cannot serve at %q: want a URL path starting with /, without ? or #, e.g. /logs", l.Path)
	}
	if l.MaxBodyBytes <= 0 {
		p.add("max_body_bytes", "cannot use a body limit of %s: use a positive size, e.g. %s", l.MaxBodyBytes, DefaultMaxBodyBytes)
	}
	if !slices.Contains([]string{"auto", "always", "never"}, l.Severity) {
		p.add("severity", "cannot use severity mode %q: use auto, always or never", l.Severity)
	}
	if l.DedupeWindow < 0 {
		p.add("dedupe_window", "cannot use a negative window (%s): use 0 to keep duplicates, or e.g. %s", l.DedupeWindow, DefaultDedupeWindow)
	}
	for _, token := range sortedKeys(l.DrainNames) {
		app := l.DrainNames[token]
		switch {
		case token == "":
			p.add("drain_names", "cannot map an empty drain token: use the Logplex-Drain-Token, e.g. d.01234567-89ab-cdef-0123-456789abcdef")
		case app == "" || strings.ContainsAny(app, "/ \t\r\n"):
			p.add(joinPath("drain_names", token), "cannot name an app %q: use the app's name, without / or spaces", app)
		}
	}
	if l.MetadataID == "" {
		if len(l.QueryParams)+len(l.FieldParams) > 0 {
			p.add("metadata_id", "cannot copy query parameters without metadata_id: set the SD-ID of the structured-data element they go into, e.g. metadata_id: meta@53595")
		}
	} else if !validSDName(l.MetadataID) {
		p.add("metadata_id", "cannot use %q as an SD-ID: use 1 to 32 printable ASCII characters other than '=', ' ', ']' and '\"', e.g. meta@53595", l.MetadataID)
	}
	seen := map[string]bool{}
	for _, list := range []struct {
		key    string
		params []string
	}{{"query_params", l.QueryParams}, {"field_params", l.FieldParams}} {
		for i, name := range list.params {
			at := list.key + "[" + strconv.Itoa(i) + "]"
			switch {
			case !validSDName(name):
				p.add(at, "cannot copy query parameter %q: its name must be 1 to 32 printable ASCII characters other than '=', ' ', ']' and '\"'", name)
			case seen[name]:
				p.add(at, "cannot copy query parameter %q twice: list it once, in query_params or field_params", name)
			case name == "fields" && list.key == "query_params" && len(l.FieldParams) > 0:
				p.add(at, "cannot copy query parameter \"fields\" as its own SD-PARAM: field_params are packed into \"fields\"; move it to field_params")
			}
			seen[name] = true
		}
	}
	return p.err()
}

// validSDName reports whether s can be an RFC 5424 SD-NAME.
func validSDName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' {
			return false
		}
	}
	return true
}

// checkCommon checks the keys HTTP sources share.
func checkCommon(p *problems, path string, maxBody ByteSize, severity string) {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n") {
		p.add("path", "cannot serve at %q: want a URL path starting with /, without ? or #", path)
	}
	if maxBody <= 0 {
		p.add("max_body_bytes", "cannot use a body limit of %s: use a positive size, e.g. 10MiB", maxBody)
	}
	checkSeverityMode(p, severity)
}

func checkSeverityMode(p *problems, severity string) {
	if !slices.Contains([]string{"auto", "always", "never"}, severity) {
		p.add("severity", "cannot use severity mode %q: use auto, always or never", severity)
	}
}

// Validate checks the listeners, limits and TLS.
func (s *SyslogSource) Validate() error {
	var p problems
	if len(s.Listen) == 0 {
		p.add("listen", "cannot receive syslog without a listener: list one or more of tcp://127.0.0.1:5514, udp://127.0.0.1:5514, tls://0.0.0.0:6514")
	}
	tls := false
	for i, l := range s.Listen {
		at := "listen[" + strconv.Itoa(i) + "]"
		scheme, hostport, ok := strings.Cut(l, "://")
		if !ok || (scheme != "tcp" && scheme != "udp" && scheme != "tls") {
			p.add(at, "cannot listen on %q: want tcp://host:port, udp://host:port or tls://host:port", l)
			continue
		}
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			p.add(at, "cannot listen on %q: %v", l, err)
		}
		tls = tls || scheme == "tls"
	}
	if tls && s.TLS == nil {
		p.add("tls", "cannot listen on tls:// without a certificate: set tls.cert_file and tls.key_file")
	}
	if s.TLS != nil {
		p.addAll("tls", s.TLS.Validate())
	}
	if len(s.AllowedClients) > 0 && (s.TLS == nil || s.TLS.ClientCAFile == "") {
		p.add("allowed_clients", "cannot check client names without client certificates: set tls.client_ca_file")
	}
	if s.MaxMessageBytes <= 0 || s.MaxMessageBytes > 16*MiB {
		p.add("max_message_bytes", "cannot use %s: use a size between 1 byte and 16MiB, e.g. 64KiB", s.MaxMessageBytes)
	}
	if s.MaxConnections <= 0 {
		p.add("max_connections", "cannot use %d: use a positive number, e.g. %d", s.MaxConnections, DefaultSyslogConnections)
	}
	if s.IdleTimeout < 0 {
		p.add("idle_timeout", "cannot use a negative timeout")
	}
	if s.UDPReadBuffer < 0 {
		p.add("udp_read_buffer", "cannot use a negative size")
	}
	for _, kv := range [][2]string{{"group", s.Group}, {"stream", s.Stream}} {
		v := kv[1]
		if v != "host" && v != "app" && v != "proc" && !(strings.HasPrefix(v, "fixed:") && len(v) > len("fixed:")) {
			p.add(kv[0], "cannot take the %s from %q: use host, app, proc or fixed:NAME", kv[0], v)
		}
	}
	checkSeverityMode(&p, s.Severity)
	return p.err()
}

// Validate checks the endpoint and its keys.
func (f *FirehoseSource) Validate() error {
	var p problems
	checkCommon(&p, f.Path, f.MaxBodyBytes, f.Severity)
	switch {
	case len(f.AccessKeys) == 0 && f.Auth == "":
		p.add("access_keys", "cannot accept Firehose deliveries without an access key: set access_keys (the key configured on the delivery stream's HTTP endpoint) or auth")
	case len(f.AccessKeys) > 0 && f.Auth != "":
		p.add("auth", "cannot use both access_keys and auth: choose one")
	}
	for i, k := range f.AccessKeys {
		if k == "" {
			p.add("access_keys["+strconv.Itoa(i)+"]", "cannot use an empty access key")
		}
	}
	return p.err()
}

// Validate checks the endpoint.
func (c *CloudWatchSource) Validate() error {
	var p problems
	checkCommon(&p, c.Path, c.MaxBodyBytes, c.Severity)
	return p.err()
}

// Validate checks the endpoint.
func (in *IngestSource) Validate() error {
	var p problems
	checkCommon(&p, in.Path, in.MaxBodyBytes, in.Severity)
	return p.err()
}
