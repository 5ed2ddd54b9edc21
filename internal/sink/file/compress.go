package file

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// compressor gzips rotated files, one at a time, in one background
// goroutine: <rotated>.gz.tmp is written and fsynced, renamed to
// <rotated>.gz, the directory fsynced, and only then <rotated> removed.
type compressor struct {
	// names is the sink's mutex: the final rename and removal happen under
	// it, so that retention (which runs under it too) sees either the
	// rotated file or its .gz.
	names sync.Locker
	log   *slog.Logger

	mu    sync.Mutex
	queue []string

	zw  *gzip.Writer // reused: only run uses it
	buf []byte

	wake   chan struct{} // a file was queued
	stop   chan struct{} // closed by close: finish the queue, then return
	done   chan struct{} // closed when run returns
	ctx    context.Context
	cancel context.CancelFunc
}

func newCompressor(names sync.Locker, log *slog.Logger) *compressor {
	ctx, cancel := context.WithCancel(context.Background())
	return &compressor{
		names: names, log: log,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
}

// add queues a rotated file.
func (c *compressor) add(path string) {
	c.mu.Lock()
	c.queue = append(c.queue, path)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *compressor) next() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return "", false
	}
	p := c.queue[0]
	c.queue = c.queue[1:]
	return p, true
}

func (c *compressor) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

func (c *compressor) run() {
	defer close(c.done)
	for {
		p, ok := c.next()
		if !ok {
			select {
			case <-c.wake:
				continue
			case <-c.stop:
			}
			if p, ok = c.next(); !ok {
				return
			}
		}
		if c.ctx.Err() != nil {
			return
		}
		if err := c.compress(p); err != nil && c.ctx.Err() == nil {
			c.log.Error("cannot compress a rotated file; it stays uncompressed until the next start", "file", p, "err", err)
		}
	}
}

// close lets the queue drain for up to timeout, then cuts compression
// short: what is left stays uncompressed, for the next start.
func (c *compressor) close(timeout time.Duration) {
	close(c.stop)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		c.cancel()
		return
	case <-t.C:
	}
	c.cancel()
	<-c.done
	c.log.Warn("compression of rotated files cut short at close; they are compressed at the next start",
		"timeout", timeout, "left", c.pending()+1)
}

// compress gzips src into src.gz. When src is gone (retention deleted it),
// nothing is left behind.
func (c *compressor) compress(src string) (err error) {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	tmp, dst := src+gzTmpSuffix, src+gzSuffix
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
		}
	}()
	if c.zw == nil {
		c.zw, c.buf = gzip.NewWriter(out), make([]byte, 256<<10)
	} else {
		c.zw.Reset(out)
	}
	zw, buf := c.zw, c.buf
	zw.Name, zw.ModTime = filepath.Base(src), st.ModTime()
	for {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return fmt.Errorf("cannot write %s: %w", tmp, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("cannot read %s: %w", src, rerr)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("cannot sync %s: %w", tmp, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	c.names.Lock()
	defer c.names.Unlock()
	if !exists(src) {
		os.Remove(tmp)
		return nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("cannot rename %s: %w", tmp, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Remove(src); err != nil {
		return fmt.Errorf("cannot remove %s after compressing it: %w", src, err)
	}
	return nil
}
