// Package file is the simplest destination: events as NDJSON (the JSON form
// every output of sluice uses) appended to files named by a path template.
package file

import (
	"bufio"
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
)

// Config configures a file sink.
type Config struct {
	// Path is a template: {group}, {stream}, {app}, {host} and {date}
	// (the event's UTC day, 2006-01-02) are replaced per event. Values are
	// made safe as one path element ("/aws/lambda/fn" becomes
	// "aws_lambda_fn"), so events cannot write outside the template's
	// directories.
	Path string
	// NoSync skips the fsync after each batch (faster; a machine crash may
	// then lose the last batches although they were acknowledged).
	NoSync bool
	// MaxOpenFiles bounds the file handles kept open (default 64).
	MaxOpenFiles int
}

var placeholders = []string{"{group}", "{stream}", "{app}", "{host}", "{date}"}

// Validate checks the template.
func (c *Config) Validate() error {
	if c.Path == "" {
		return errors.New("path: must be set, e.g. ./archive/{group}/{date}.ndjson")
	}
	rest := c.Path
	for _, p := range placeholders {
		rest = strings.ReplaceAll(rest, p, "")
	}
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		return fmt.Errorf("path: unknown placeholder in %q; known are %s", c.Path, strings.Join(placeholders, " "))
	}
	return nil
}

// Sink appends events to files.
type Sink struct {
	cfg   Config
	files map[string]*list.Element // path → element of lru holding *openFile
	lru   *list.List
	// inUse holds the files the batch being written touched: they are not
	// evicted before the batch is committed, even beyond MaxOpenFiles.
	inUse map[*openFile]bool
}

type openFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// New returns a file sink.
func New(cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxOpenFiles <= 0 {
		cfg.MaxOpenFiles = 64
	}
	return &Sink{cfg: cfg, files: make(map[string]*list.Element), lru: list.New(), inUse: make(map[*openFile]bool)}, nil
}

// Connect does nothing: files are opened as events need them.
func (s *Sink) Connect(context.Context) error { return nil }

// Write appends each event as one JSON line to its file, then flushes and
// (unless NoSync) syncs every file written. When a file fails mid-batch,
// what was written before is flushed and reported as a *sink.PartialError,
// so that a retry does not write it twice.
func (s *Sink) Write(_ context.Context, batch []event.Event) error {
	var buf []byte
	touched := s.inUse
	clear(touched)
	defer func() {
		clear(touched)
		s.evict()
	}()
	for i := range batch {
		of, err := s.open(s.pathFor(&batch[i]))
		if err == nil {
			buf = batch[i].AppendJSON(buf[:0])
			buf = append(buf, '\n')
			if _, err = of.w.Write(buf); err != nil {
				// Earlier lines of this batch may be lost with the buffer:
				// retry the whole batch (at-least-once) rather than claim them.
				s.drop(of)
				return fmt.Errorf("cannot write %s: %w", of.path, err)
			}
		}
		if err != nil {
			if cerr := s.commit(touched); cerr != nil {
				return errors.Join(err, cerr)
			}
			return &sink.PartialError{Delivered: i, Err: err}
		}
		touched[of] = true
	}
	return s.commit(touched)
}

// commit flushes and syncs the files a batch wrote to.
func (s *Sink) commit(touched map[*openFile]bool) error {
	for of := range touched {
		if err := of.w.Flush(); err != nil {
			s.drop(of)
			return fmt.Errorf("cannot write %s: %w", of.path, err)
		}
		if !s.cfg.NoSync {
			if err := of.f.Sync(); err != nil {
				s.drop(of)
				return fmt.Errorf("cannot sync %s: %w", of.path, err)
			}
		}
	}
	return nil
}

func (s *Sink) pathFor(e *event.Event) string {
	t := e.Time
	if t.IsZero() {
		t = e.Received
	}
	if t.IsZero() {
		t = time.Now()
	}
	r := strings.NewReplacer(
		"{group}", safeElem(e.Group),
		"{stream}", safeElem(e.Stream),
		"{app}", safeElem(e.App),
		"{host}", safeElem(e.Host),
		"{date}", t.UTC().Format("2006-01-02"),
	)
	return r.Replace(s.cfg.Path)
}

// safeElem makes v usable as one path element: only letters, digits, '.',
// '-', '_' and '@' stay; leading dots are replaced, so ".." cannot climb.
func safeElem(v string) string {
	v = strings.TrimLeft(v, "/")
	if v == "" {
		return "_"
	}
	b := []byte(v)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '@' || (c == '.' && i > 0)
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

func (s *Sink) open(path string) (*openFile, error) {
	if el, ok := s.files[path]; ok {
		s.lru.MoveToFront(el)
		return el.Value.(*openFile), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	of := &openFile{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}
	s.files[path] = s.lru.PushFront(of)
	s.inUse[of] = true // the caller is about to write to it
	if err := s.evict(); err != nil {
		return nil, err
	}
	return of, nil
}

// evict closes the least recently used files beyond MaxOpenFiles, except
// those the batch in progress wrote to.
func (s *Sink) evict() error {
	var errs []error
	for el := s.lru.Back(); el != nil && s.lru.Len() > s.cfg.MaxOpenFiles; {
		prev := el.Prev()
		if of := el.Value.(*openFile); !s.inUse[of] {
			errs = append(errs, s.closeFile(of))
		}
		el = prev
	}
	return errors.Join(errs...)
}

func (s *Sink) closeFile(of *openFile) error {
	err := of.w.Flush()
	if !s.cfg.NoSync {
		err = errors.Join(err, of.f.Sync())
	}
	err = errors.Join(err, of.f.Close())
	if el, ok := s.files[of.path]; ok {
		s.lru.Remove(el)
		delete(s.files, of.path)
	}
	return err
}

// drop forgets a file after an error, so the next write reopens it.
func (s *Sink) drop(of *openFile) {
	of.f.Close()
	if el, ok := s.files[of.path]; ok {
		s.lru.Remove(el)
		delete(s.files, of.path)
	}
}

// Close flushes, syncs and closes every open file.
func (s *Sink) Close() error {
	var err error
	for s.lru.Len() > 0 {
		err = errors.Join(err, s.closeFile(s.lru.Front().Value.(*openFile)))
	}
	return err
}

var _ sink.Sink = (*Sink)(nil)
