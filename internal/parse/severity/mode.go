package severity

import (
	"errors"
	"strconv"

	"github.com/sluicelog/sluice/internal/event"
)

// Mode says when Apply replaces an event's severity with the one its line
// states.
type Mode uint8

const (
	// Auto infers only when the event's severity is the transport's default:
	// no severity at all, or a PRI that says info (Heroku sends every app
	// line as info). A syslog line with a real non-info PRI is trusted. Auto
	// is the zero Mode.
	Auto Mode = iota
	// Always infers whenever the line states a level, overriding any PRI.
	Always
	// Never leaves severities as the transport delivered them.
	Never
)

// String returns "auto", "always" or "never".
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Always:
		return "always"
	case Never:
		return "never"
	}
	return "invalid"
}

// ParseMode reads a Mode as configuration writes it: "auto", "always" or
// "never"; the empty string is Auto.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "always":
		return Always, nil
	case "never":
		return Never, nil
	}
	return Auto, errors.New("cannot parse severity mode: unknown mode " + quote(s) + " (want auto, always or never)")
}

// MarshalText returns the mode's name, as String does.
func (m Mode) MarshalText() ([]byte, error) {
	if m > Never {
		return nil, errors.New("cannot marshal severity mode: invalid mode")
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads a mode name, as ParseMode does.
func (m *Mode) UnmarshalText(text []byte) error {
	v, err := ParseMode(string(text))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func quote(s string) string {
	const max = 32
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// PRISeverityField is the field Apply adds, holding the original severity's
// name (e.g. "info"), when it overrides a PRI severity with a different one.
const PRISeverityField = "pri_severity"

// Apply infers the level of e.Message according to mode and sets
// e.Severity and e.SeveritySource from it:
//
//   - Never does nothing.
//   - A severity already taken from the line (SeverityField or
//     SeverityInferred) is kept in every mode.
//   - Auto infers when SeveritySource is SeverityUnset, or SeverityPRI with
//     Severity info.
//   - Always infers when SeveritySource is SeverityUnset or SeverityPRI.
//
// When the line states a level, SeveritySource becomes SeverityField or
// SeverityInferred (also when the level equals the PRI's). The Facility is
// kept, and when a PRI severity is replaced by a different one, the field
// "pri_severity" records the original severity's name. Apply reports whether
// it changed e.Severity.
func Apply(e *event.Event, mode Mode) bool {
	switch {
	case mode != Auto && mode != Always:
		return false
	case e.SeveritySource == event.SeverityUnset:
	case e.SeveritySource == event.SeverityPRI && (mode == Always || e.Severity == event.Info):
	default:
		return false
	}
	sev, src, ok := Infer(e.Message)
	if !ok {
		return false
	}
	changed := sev != e.Severity
	if changed && e.SeveritySource == event.SeverityPRI {
		e.SetField(event.Field{Key: PRISeverityField, Value: e.Severity.String(), Type: event.String})
	}
	e.Severity, e.SeveritySource = sev, src
	return changed
}
