package event

import "strings"

// Severity is a syslog severity (RFC 5424 section 6.2.1): 0 is the most
// severe, 7 the least.
type Severity uint8

// The syslog severities.
const (
	Emerg Severity = iota
	Alert
	Crit
	Error
	Warning
	Notice
	Info
	Debug
)

var severityNames = [...]string{"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"}

// String returns the severity's name: emerg, alert, crit, error, warning,
// notice, info or debug.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "invalid"
}

// Valid reports whether s is in 0..7.
func (s Severity) Valid() bool { return s <= Debug }

// ParseSeverity reads a severity name as people and loggers write it,
// case-insensitively: the syslog keywords (emerg, alert, crit, err, warning,
// notice, info, debug), their long forms (emergency, critical, error,
// informational), and common logger names (panic, fatal, warn, trace, ...).
func ParseSeverity(name string) (Severity, bool) {
	switch strings.ToLower(name) {
	case "emerg", "emergency", "panic":
		return Emerg, true
	case "alert":
		return Alert, true
	case "crit", "critical", "fatal":
		return Crit, true
	case "err", "error", "eror":
		return Error, true
	case "warning", "warn":
		return Warning, true
	case "notice":
		return Notice, true
	case "info", "informational", "information":
		return Info, true
	case "debug", "trace", "verbose":
		return Debug, true
	}
	return 0, false
}

// SeveritySource says where an event's severity came from.
type SeveritySource uint8

const (
	// SeverityUnset means no input said anything about severity; Severity
	// then holds a default.
	SeverityUnset SeveritySource = iota
	// SeverityPRI means the transport's PRI (syslog) or equivalent said so.
	SeverityPRI
	// SeverityInferred means sluice recovered it from the line's text.
	SeverityInferred
	// SeverityField means a structured field (JSON level, logfmt level=,
	// an API's level property) said so.
	SeverityField
)

var severitySourceNames = [...]string{"", "pri", "inferred", "field"}

// String returns "", "pri", "inferred" or "field".
func (s SeveritySource) String() string {
	if int(s) < len(severitySourceNames) {
		return severitySourceNames[s]
	}
	return "invalid"
}

// Facility is a syslog facility, stored as its code plus one so that the zero
// value means "none": events from CloudWatch or JSON have no facility.
type Facility uint8

// FacilityNone means the input carried no facility.
const FacilityNone Facility = 0

var facilityNames = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// FacilityFromCode returns the facility with the given syslog code (0..23).
func FacilityFromCode(code int) Facility {
	if code < 0 || code >= len(facilityNames) {
		return FacilityNone
	}
	return Facility(code + 1)
}

// Code returns the syslog facility code (0..23), or -1 for FacilityNone.
func (f Facility) Code() int { return int(f) - 1 }

// String returns the facility's keyword (kern, user, ..., local7), or "" for
// FacilityNone.
func (f Facility) String() string {
	if f == FacilityNone || int(f) > len(facilityNames) {
		return ""
	}
	return facilityNames[f-1]
}

// ParseFacility reads a facility keyword as String writes it.
func ParseFacility(name string) (Facility, bool) {
	for i, n := range facilityNames {
		if n == name {
			return Facility(i + 1), true
		}
	}
	return FacilityNone, false
}

// PRI returns the syslog PRI value for the event's facility and severity;
// user (1) is used when the event has no facility.
func PRI(f Facility, s Severity) int {
	code := f.Code()
	if code < 0 {
		code = 1
	}
	return code*8 + int(s&7)
}
