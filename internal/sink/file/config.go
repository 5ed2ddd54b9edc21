package file

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Format selects how an event becomes a line.
type Format string

// The formats. The zero value means FormatNDJSON.
const (
	// FormatNDJSON writes the event's JSON form (event.AppendJSON), one
	// object per line: what `jq` and `sluice parse -format events` read.
	FormatNDJSON Format = "ndjson"
	// FormatRaw writes Event.Raw (the frame as received), else the
	// message, one per line: see the package documentation for the exact
	// rules.
	FormatRaw Format = "raw"
)

// SyncMode says when written files are fsynced.
type SyncMode string

// The sync modes. The zero value means SyncBatch (or SyncNever when
// Config.NoSync is set).
const (
	// SyncBatch fsyncs every file a batch wrote before Write returns: an
	// acknowledged event survives a machine crash.
	SyncBatch SyncMode = "batch"
	// SyncOnInterval fsyncs written files every Config.SyncInterval in the
	// background: a machine crash loses up to that interval of events
	// although they were acknowledged.
	SyncOnInterval SyncMode = "interval"
	// SyncNever leaves flushing to disk to the operating system.
	SyncNever SyncMode = "never"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultMaxOpenFiles = 64
	DefaultSyncInterval = time.Second
	DefaultCloseTimeout = 30 * time.Second
)

// Config configures a file sink. Zero values take the defaults above.
type Config struct {
	// Path is a template (package internal/sink/tmpl): {group}, {stream},
	// {app}, {host}, {proc}, {msgid}, {source}, {severity}, {facility},
	// {id}, {fields.KEY}, {date} (the event's UTC day, 2006-01-02) and
	// %Y %m %d %H %M %j are replaced per event, from the event's Time (else
	// Received, else now). Values are made safe as one path element
	// ("/aws/lambda/fn" becomes "aws_lambda_fn"), so events cannot write
	// outside the template's directories.
	Path string
	// Format is ndjson (default) or raw.
	Format Format
	// Sync is batch (default), interval or never.
	Sync SyncMode
	// SyncInterval is the period of Sync interval (default 1s).
	SyncInterval time.Duration
	// NoSync is the older spelling of Sync never; it overrides Sync batch
	// (or empty) and conflicts with Sync interval.
	NoSync bool
	// MaxOpenFiles bounds the file handles kept open (default 64).
	MaxOpenFiles int
	// MaxFileBytes rotates a file before a line would make it larger than
	// this (0: never). A line longer than MaxFileBytes goes alone into a
	// fresh file.
	MaxFileBytes int64
	// MaxFileAge rotates a file the sink opened at least this long ago, at
	// the next Write (0: never).
	MaxFileAge time.Duration
	// Compress gzips rotated files in the background.
	Compress bool
	// MaxFiles keeps at most this many rotated files per path, deleting the
	// oldest (0: keep all).
	MaxFiles int
	// MaxAge deletes rotated files rotated longer ago than this (0: keep).
	MaxAge time.Duration
	// CloseTimeout bounds how long Close waits for background compression
	// (default 30s). Compression cut short leaves the rotated file
	// uncompressed; the next start compresses it.
	CloseTimeout time.Duration
	// Logger receives problems of background work (compression, interval
	// syncs, retention, recovery); slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Validate reports every problem with c at once (joined).
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: must be set, e.g. ./archive/{group}/{date}.ndjson"))
	} else if _, err := tmpl.Parse(c.Path); err != nil {
		errs = append(errs, fmt.Errorf("path: %w", err))
	} else if strings.HasSuffix(c.Path, "/") || strings.HasSuffix(c.Path, "/.") || strings.HasSuffix(c.Path, "/..") || c.Path == "." || c.Path == ".." {
		errs = append(errs, fmt.Errorf("path: cannot use %q: it names a directory; end it with a file name, e.g. {date}.ndjson", c.Path))
	}
	switch c.Format {
	case "", FormatNDJSON, FormatRaw:
	default:
		errs = append(errs, fmt.Errorf("format: cannot use %q: want ndjson or raw", c.Format))
	}
	switch c.Sync {
	case "", SyncBatch, SyncNever:
	case SyncOnInterval:
		if c.NoSync {
			errs = append(errs, errors.New("sync: cannot use interval with no_sync: set one of them"))
		}
	default:
		errs = append(errs, fmt.Errorf("sync: cannot use %q: want batch, interval or never", c.Sync))
	}
	if c.MaxOpenFiles < 0 {
		errs = append(errs, fmt.Errorf("max_open_files: cannot use %d: must not be negative", c.MaxOpenFiles))
	}
	if c.MaxFileBytes < 0 {
		errs = append(errs, fmt.Errorf("max_file_bytes: cannot use %d: must not be negative", c.MaxFileBytes))
	}
	if c.MaxFiles < 0 {
		errs = append(errs, fmt.Errorf("max_files: cannot use %d: must not be negative", c.MaxFiles))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"sync_interval", c.SyncInterval}, {"max_file_age", c.MaxFileAge},
		{"max_age", c.MaxAge}, {"close_timeout", c.CloseTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: cannot use %v: must not be negative", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns c with zero fields set to their defaults and NoSync
// folded into Sync.
func (c Config) withDefaults() Config {
	if c.Format == "" {
		c.Format = FormatNDJSON
	}
	if c.NoSync && (c.Sync == "" || c.Sync == SyncBatch) {
		c.Sync = SyncNever
	}
	if c.Sync == "" {
		c.Sync = SyncBatch
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.MaxOpenFiles == 0 {
		c.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
