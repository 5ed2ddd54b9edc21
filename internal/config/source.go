package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Source types. Only logplex is built in this version; the others are
// recognised (their keys parse) and refused by Validate.
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

// SyslogSource receives syslog over TCP, TLS and UDP. Not built yet.
type SyslogSource struct {
	// Listen lists URLs to listen on: tcp://host:port, tls://host:port,
	// udp://host:port.
	Listen []string `yaml:"listen"`
	// TLS is the certificate for tls:// listeners.
	TLS *TLSConfig `yaml:"tls"`
	// MaxMessageBytes bounds one message.
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
}

// FirehoseSource receives Kinesis Data Firehose HTTP endpoint deliveries.
// Not built yet.
type FirehoseSource struct {
	Path string `yaml:"path"`
	// AccessKeys are accepted in X-Amz-Firehose-Access-Key. Also
	// access_keys_file.
	AccessKeys []Secret `yaml:"access_keys"`
	// Auth names a credential of type firehose_key, instead of AccessKeys.
	Auth string `yaml:"auth"`
}

// CloudWatchSource receives Lambda-style {"awslogs":{"data":…}} events.
// Not built yet.
type CloudWatchSource struct {
	Path string `yaml:"path"`
	Auth string `yaml:"auth"`
}

// CWLogsAPISource answers a subset of the CloudWatch Logs JSON API. Not
// built yet.
type CWLogsAPISource struct {
	Path string `yaml:"path"`
	Auth string `yaml:"auth"`
}

// IngestSource receives JSON and NDJSON batches. Not built yet.
type IngestSource struct {
	Path string `yaml:"path"`
	Auth string `yaml:"auth"`
}

// sourceTypes lists the source types; built says which are built.
func sourceTypes() []unionType {
	return []unionType{
		{SourceLogplex, true},
		{SourceSyslog, false},
		{SourceFirehose, false},
		{SourceCloudWatch, false},
		{SourceCWLogsAPI, false},
		{SourceIngest, false},
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
		s.Syslog = &SyslogSource{}
	case SourceFirehose:
		s.Firehose = &FirehoseSource{}
	case SourceCloudWatch:
		s.CloudWatch = &CloudWatchSource{}
	case SourceCWLogsAPI:
		s.CWLogsAPI = &CWLogsAPISource{}
	case SourceIngest:
		s.Ingest = &IngestSource{}
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
		if s.Logplex == nil {
			return &Error{Err: fmt.Errorf("cannot use a logplex source without its settings")}
		}
		return s.Logplex.Validate()
	})
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
