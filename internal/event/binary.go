package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// EncodingVersion is the version byte that starts every binary-encoded event.
// Decoders reject versions they do not know rather than guess.
const EncodingVersion = 1

// Layout of version 1 (all integers little-endian varints):
//
//	version     byte (1)
//	flags       byte: bit 0 Time set, bit 1 Received set
//	time        zigzag varint Unix seconds, uvarint nanoseconds (only if flag bit 0)
//	received    the same (only if flag bit 1)
//	severity    byte (0..7)
//	sev source  byte (0..3)
//	facility    byte (0..24, code+1)
//	host app proc msgid message group stream source id raw   strings
//	nfields     uvarint
//	fields      nfields × (type byte, key string, value string)
//
// A string is a uvarint length followed by that many bytes.
const (
	flagTime     = 1 << 0
	flagReceived = 1 << 1
)

// ErrUnknownVersion is returned by Unmarshal for an encoding version this
// build does not know; upgrade sluice before reading such data.
var ErrUnknownVersion = errors.New("unknown event encoding version")

// Marshal appends the binary encoding of e to dst and returns the result.
func (e *Event) Marshal(dst []byte) []byte {
	var flags byte
	if !e.Time.IsZero() {
		flags |= flagTime
	}
	if !e.Received.IsZero() {
		flags |= flagReceived
	}
	dst = append(dst, EncodingVersion, flags)
	if flags&flagTime != 0 {
		dst = appendTime(dst, e.Time)
	}
	if flags&flagReceived != 0 {
		dst = appendTime(dst, e.Received)
	}
	dst = append(dst, byte(e.Severity), byte(e.SeveritySource), byte(e.Facility))
	for _, s := range [...]string{e.Host, e.App, e.Proc, e.MsgID, e.Message, e.Group, e.Stream, e.Source, e.ID, e.Raw} {
		dst = appendString(dst, s)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Fields)))
	for _, f := range e.Fields {
		dst = append(dst, byte(f.Type))
		dst = appendString(dst, f.Key)
		dst = appendString(dst, f.Value)
	}
	return dst
}

// appendTime writes seconds and nanoseconds separately, so every time.Time
// (not only 1678–2262, as UnixNano would) survives the round trip.
func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// Unmarshal decodes data, as written by Marshal, into e, replacing its
// contents (the capacity of e.Fields is reused). The strings of e share one
// copy of data, so data may be reused by the caller afterwards.
func (e *Event) Unmarshal(data []byte) error {
	return e.UnmarshalString(string(data))
}

// UnmarshalString is Unmarshal for data already held in a string: the
// event's strings are substrings of data, so decoding allocates nothing
// beyond growing e.Fields. A reader that decodes many records can copy them
// into one string and decode each from it.
func (e *Event) UnmarshalString(data string) error {
	d := decoder{s: data}
	e.Reset()
	if err := d.event(e); err != nil {
		return fmt.Errorf("cannot unmarshal event at byte %d: %w", d.off, err)
	}
	return nil
}

type decoder struct {
	s   string
	off int
}

func (d *decoder) event(e *Event) error {
	version, err := d.byte()
	if err != nil {
		return err
	}
	if version != EncodingVersion {
		return fmt.Errorf("%w %d (this build reads %d)", ErrUnknownVersion, version, EncodingVersion)
	}
	flags, err := d.byte()
	if err != nil {
		return err
	}
	if flags&^(flagTime|flagReceived) != 0 {
		return fmt.Errorf("unknown flags %#x", flags)
	}
	if flags&flagTime != 0 {
		if e.Time, err = d.time(); err != nil {
			return err
		}
	}
	if flags&flagReceived != 0 {
		if e.Received, err = d.time(); err != nil {
			return err
		}
	}
	var hdr [3]byte
	for i := range hdr {
		if hdr[i], err = d.byte(); err != nil {
			return err
		}
	}
	if Severity(hdr[0]) > Debug {
		return fmt.Errorf("severity %d out of range 0..7", hdr[0])
	}
	if SeveritySource(hdr[1]) > SeverityField {
		return fmt.Errorf("severity source %d out of range 0..3", hdr[1])
	}
	if int(hdr[2]) > len(facilityNames) {
		return fmt.Errorf("facility %d out of range 0..%d", hdr[2], len(facilityNames))
	}
	e.Severity, e.SeveritySource, e.Facility = Severity(hdr[0]), SeveritySource(hdr[1]), Facility(hdr[2])
	for _, p := range [...]*string{&e.Host, &e.App, &e.Proc, &e.MsgID, &e.Message, &e.Group, &e.Stream, &e.Source, &e.ID, &e.Raw} {
		if *p, err = d.string(); err != nil {
			return err
		}
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	// Each field takes at least 3 bytes; a count beyond that is corrupt and
	// must not drive an allocation.
	if n > uint64(len(d.s)-d.off)/3 {
		return fmt.Errorf("field count %d exceeds the remaining %d bytes", n, len(d.s)-d.off)
	}
	for range n {
		t, err := d.byte()
		if err != nil {
			return err
		}
		if FieldType(t) > JSON {
			return fmt.Errorf("field type %d out of range 0..3", t)
		}
		var f Field
		f.Type = FieldType(t)
		if f.Key, err = d.string(); err != nil {
			return err
		}
		if f.Value, err = d.string(); err != nil {
			return err
		}
		e.Fields = append(e.Fields, f)
	}
	if d.off != len(d.s) {
		return fmt.Errorf("%d trailing bytes after the event", len(d.s)-d.off)
	}
	return nil
}

var errShort = errors.New("data ends in the middle of the event")

func (d *decoder) byte() (byte, error) {
	if d.off >= len(d.s) {
		return 0, errShort
	}
	b := d.s[d.off]
	d.off++
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			return 0, errShort
		}
		b := d.s[d.off]
		d.off++
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, errors.New("varint overflows 64 bits")
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, errors.New("varint overflows 64 bits")
}

func (d *decoder) varint() (int64, error) {
	ux, err := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, err
}

func (d *decoder) time() (time.Time, error) {
	sec, err := d.varint()
	if err != nil {
		return time.Time{}, err
	}
	ns, err := d.uvarint()
	if err != nil {
		return time.Time{}, err
	}
	if ns >= 1e9 {
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range 0..999999999", ns)
	}
	return time.Unix(sec, int64(ns)).UTC(), nil
}

func (d *decoder) string() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.s)-d.off) {
		return "", fmt.Errorf("string of %d bytes exceeds the remaining %d bytes", n, len(d.s)-d.off)
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}
