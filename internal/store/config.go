package store

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by Open to zero fields of Config.
const (
	DefaultRetention         = 7 * 24 * time.Hour
	DefaultRetentionInterval = 10 * time.Minute
	DefaultQueryTimeout      = 10 * time.Second
	DefaultReadConns         = 4
	// DefaultLimit is the page size of a Search without a Limit.
	DefaultLimit = 100
	// MaxLimit is the largest page a Search returns.
	MaxLimit = 1000
)

// Config configures a Store. Zero values take the defaults above.
type Config struct {
	// Dir holds one SQLite database per UTC day (2026-11-21.db); created
	// when missing. Required.
	Dir string
	// Retention deletes whole days whose last instant is older than this
	// (default 7 days); events older than that are not stored at all.
	Retention time.Duration
	// MaxBytes deletes the oldest days (never the newest) until the
	// databases take at most this many bytes; 0: no size limit.
	MaxBytes int64
	// RetentionInterval is how often retention runs after Open (default
	// 10m).
	RetentionInterval time.Duration
	// QueryTimeout bounds each Search and Histogram (default 10s).
	QueryTimeout time.Duration
	// ReadConns is the number of read connections per day file (default 4).
	ReadConns int
	// Logger receives problems of background work (retention); slog.Default()
	// when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Validate reports every problem with c at once (joined).
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("dir: must be set, e.g. ./sluice-data/store"))
	}
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention: cannot use %v: want a positive duration such as 168h", c.Retention))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max_bytes: cannot use %d: want 0 (no limit) or a positive size", c.MaxBytes))
	}
	if c.RetentionInterval < 0 || c.QueryTimeout < 0 || c.ReadConns < 0 {
		errs = append(errs, errors.New("retention_interval, query_timeout and read_conns: cannot be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.RetentionInterval == 0 {
		c.RetentionInterval = DefaultRetentionInterval
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.ReadConns == 0 {
		c.ReadConns = DefaultReadConns
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
