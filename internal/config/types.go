package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a length of time written as a Go duration: "10s", "1m30s",
// "250ms". A bare number is refused (is "10" seconds or nanoseconds?), except
// "0".
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d the way configuration writes it: "10m", "1h30m", "250ms".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration reads a Duration: a Go duration such as "10s" or "1h30m".
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("cannot read an empty duration: write one with a unit, e.g. 10s")
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil && t != "0" {
		return 0, fmt.Errorf("cannot read duration %q: it has no unit; write e.g. %ss or %sms", s, t, t)
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("cannot read duration %q: want a number with a unit (ns, us, ms, s, m, h), e.g. 10s or 1m30s", s)
	}
	return Duration(v), nil
}

// ByteSize is an amount of bytes written as a number with an optional
// unit: "10MiB", "64MB", "512KiB", "1GiB" or plain bytes ("1048576").
// Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal units (kB,
// KB, MB, GB, TB) powers of 1000.
type ByteSize int64

// Byte size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

type byteUnit struct {
	name string
	size ByteSize
}

// byteUnits lists the units, largest first and binary before decimal.
func byteUnits() [10]byteUnit {
	return [...]byteUnit{
		{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3},
		{"B", 1},
	}
}

// String formats b with the unit that divides it exactly and gives the
// smallest number: "10MiB", "64MB", "1000B" is "1kB".
func (b ByteSize) String() string {
	if b == 0 {
		return "0"
	}
	best := byteUnit{"B", 1}
	for _, u := range byteUnits() {
		if u.name != "KB" && b%u.size == 0 && u.size > best.size {
			best = u
		}
	}
	return strconv.FormatInt(int64(b/best.size), 10) + best.name
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseByteSize reads a ByteSize: a whole number of bytes with an optional
// unit, e.g. "10MiB", "64MB", "4096".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("cannot read size %q: want a whole number with a unit, e.g. 10MiB, 64MB or 4096 (bytes)", s)
	}
	mult := ByteSize(1)
	if unit != "" {
		found := false
		for _, u := range byteUnits() {
			if unit == u.name {
				mult, found = u.size, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("cannot read size %q: unknown unit %q; use B, KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (powers of 1000)", s, unit)
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/int64(mult) {
		return 0, fmt.Errorf("cannot read size %q: too large", s)
	}
	return ByteSize(n) * mult, nil
}

// Secret is a credential: a password, token or key. It prints as
// "REDACTED" (fmt, YAML, JSON, Config.Redacted), so a configuration can be
// logged without leaking it; string(s) is the value.
type Secret string

const redacted = "REDACTED"

// String returns "REDACTED", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Secrets is a list of secrets that also accepts a single one: in YAML both
// `alice: s3cret` and `alice: [old, new]` (for rotation) decode to Secrets.
type Secrets []Secret
