package syslog

import (
	"time"

	"github.com/sluicelog/sluice/internal/event"
)

// Parse parses one syslog line of either format into e: after "<PRI>", a
// VERSION of "1 " means RFC 5424 (Parse5424, including Heroku's variant),
// anything else RFC 3164 (Parse3164, best effort; now is the receive time,
// used for timestamps without a year).
func Parse(line string, e *event.Event, now time.Time) error {
	if is5424(line) {
		return Parse5424(line, e)
	}
	return Parse3164(line, e, now)
}

// is5424 reports whether line looks like "<digits>1 ...".
func is5424(line string) bool {
	if len(line) < 5 || line[0] != '<' {
		return false
	}
	p := 1
	for p < len(line) && p <= 4 && isDigit(line[p]) {
		p++
	}
	return p > 1 && p+2 < len(line) && line[p] == '>' && line[p+1] == '1' && line[p+2] == ' '
}
