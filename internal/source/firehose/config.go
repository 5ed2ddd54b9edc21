package firehose

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
	// DefaultPath is where the Firehose endpoint is mounted.
	DefaultPath = "/firehose"
	// DefaultMaxBodyBytes bounds a request body, as sent and after gzip
	// decompression: 64 MiB, the largest buffer Firehose sends.
	DefaultMaxBodyBytes = 64 << 20
	// DefaultDedupeWindow is how long the request ids of stored requests
	// are remembered.
	DefaultDedupeWindow = 10 * time.Minute
	// DefaultDedupeMaxIDs bounds how many request ids are remembered; the
	// oldest are forgotten first.
	DefaultDedupeMaxIDs = 65_536

	// maxRequestIDBytes bounds X-Amz-Firehose-Request-Id (Firehose sends a
	// GUID).
	maxRequestIDBytes = 256
	// maxErrorMessageBytes is the longest errorMessage Firehose accepts.
	maxErrorMessageBytes = 8192
)

// Config configures the Firehose HTTP endpoint. The zero value (with an
// Ingester) is a working endpoint without authentication.
type Config struct {
	// Path is the URL path the server mounts the handler at; DefaultPath
	// when empty. The handler itself does not look at the request path.
	Path string
	// Auth holds the accepted access keys (auth.NewFirehoseKeys; several
	// for rotation), optionally limited to groups. Nil means no
	// authentication.
	Auth *auth.Set
	// Region is the AWS region recorded (field aws.region) when the request
	// has no X-Amz-Firehose-Source-Arn to take it from.
	Region string
	// MaxBodyBytes bounds the request body, as sent and after gzip
	// decompression; DefaultMaxBodyBytes when 0. Larger bodies get 413.
	MaxBodyBytes int64
	// Limits bound the records of a request (count, size, decompressed
	// size); zero fields mean cloudwatch's defaults.
	Limits cloudwatch.Limits
	// DedupeWindow is how long stored request ids are remembered to
	// recognise Firehose's retries; DefaultDedupeWindow when 0, disabled
	// when negative.
	DedupeWindow time.Duration
	// DedupeMaxIDs bounds the remembered request ids; DefaultDedupeMaxIDs
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
	if c.Auth != nil && c.Auth.Kind() != auth.FirehoseKey {
		errs = append(errs, errors.New("auth must be a set of Firehose access keys"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d is negative", c.MaxBodyBytes))
	}
	if c.DedupeMaxIDs < 0 {
		errs = append(errs, fmt.Errorf("dedupe_max_ids %d is negative", c.DedupeMaxIDs))
	}
	return errors.Join(errs...)
}
