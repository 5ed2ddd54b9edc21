package file

import (
	"bufio"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// Sink appends events to files. Write is called by one goroutine at a time
// (the sink contract); Write, Close and the background work (interval
// syncs, compression) share one mutex, so Close may be called from any
// goroutine, any number of times.
type Sink struct {
	cfg    Config
	path   *tmpl.Template
	layout layout
	log    *slog.Logger

	mu    sync.Mutex
	files map[string]*list.Element // path → element of lru holding *openFile
	lru   *list.List
	// inUse holds the files the batch being written touched: they are not
	// evicted before the batch is committed, even beyond MaxOpenFiles.
	inUse map[*openFile]bool
	// idle remembers when the sink opened files it has since closed
	// (evicted), so that MaxFileAge counts from the first opening, not the
	// last. Entries leave when the file is rotated or reopened.
	idle      map[string]time.Time
	nextSweep time.Time
	// syncErr is a failed background sync, returned by the next Write.
	syncErr          error
	closed           bool
	pathBuf, lineBuf []byte

	comp      *compressor // nil unless Compress
	stopSync  chan struct{}
	syncDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

type openFile struct {
	path     string
	f        *os.File
	w        *bufio.Writer
	size     int64     // bytes in the file, buffered ones included
	opened   time.Time // when the sink first opened it, for MaxFileAge
	unsynced bool      // written since the last fsync
}

// New returns a file sink. It recovers what an earlier run left behind
// (see the package documentation) before it returns; compressing runs in
// the background.
func New(cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot create file sink: %w", err)
	}
	cfg = cfg.withDefaults()
	t := tmpl.MustParse(cfg.Path)
	s := &Sink{
		cfg:    cfg,
		path:   t,
		layout: newLayout(cfg.Path),
		log:    cfg.Logger.With("sink", "file", "path", cfg.Path),
		files:  make(map[string]*list.Element),
		lru:    list.New(),
		inUse:  make(map[*openFile]bool),
		idle:   make(map[string]time.Time),
	}
	if cfg.Compress {
		s.comp = newCompressor(&s.mu, s.log)
	}
	s.recover()
	if s.comp != nil {
		go s.comp.run()
	}
	if cfg.Sync == SyncOnInterval {
		s.stopSync, s.syncDone = make(chan struct{}), make(chan struct{})
		go s.syncLoop()
	}
	return s, nil
}

// Connect does nothing: files are opened as events need them.
func (s *Sink) Connect(context.Context) error { return nil }

// Write appends each event as one line to its file, rotating files as
// configured, then flushes every file written and (with Sync batch) syncs
// it. When a file fails mid-batch, what was written before is flushed and
// reported as a *sink.PartialError, so that a retry does not write it twice.
func (s *Sink) Write(_ context.Context, batch []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("cannot write to %s: the file sink is closed", s.cfg.Path)
	}
	if err := s.syncErr; err != nil {
		s.syncErr = nil
		return err
	}
	now := s.cfg.Now()
	touched := s.inUse
	clear(touched)
	defer func() {
		clear(touched)
		if err := s.evict(); err != nil {
			s.log.Error("cannot close a file beyond max_open_files", "err", err)
		}
	}()
	for i := range batch {
		e := &batch[i]
		s.lineBuf = s.appendLine(s.lineBuf[:0], e)
		s.pathBuf = s.appendPath(s.pathBuf[:0], e, now)
		of, err := s.open(s.pathBuf, now)
		if err == nil && s.due(of, len(s.lineBuf), now) {
			// The lines buffered for of are lost when finishing fails:
			// retry the whole batch (at-least-once) rather than claim them.
			if err := s.finish(of); err != nil {
				return err
			}
			if err = s.rotate(of.path, now); err == nil {
				of, err = s.open(s.pathBuf, now)
			}
		}
		if err == nil {
			if _, err = of.w.Write(s.lineBuf); err != nil {
				// Earlier lines of this batch may be lost with the buffer:
				// retry the whole batch (at-least-once) rather than claim them.
				s.drop(of)
				return fmt.Errorf("cannot write %s: %w", of.path, err)
			}
			if of.size == 0 {
				of.opened = now // an empty file's age starts with its first line
			}
			of.size += int64(len(s.lineBuf))
			of.unsynced = true
			touched[of] = true
			continue
		}
		if cerr := s.commit(touched); cerr != nil {
			return errors.Join(err, cerr)
		}
		return &sink.PartialError{Delivered: i, Err: err}
	}
	if err := s.commit(touched); err != nil {
		return err
	}
	s.sweep(now)
	return nil
}

// commit flushes and (with Sync batch) syncs the files a batch wrote to.
func (s *Sink) commit(touched map[*openFile]bool) error {
	for of := range touched {
		if err := of.w.Flush(); err != nil {
			s.drop(of)
			return fmt.Errorf("cannot write %s: %w", of.path, err)
		}
		if s.cfg.Sync == SyncBatch && of.unsynced {
			if err := of.f.Sync(); err != nil {
				s.drop(of)
				return fmt.Errorf("cannot sync %s: %w", of.path, err)
			}
			of.unsynced = false
		}
	}
	return nil
}

