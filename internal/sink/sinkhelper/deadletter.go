package sinkhelper

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/sluicelog/sluice/internal/event"
)

// DeadLetterDir writes refused events to DIR/<subscription>.ndjson, one JSON
// object a line: {"error": reason, "event": the event's JSON form}. The file
// is synced after each write: a dead letter is the last copy of an event.
type DeadLetterDir struct {
	Dir string
	mu  sync.Mutex
}

// Write appends events with their reason.
func (d *DeadLetterDir) Write(subscription string, events []event.Event, reason error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot create dead-letter directory: %w", err)
	}
	path := filepath.Join(d.Dir, subscription+".ndjson")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open dead-letter file: %w", err)
	}
	var buf []byte
	for i := range events {
		buf = append(buf, `{"error":`...)
		buf = event.AppendQuoted(buf, reason.Error())
		buf = append(buf, `,"event":`...)
		buf = events[i].AppendJSON(buf)
		buf = append(buf, "}\n"...)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("cannot write dead-letter file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot sync dead-letter file %s: %w", path, err)
	}
	return f.Close()
}
