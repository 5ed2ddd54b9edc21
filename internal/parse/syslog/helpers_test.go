package syslog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicelog/sluice/internal/event"
)

// wantEvent builds the expected event for table tests: ts is RFC 3339 (""
// for the zero time), pri is the PRI (-1: none, user.notice default with
// SeveritySource unset), fields are "key=value".
func wantEvent(t testing.TB, ts string, pri int, host, app, proc, msgid, msg string, fields ...string) event.Event {
	t.Helper()
	var e event.Event
	if ts != "" {
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("bad test timestamp %q: %s", ts, err)
		}
		e.Time = tm.UTC()
	}
	if pri >= 0 {
		e.Severity = event.Severity(pri % 8)
		e.SeveritySource = event.SeverityPRI
		e.Facility = event.FacilityFromCode(pri / 8)
	} else {
		e.Severity = event.Notice
		e.Facility = event.FacilityFromCode(1)
	}
	e.Host, e.App, e.Proc, e.MsgID, e.Message = host, app, proc, msgid, msg
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		e.AddString(k, v)
	}
	return e
}

// diffEvent compares events, checking that Time is in UTC too.
func diffEvent(got, want event.Event) string {
	if !got.Time.IsZero() && got.Time.Location() != time.UTC {
		return fmt.Sprintf("Time %s is not in UTC", got.Time)
	}
	if len(got.Fields) == 0 {
		got.Fields = nil
	}
	return cmp.Diff(want, got)
}