// appendPath appends the file path for e. A time outside the years 1 to
// 9999 counts as missing: such years do not format as digits.
func (s *Sink) appendPath(dst []byte, e *event.Event, now time.Time) []byte {
	if !usableTime(e.Time) {
		ec := *e
		ec.Time = e.Received
		if !usableTime(ec.Time) {
			ec.Time = now
		}
		e = &ec
	}
	return s.path.ExecuteFunc(dst, e, appendSafeElem)
}

func usableTime(t time.Time) bool {
	y := t.UTC().Year()
	return !t.IsZero() && y >= 1 && y <= 9999
}

// safeElem makes v usable as one path element: only letters, digits, '.',
// '-', '_' and '@' stay; leading dots are replaced, so ".." cannot climb.
func safeElem(v string) string { return string(appendSafeElem(nil, v)) }

func appendSafeElem(dst []byte, v string) []byte {
	v = strings.TrimLeft(v, "/")
	if v == "" {
		return append(dst, '_')
	}
	if len(v) > 200 {
		v = v[:200]
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '@' || (c == '.' && i > 0)
		if !ok {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendLine appends e as one line in the configured format.
func (s *Sink) appendLine(dst []byte, e *event.Event) []byte {
	if s.cfg.Format == FormatRaw {
		v := e.Raw
		if v == "" {
			v = e.Message
		}
		return appendRawLine(dst, v)
	}
	dst = e.AppendJSON(dst)
	return append(dst, '\n')
}

// appendRawLine appends v as one line: one trailing LF is removed, then one
// trailing CR; every LF left becomes "#012" and every CR "#015" (the octal
// escapes rsyslog writes for control characters); then an LF ends the line.
func appendRawLine(dst []byte, v string) []byte {
	v = strings.TrimSuffix(v, "\n")
	v = strings.TrimSuffix(v, "\r")
	for {
		i := strings.IndexAny(v, "\r\n")
		if i < 0 {
			break
		}
		dst = append(dst, v[:i]...)
		if v[i] == '\n' {
			dst = append(dst, "#012"...)
		} else {
			dst = append(dst, "#015"...)
		}
		v = v[i+1:]
	}
	dst = append(dst, v...)
	return append(dst, '\n')
}

// due reports whether of must be rotated before a line of n bytes.
func (s *Sink) due(of *openFile, n int, now time.Time) bool {
	if of.size == 0 {
		return false
	}
	if s.cfg.MaxFileBytes > 0 && of.size+int64(n) > s.cfg.MaxFileBytes {
		return true
	}
	return s.cfg.MaxFileAge > 0 && now.Sub(of.opened) >= s.cfg.MaxFileAge
}

func (s *Sink) open(path []byte, now time.Time) (*openFile, error) {
	if el, ok := s.files[string(path)]; ok {
		s.lru.MoveToFront(el)
		of := el.Value.(*openFile)
		s.inUse[of] = true
		return of, nil
	}
	p := string(path)
	created, err := mkdirAll(filepath.Dir(p))
	if err != nil {
		return nil, fmt.Errorf("cannot create directory for %s: %w", p, err)
	}
	isNew := true
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if errors.Is(err, fs.ErrExist) {
		isNew = false
		f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot open %s: %w", p, err)
	}
	if isNew && s.cfg.Sync != SyncNever {
		// A new file is durable once its directory entry is (and those of
		// the directories just created for it).
		dirs := make([]string, 0, len(created)+1)
		for _, c := range created {
			dirs = append(dirs, filepath.Dir(c))
		}
		for _, d := range append(dirs, filepath.Dir(p)) {
			if err := syncDir(d); err != nil {
				f.Close()
				return nil, err
			}
		}
	}
	opened := now
	if t, ok := s.idle[p]; ok {
		opened = t
		delete(s.idle, p)
	}
	of := &openFile{path: p, f: f, w: bufio.NewWriterSize(f, 64<<10), size: st.Size(), opened: opened}
	s.files[p] = s.lru.PushFront(of)
	s.inUse[of] = true // the caller is about to write to it
	if err := s.evict(); err != nil {
		return nil, err
	}
	return of, nil
}

// mkdirAll is os.MkdirAll that returns the directories it created, parents
// first.
func mkdirAll(dir string) ([]string, error) {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("%s is not a directory", dir)
		}
		return nil, nil
	}
	var created []string
	if parent := filepath.Dir(dir); parent != dir {
		c, err := mkdirAll(parent)
		if err != nil {
			return nil, err
		}
		created = c
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
			return created, nil
		}
		return nil, err
	}
	return append(created, dir), nil
}

// syncDir fsyncs a directory, making the names in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync directory %s: %w", dir, err)
	}
	return nil
}

