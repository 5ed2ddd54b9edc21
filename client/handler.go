package client

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Handler returns a slog.Handler that sends every record as one event:
// time, level (see LevelName), message, and the attributes as fields whose
// keys are dotted paths of their groups ("req.method"). opts may be nil:
// Level defaults to slog.LevelInfo; AddSource adds the fields source.file,
// source.line and source.function; ReplaceAttr is applied to attributes
// (not to time, level and message).
func (c *Client) Handler(opts *slog.HandlerOptions) slog.Handler {
	h := &handler{c: c, level: slog.LevelInfo}
	if opts != nil {
		if opts.Level != nil {
			h.level = opts.Level
		}
		h.addSource, h.replace = opts.AddSource, opts.ReplaceAttr
	}
	return h
}

// handler is the slog.Handler of a Client.
type handler struct {
	c         *Client
	level     slog.Leveler
	addSource bool
	replace   func(groups []string, a slog.Attr) slog.Attr
	prefix    string   // the open groups, each followed by "."
	groups    []string // the open groups, for ReplaceAttr
	pre       []byte   // fields from WithAttrs, each `,"key":value`
}

// LevelName returns the sluice level name of a slog level: below info
// "debug", info "info", from info+2 "notice", warn "warning", error
// "error", from error+4 "crit".
func LevelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError+4:
		return "crit"
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= slog.LevelInfo+2:
		return "notice"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

// Enabled reports whether l is at least the handler's level.
func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle encodes r and buffers it for sending.
func (h *handler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	buf = append(buf, '{')
	if !r.Time.IsZero() {
		buf = append(buf, `"time":"`...)
		buf = r.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, `",`...)
	}
	buf = append(buf, `"level":"`...)
	buf = append(buf, LevelName(r.Level)...)
	buf = append(buf, `","message":`...)
	buf = appendQuoted(buf, r.Message)
	buf = append(buf, h.c.base...)

	start := len(buf)
	buf = append(buf, `,"fields":{`...)
	open := len(buf)
	buf = append(buf, h.pre...)
	r.Attrs(func(a slog.Attr) bool {
		buf = h.appendAttr(buf, h.prefix, h.groups, a)
		return true
	})
	if h.addSource {
		if src := r.Source(); src != nil {
			buf = h.appendAttr(buf, "", nil, slog.Group("source",
				slog.String("file", src.File), slog.Int("line", src.Line), slog.String("function", src.Function)))
		}
	}
	if len(buf) == open {
		buf = buf[:start] // no fields
	} else {
		buf = append(buf[:open], buf[open+1:]...) // the first field's comma
		buf = append(buf, '}')
	}
	buf = append(buf, '}')
	h.c.enqueue(buf)
	return nil
}

// WithAttrs returns a handler that adds attrs, in the open groups, to every
// record.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.pre = slices.Clip(h.pre)
	for _, a := range attrs {
		h2.pre = h.appendAttr(h2.pre, h.prefix, h.groups, a)
	}
	return &h2
}

// WithGroup returns a handler that puts later attributes in group name.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	h2.groups = append(slices.Clip(h.groups), name)
	return &h2
}

// appendAttr appends a as fields `,"<prefix><key>":value`, groups
// flattened into dotted keys; empty attributes and empty groups add
// nothing.
func (h *handler) appendAttr(buf []byte, prefix string, groups []string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if h.replace != nil && a.Value.Kind() != slog.KindGroup {
		a = h.replace(groups, a)
		a.Value = a.Value.Resolve()
	}
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if len(attrs) == 0 {
			return buf
		}
		if a.Key != "" {
			prefix += a.Key + "."
			groups = append(slices.Clip(groups), a.Key)
		}
		for _, ga := range attrs {
			buf = h.appendAttr(buf, prefix, groups, ga)
		}
		return buf
	}
	buf = append(buf, ',')
	buf = appendQuoted(buf, prefix+a.Key)
	buf = append(buf, ':')
	return appendValue(buf, a.Value)
}

// appendValue appends v as JSON: numbers and booleans as such, durations
// and times as strings, errors as their message, other values as
// encoding/json makes them (or their fmt form when it cannot).
func appendValue(buf []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendQuoted(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendQuoted(buf, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration:
		return appendQuoted(buf, v.Duration().String())
	case slog.KindTime:
		return appendQuoted(buf, v.Time().Format(time.RFC3339Nano))
	}
	x := v.Any()
	if err, ok := x.(error); ok {
		return appendQuoted(buf, err.Error())
	}
	if b, err := json.Marshal(x); err == nil {
		return append(buf, b...)
	}
	return appendQuoted(buf, fmt.Sprintf("%+v", x))
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
