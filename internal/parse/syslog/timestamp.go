package syslog

import (
	"strconv"
	"time"
)

// timestamp is a parsed RFC 3339 timestamp, kept as numbers so that building
// the time.Time costs no allocation (no time.Location for the offset).
type timestamp struct {
	year, month, day, hour, min, sec, nsec int
	offset                                 int // seconds east of UTC
	set                                    bool
}

// time returns the instant in UTC, or the zero time when t is not set.
func (t timestamp) time() time.Time {
	if !t.set {
		return time.Time{}
	}
	return time.Date(t.year, time.Month(t.month), t.day, t.hour, t.min, t.sec, t.nsec, time.UTC).
		Add(-time.Duration(t.offset) * time.Second)
}

// The years an event time can have: event.Event's binary encoding stores
// Unix nanoseconds, which reach from 1677-09-21 to 2262-04-11. Every instant
// of the years in between, whatever its offset, fits.
const (
	minYear = 1678
	maxYear = 2261
)

// checkYear rejects a timestamp whose year is outside minYear..maxYear; p is
// the offset of the year in the line.
func (t timestamp) checkYear(p int) *ParseError {
	if t.year < minYear || t.year > maxYear {
		return perr(fieldTimestamp, p, yearReason(t.year))
	}
	return nil
}

func yearReason(year int) string {
	return "year " + strconv.Itoa(year) + " outside the supported range " +
		strconv.Itoa(minYear) + "-" + strconv.Itoa(maxYear)
}

// parseTimestamp reads FULL-DATE "T" FULL-TIME as RFC 5424 section 6.2.3 has
// it, with up to 9 digits of fractional seconds. It stops after the offset.
// It accepts any year; callers check it with checkYear.
func parseTimestamp(s string, p int) (timestamp, int, *ParseError) {
	var t timestamp
	var ok bool
	if t.year, ok = digits(s, p, 4); !ok {
		return t, p, tsExpected(s, p, "4-digit year")
	}
	p += 4
	if !at(s, p, '-') {
		return t, p, tsExpected(s, p, "'-' after year")
	}
	p++
	if t.month, ok = digits(s, p, 2); !ok {
		return t, p, tsExpected(s, p, "2-digit month")
	}
	if t.month < 1 || t.month > 12 {
		return t, p, perr(fieldTimestamp, p, "month "+strconv.Itoa(t.month)+" out of range")
	}
	p += 2
	if !at(s, p, '-') {
		return t, p, tsExpected(s, p, "'-' after month")
	}
	p++
	if t.day, ok = digits(s, p, 2); !ok {
		return t, p, tsExpected(s, p, "2-digit day")
	}
	if t.day < 1 || t.day > daysIn(t.month, t.year) {
		return t, p, perr(fieldTimestamp, p, "day "+strconv.Itoa(t.day)+" out of range for "+time.Month(t.month).String()+" "+strconv.Itoa(t.year))
	}
	p += 2
	if !at(s, p, 'T') {
		return t, p, tsExpected(s, p, "'T' after date")
	}
	p++
	if t.hour, ok = digits(s, p, 2); !ok {
		return t, p, tsExpected(s, p, "2-digit hour")
	}
	if t.hour > 23 {
		return t, p, perr(fieldTimestamp, p, "hour "+strconv.Itoa(t.hour)+" out of range")
	}
	p += 2
	if !at(s, p, ':') {
		return t, p, tsExpected(s, p, "':' after hour")
	}
	p++
	if t.min, ok = digits(s, p, 2); !ok {
		return t, p, tsExpected(s, p, "2-digit minute")
	}
	if t.min > 59 {
		return t, p, perr(fieldTimestamp, p, "minute "+strconv.Itoa(t.min)+" out of range")
	}
	p += 2
	if !at(s, p, ':') {
		return t, p, tsExpected(s, p, "':' after minute")
	}
	p++
	if t.sec, ok = digits(s, p, 2); !ok {
		return t, p, tsExpected(s, p, "2-digit second")
	}
	if t.sec > 59 {
		return t, p, perr(fieldTimestamp, p, "second "+strconv.Itoa(t.sec)+" out of range")
	}
	p += 2
	if at(s, p, '.') {
		p++
		start := p
		for p < len(s) && isDigit(s[p]) {
			if p-start == 9 {
				return t, start, perr(fieldTimestamp, start, "fraction of a second longer than 9 digits")
			}
			t.nsec = t.nsec*10 + int(s[p]-'0')
			p++
		}
		if p == start {
			return t, p, tsExpected(s, p, "digits after '.'")
		}
		for i := p - start; i < 9; i++ {
			t.nsec *= 10
		}
	}
	switch {
	case at(s, p, 'Z'):
		p++
	case at(s, p, '+') || at(s, p, '-'):
		sign := 1
		if s[p] == '-' {
			sign = -1
		}
		p++
		oh, ok := digits(s, p, 2)
		if !ok {
			return t, p, tsExpected(s, p, "2-digit offset hour")
		}
		if oh > 23 {
			return t, p, perr(fieldTimestamp, p, "offset hour "+strconv.Itoa(oh)+" out of range")
		}
		p += 2
		if !at(s, p, ':') {
			return t, p, tsExpected(s, p, "':' in offset")
		}
		p++
		om, ok := digits(s, p, 2)
		if !ok {
			return t, p, tsExpected(s, p, "2-digit offset minute")
		}
		if om > 59 {
			return t, p, perr(fieldTimestamp, p, "offset minute "+strconv.Itoa(om)+" out of range")
		}
		p += 2
		t.offset = sign * (oh*3600 + om*60)
	default:
		return t, p, tsExpected(s, p, "'Z' or a numeric offset")
	}
	t.set = true
	return t, p, nil
}

// digits reads exactly n ASCII digits at s[p:].
func digits(s string, p, n int) (int, bool) {
	if p+n > len(s) {
		return 0, false
	}
	v := 0
	for i := p; i < p+n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func at(s string, p int, c byte) bool { return p < len(s) && s[p] == c }

func tsExpected(s string, p int, what string) *ParseError {
	if p >= len(s) {
		return perr(fieldTimestamp, p, "unexpected end of line, expected "+what)
	}
	return perr(fieldTimestamp, p, "expected "+what+", found "+describeByte(s[p]))
}

// daysIn returns the number of days in month of year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
