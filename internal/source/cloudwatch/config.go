package cloudwatch

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/parse/cloudwatch"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultPath is where the endpoint is mounted.
	DefaultPath = "/cloudwatch"
	// DefaultMaxBodyBytes bounds a request body, as sent and after gzip
	// decompression: 16 MiB.
	DefaultMaxBodyBytes = 16 << 20
	// DefaultDedupeWindow is how long the ids of stored CloudWatch events
	// are remembered.
	DefaultDedupeWindow = 10 * time.Minute
	// DefaultDedupeMaxIDs bounds how many event ids are remembered (about
	// 15 MiB); the oldest are forgotten first.
	DefaultDedupeMaxIDs = 131_072
)

// Config configures the CloudWatch Logs subscription endpoint. The zero
// value (with an Ingester) is a working endpoint without authentication.
type Config struct {
	// Path is the URL path the server mounts the handler at; DefaultPath
	// when empty. The handler itself does not look at the request path.
	Path string
	// Auth holds the accepted bearer tokens (auth.NewBearer), optionally
	// limited to groups. Nil means no authentication.
	Auth *auth.Set
	// Region is the AWS region recorded in every event (field aws.region),
	// when not empty.
	Region string
	// MaxBodyBytes bounds the request body, as sent and after gzip
	// decompression; DefaultMaxBodyBytes when 0. Larger bodies get 413.
	MaxBodyBytes int64
	// Limits bound the elements of a batched body and each element's data;
	// zero fields mean cloudwatch's defaults.
	Limits cloudwatch.Limits
	// DedupeWindow is how long the ids of stored events are remembered, so
	// that a forwarder's retry stores nothing twice; DefaultDedupeWindow
	// when 0, disabled when negative.
	DedupeWindow time.Duration
	// DedupeMaxIDs bounds the remembered event ids; DefaultDedupeMaxIDs
	// when 0.
	DedupeMaxIDs int
	// Enricher understands each event (Lambda lines, JSON bodies, severity).
	Enricher parse.Enricher
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = DefaultDedupeWindow
	}
	if c.DedupeMaxIDs == 0 {
		c.DedupeMaxIDs = DefaultDedupeMaxIDs
	}
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q must start with /", c.Path))
	}
	if c.Auth != nil && c.Auth.Kind() != auth.Bearer {
		errs = append(errs, errors.New("auth must be a set of bearer tokens"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d is negative", c.MaxBodyBytes))
	}
	if c.DedupeMaxIDs < 0 {
		errs = append(errs, fmt.Errorf("dedupe_max_ids %d is negative", c.DedupeMaxIDs))
	}
	return errors.Join(errs...)
}
