package route

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Transform changes an event in place and says whether to keep it. A
// transform is used by one goroutine at a time (it belongs to one Chain);
// its counters may be read from any goroutine.
type Transform interface {
	Apply(e *event.Event, now time.Time) (keep bool)
}

// Pending is implemented by stateful transforms that emit summary events
// later (dedupe).
type Pending interface {
	// Next returns when the earliest summary is due; zero when nothing is
	// pending.
	Next() time.Time
	// Flush emits the summaries due at now. The event passed to emit is
	// valid only during the call; emit copies what it keeps (event.Clone).
	Flush(now time.Time, emit func(e *event.Event))
}

// Kinder is implemented by every transform New returns: Kind is the name of
// its spec ("parse", "set", ..., "redact"), for stats and metrics.
type Kinder interface {
	Kind() string
}

// Dropper is implemented by the transforms that drop events (drop, sample,
// dedupe, throttle): Dropped counts the events dropped.
type Dropper interface {
	Dropped() uint64
}

// ErrorCounter is implemented by transforms that can fail on an event
// without dropping it (an expression failing at run time, a value that is
// not a severity, a message that is not JSON): Errors counts those events.
type ErrorCounter interface {
	Errors() uint64
}

// Spec says which transform to build: exactly one of its fields is set.
type Spec struct {
	Parse    *Parse
	Set      *Set
	Rename   *Rename
	Delete   *Delete
	Severity *Severity
	Drop     *Drop
	Sample   *Sample
	Dedupe   *Dedupe
	Throttle *Throttle
	Redact   *Redact
}

// Kind returns the name of the transform s describes ("parse", "set", ...),
// or "" when none or several of its fields are set.
func (s Spec) Kind() string {
	kind := ""
	for _, k := range [...]struct {
		set  bool
		name string
	}{
		{s.Parse != nil, "parse"}, {s.Set != nil, "set"}, {s.Rename != nil, "rename"},
		{s.Delete != nil, "delete"}, {s.Severity != nil, "severity"}, {s.Drop != nil, "drop"},
		{s.Sample != nil, "sample"}, {s.Dedupe != nil, "dedupe"}, {s.Throttle != nil, "throttle"},
		{s.Redact != nil, "redact"},
	} {
		if k.set {
			if kind != "" {
				return ""
			}
			kind = k.name
		}
	}
	return kind
}

// New builds the transform spec describes. Errors name the spec, e.g.
// "cannot build sample transform: rate must be at least 1, got 0".
func New(spec Spec) (Transform, error) {
	kind := spec.Kind()
	var t Transform
	var err error
	switch kind {
	case "":
		return nil, errors.New("cannot build transform: set exactly one of parse, set, rename, delete, severity, drop, sample, dedupe, throttle, redact")
	case "parse":
		t, err = newParse(*spec.Parse)
	case "set":
		t, err = newSet(*spec.Set)
	case "rename":
		t, err = newRename(*spec.Rename)
	case "delete":
		t, err = newDelete(*spec.Delete)
	case "severity":
		t, err = newSeverity(*spec.Severity)
	case "drop":
		t, err = newDrop(*spec.Drop)
	case "sample":
		t, err = newSample(*spec.Sample, MaxKeys)
	case "dedupe":
		t, err = newDedupe(*spec.Dedupe, MaxKeys)
	case "throttle":
		t, err = newThrottle(*spec.Throttle, MaxKeys)
	case "redact":
		t, err = newRedact(*spec.Redact)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot build %s transform: %w", kind, err)
	}
	return t, nil
}

// Interface guards.
var (
	_ Transform    = (*parseTransform)(nil)
	_ ErrorCounter = (*parseTransform)(nil)
	_ Transform    = (*setTransform)(nil)
	_ ErrorCounter = (*setTransform)(nil)
	_ Transform    = (*renameTransform)(nil)
	_ Transform    = (*deleteTransform)(nil)
	_ Transform    = (*severityTransform)(nil)
	_ Transform    = (*dropTransform)(nil)
	_ Dropper      = (*dropTransform)(nil)
	_ Transform    = (*sampleTransform)(nil)
	_ Dropper      = (*sampleTransform)(nil)
	_ Transform    = (*throttleTransform)(nil)
	_ Dropper      = (*throttleTransform)(nil)
	_ Transform    = (*dedupeTransform)(nil)
	_ Dropper      = (*dedupeTransform)(nil)
	_ Pending      = (*dedupeTransform)(nil)
	_ Transform    = (*redactTransform)(nil)
	_ Kinder       = (*redactTransform)(nil)
)
