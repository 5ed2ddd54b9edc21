package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/parse"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultPath is where the handler is mounted; POST <Path>/<group>
	// sets the group of the request's events.
	DefaultPath = "/ingest"
	// DefaultMaxBodyBytes bounds a request body, as sent and after gzip
	// decompression: 10 MiB.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultMaxEvents bounds the events (valid or not) of one request.
	DefaultMaxEvents = 100_000
	// DefaultGroup is the group of events that name none, in a request
	// whose path and query name none either.
	DefaultGroup = "ingest"
	// DefaultStream is the stream of events that name none, sent without
	// credentials (an authenticated request uses the credentials' name).
	DefaultStream = "default"

	// maxNameBytes bounds group and stream names: they end up in file
	// paths, URLs and every stored event.
	maxNameBytes = 512
	// maxRequestIDBytes bounds an X-Request-Id that is echoed and logged.
	maxRequestIDBytes = 200
	// maxListedErrors is how many rejected events an answer describes.
	maxListedErrors = 10
)

// Config configures the JSON ingest source. The zero value (with an
// Ingester) is a working, open source at /ingest.
type Config struct {
	// Path is the URL path the handler is mounted at (and, for per-group
	// posting, Path + "/"); DefaultPath when empty.
	Path string
	// Auth checks each request's credentials (bearer tokens, or basic auth);
	// nil accepts every request. The groups of the identity a request
	// authenticates as limit the groups its events may name.
	Auth *auth.Set
	// MaxBodyBytes bounds the request body, as sent and after gzip
	// decompression; DefaultMaxBodyBytes when 0. Larger bodies get 413.
	MaxBodyBytes int64
	// MaxEvents bounds the events of one request; DefaultMaxEvents when 0.
	// More get 413.
	MaxEvents int
	// Enricher understands each accepted event (severity inference when
	// the event has no level, JSON and logfmt messages into fields).
	Enricher parse.Enricher
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || len(c.Path) > 1 && strings.HasSuffix(c.Path, "/")) {
		errs = append(errs, fmt.Errorf("path %q must start with / and not end with /", c.Path))
	}
	if c.Auth != nil && c.Auth.Kind() != auth.Bearer && c.Auth.Kind() != auth.Basic {
		errs = append(errs, errors.New("auth: the ingest source accepts bearer tokens or basic auth, not Firehose access keys"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d is negative", c.MaxBodyBytes))
	}
	if c.MaxEvents < 0 {
		errs = append(errs, fmt.Errorf("max_events %d is negative", c.MaxEvents))
	}
	return errors.Join(errs...)
}