// evict closes the least recently used files beyond MaxOpenFiles, except
// those the batch in progress wrote to.
func (s *Sink) evict() error {
	var errs []error
	for el := s.lru.Back(); el != nil && s.lru.Len() > s.cfg.MaxOpenFiles; {
		prev := el.Prev()
		if of := el.Value.(*openFile); !s.inUse[of] {
			if err := s.closeFile(of); err != nil {
				errs = append(errs, err)
			} else if s.cfg.MaxFileAge > 0 && of.size > 0 {
				s.idle[of.path] = of.opened
			}
		}
		el = prev
	}
	return errors.Join(errs...)
}

// closeFile flushes, syncs (unless Sync never) and closes of.
func (s *Sink) closeFile(of *openFile) error {
	err := of.w.Flush()
	if of.unsynced && s.cfg.Sync != SyncNever {
		err = errors.Join(err, of.f.Sync())
	}
	err = errors.Join(err, of.f.Close())
	s.forget(of)
	if err != nil {
		return fmt.Errorf("cannot close %s: %w", of.path, err)
	}
	return nil
}

// finish makes of complete before it is rotated: flushed, synced (whatever
// Sync says) and closed.
func (s *Sink) finish(of *openFile) error {
	if err := of.w.Flush(); err != nil {
		s.drop(of)
		return fmt.Errorf("cannot write %s: %w", of.path, err)
	}
	if err := of.f.Sync(); err != nil {
		s.drop(of)
		return fmt.Errorf("cannot sync %s: %w", of.path, err)
	}
	s.forget(of)
	if err := of.f.Close(); err != nil {
		return fmt.Errorf("cannot close %s: %w", of.path, err)
	}
	return nil
}

// drop forgets a file after an error, so the next write reopens it.
func (s *Sink) drop(of *openFile) {
	of.f.Close()
	s.forget(of)
}

func (s *Sink) forget(of *openFile) {
	delete(s.inUse, of)
	if el, ok := s.files[of.path]; ok && el.Value.(*openFile) == of {
		s.lru.Remove(el)
		delete(s.files, of.path)
	}
}

// sweep rotates the files, open or closed, that the sink opened MaxFileAge
// ago or longer, at most once a second: a file nothing is written to any
// more is rotated too.
func (s *Sink) sweep(now time.Time) {
	if s.cfg.MaxFileAge <= 0 || now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(min(s.cfg.MaxFileAge, time.Second))
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		if of := el.Value.(*openFile); of.size > 0 && now.Sub(of.opened) >= s.cfg.MaxFileAge {
			err := s.finish(of)
			if err == nil {
				if err = s.rotate(of.path, now); err != nil {
					s.idle[of.path] = of.opened // try again at the next sweep
				}
			}
			if err != nil {
				s.log.Error("cannot rotate an idle file", "err", err)
			}
		}
		el = next
	}
	for p, opened := range s.idle {
		if now.Sub(opened) < s.cfg.MaxFileAge {
			continue
		}
		delete(s.idle, p)
		if err := s.rotateClosed(p, now); err != nil {
			s.idle[p] = opened // try again at the next sweep
			s.log.Error("cannot rotate an idle file", "err", err)
		}
	}
}

// rotateClosed rotates a file the sink has closed, after an fsync (with
// Sync never, closing did not sync it). A missing or empty file is left.
func (s *Sink) rotateClosed(p string, now time.Time) error {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot rotate %s: %w", p, err)
	}
	st, err := f.Stat()
	if err == nil && st.Size() == 0 {
		return f.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync %s before rotating it: %w", p, err)
	}
	return s.rotate(p, now)
}

// syncLoop fsyncs written files every SyncInterval until Close.
func (s *Sink) syncLoop() {
	defer close(s.syncDone)
	t := time.NewTicker(s.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopSync:
			return
		case <-t.C:
			s.syncNow()
		}
	}
}

// syncNow fsyncs every open file written since its last fsync. A failure is
// logged and returned by the next Write; the file is closed, as what the
// kernel failed to write may be gone from its cache.
func (s *Sink) syncNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		if of := el.Value.(*openFile); of.unsynced {
			if err := of.f.Sync(); err != nil {
				err = fmt.Errorf("cannot sync %s: %w; events acknowledged since the previous sync may be lost", of.path, err)
				s.log.Error("background sync failed", "err", err)
				s.syncErr = errors.Join(s.syncErr, err)
				s.drop(of)
			} else {
				of.unsynced = false
			}
		}
		el = next
	}
}

// Close flushes, syncs (unless Sync never) and closes every open file, then
// waits up to CloseTimeout for background compression. It is safe to call
// from any goroutine, more than once: every call returns the first one's
// result once it is done.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Sink) close() error {
	if s.stopSync != nil {
		close(s.stopSync)
		<-s.syncDone
	}
	s.mu.Lock()
	s.closed = true
	err := s.syncErr
	for s.lru.Len() > 0 {
		err = errors.Join(err, s.closeFile(s.lru.Front().Value.(*openFile)))
	}
	s.mu.Unlock()
	if s.comp != nil {
		s.comp.close(s.cfg.CloseTimeout)
	}
	return err
}

var _ sink.Sink = (*Sink)(nil)
