package client

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Writer returns an io.Writer that sends every line written to it as one
// event, for the standard log package:
//
//	log.SetOutput(c.Writer())
//
// The event has the message and the time of the write, and no level: sluice
// infers it from the text. Blank lines are skipped; a line without its
// newline is held until the newline, Flush or Close (or 64 KiB). Every call
// returns the same Writer, safe for concurrent use; Write never fails.
func (c *Client) Writer() io.Writer { return c.lw }

// lineWriter turns lines into events.
type lineWriter struct {
	c       *Client
	mu      sync.Mutex
	partial []byte
}

// Write sends every complete line of p; it always returns len(p), nil.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) >= maxPartialLine {
				w.emit(w.partial)
				w.partial = w.partial[:0]
			}
			break
		}
		line := p[:nl]
		if len(w.partial) > 0 {
			line = append(w.partial, line...)
			w.partial = w.partial[:0]
		}
		w.emit(line)
		p = p[nl+1:]
	}
	return n, nil
}

// flushPartial sends a held line without its newline.
func (w *lineWriter) flushPartial() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = w.partial[:0]
	}
}

// emit sends one line as an event; blank lines are skipped.
func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	buf := make([]byte, 0, len(line)+64+len(w.c.base))
	buf = append(buf, `{"time":"`...)
	buf = time.Now().UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","message":`...)
	buf = appendQuoted(buf, string(line))
	buf = append(buf, w.c.base...)
	buf = append(buf, '}')
	w.c.enqueue(buf)
}
