package syslog

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluicelog/sluice/internal/event"
)

// Field names this package reads from events (see the package doc).
const (
	// FieldOriginIP is the field sources record the sender's address in
	// (log-iss: X-Forwarded-For or the peer address). FormatLogISS writes
	// it as [origin ip="…"].
	FieldOriginIP = "origin.ip"
	// FieldDrainToken is the field the logplex source records the
	// Logplex-Drain-Token header in. FormatLogISS puts it in place of the
	// Logplex default hostname "host"; Event.Source is used when absent.
	FieldDrainToken = "logplex.drain_token"
)

// RFC 5424 section 6 header field length limits, which log-iss enforces
// too (cmd/forwarder/fixer.go: maxHostnameLength and friends).
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
)

// logplexDefaultHost is the HOSTNAME Logplex sends for drains; log-iss
// replaces it with the drain token.
const logplexDefaultHost = "host"

// AppendFrame appends one octet-counted syslog frame (RFC 6587 section
// 3.4.1, RFC 5425 section 4.3: MSG-LEN SP SYSLOG-MSG) for e in format f to
// dst and returns the extended slice. It does not allocate beyond growing
// dst. An unknown format is treated as FormatRFC5424.
func AppendFrame(dst []byte, e *event.Event, f Format) []byte {
	return appendFrame(dst, e, f, "")
}

// appendFrame is AppendFrame; with FormatLogISS, fields of SD-ID
// metadataID (when not empty) become log-iss's METADATA_ID element.
func appendFrame(dst []byte, e *event.Event, f Format, metadataID string) []byte {
	start := len(dst)
	switch f {
	case FormatRaw:
		if e.Raw != "" {
			dst = strconv.AppendInt(dst, int64(len(e.Raw)), 10)
			dst = append(dst, ' ')
			return append(dst, e.Raw...)
		}
		dst = appendRFC5424(dst, e, false, "")
	case FormatLogISS:
		var ok bool
		if e.Raw != "" {
			dst, ok = appendLogISS(dst, e.Raw, e, metadataID)
		}
		if !ok {
			// No usable Raw: build the RFC 5424 message from the event
			// (without its own origin element) and rewrite that, so that
			// the output has exactly the shape log-iss gives.
			mid := len(dst)
			dst = appendRFC5424(dst, e, true, metadataID)
			msg := dst[mid:]
			dst, _ = appendLogISS(dst, msg, e, metadataID)
			n := copy(dst[mid:], dst[mid+len(msg):])
			dst = dst[:mid+n]
		}
	default:
		dst = appendRFC5424(dst, e, false, "")
	}
	return prefixLength(dst, start)
}

// prefixLength inserts "LEN SP" before dst[start:].
func prefixLength(dst []byte, start int) []byte {
	var num [20]byte
	digits := strconv.AppendInt(num[:0], int64(len(dst)-start), 10)
	k := len(digits) + 1
	end := len(dst)
	dst = append(dst, num[:k]...) // grow by k; contents overwritten below
	copy(dst[start+k:], dst[start:end])
	copy(dst[start:], digits)
	dst[start+k-1] = ' '
	return dst
}

// appendRFC5424 appends
// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [SP MSG].
// With forLogISS, fields of the SD-IDs "origin", "logplex" and metadataID
// are left out.
func appendRFC5424(dst []byte, e *event.Event, forLogISS bool, metadataID string) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(event.PRI(e.Facility, e.Severity)), 10)
	dst = append(dst, '>', '1', ' ')
	dst = appendTimestamp(dst, e)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, e.Host, maxHostname)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, e.App, maxAppName)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, e.Proc, maxProcID)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, e.MsgID, maxMsgID)
	dst = append(dst, ' ')
	dst = appendSD(dst, e.Fields, forLogISS, metadataID)
	if e.Message != "" {
		dst = append(dst, ' ')
		dst = append(dst, e.Message...)
	}
	return dst
}

// appendTimestamp writes e.Time, or e.Received when the sender gave no
// time, as RFC 3339 in UTC with microseconds (RFC 5424 section 6.2.3 allows
// at most 6 digits of TIME-SECFRAC): 2006-01-02T15:04:05.000000Z; the NILVALUE when neither is set or the
// year does not fit RFC 3339.
func appendTimestamp(dst []byte, e *event.Event) []byte {
	t := e.Time
	if t.IsZero() {
		t = e.Received
	}
	if t.IsZero() {
		return append(dst, '-')
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return append(dst, '-')
	}
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6) // truncated, as time.Format does
	return append(dst, 'Z')
}

// appendDigits writes v (non-negative) as exactly width decimal digits.
func appendDigits(dst []byte, v, width int) []byte {
	var b [9]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

// appendHeaderField writes s as an RFC 5424 header field: the NILVALUE
// when empty, bytes outside PRINTUSASCII (33..126) replaced by '_' (one per
// invalid byte or per UTF-8 sequence), cut to max bytes.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	clean := len(s) <= max
	for i := 0; clean && i < len(s); i++ {
		clean = s[i] >= 33 && s[i] <= 126
	}
	if clean {
		return append(dst, s...)
	}
	n := 0
	for i := 0; i < len(s) && n < max; n++ {
		c := s[i]
		switch {
		case c >= 33 && c <= 126:
			dst = append(dst, c)
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, '_')
			i++
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			dst = append(dst, '_')
			i += size
		}
	}
	return dst
}

// appendSD writes the fields named "SD-ID.PARAM-NAME" as STRUCTURED-DATA,
// one SD-ELEMENT per SD-ID in order of first appearance, or the NILVALUE.
// The key is split at its last '.'; keys whose parts are not valid
// SD-NAMEs are not structured data and are skipped. With forLogISS, the
// SD-IDs "origin", "logplex" and metadataID are skipped too.
func appendSD(dst []byte, fields []event.Field, forLogISS bool, metadataID string) []byte {
	empty := true
	for i := range fields {
		id, _, ok := splitSDKey(fields[i].Key)
		if !ok || (forLogISS && (id == "origin" || id == "logplex" || id == metadataID)) {
			continue
		}
		seen := false
		for j := range i {
			if _, ok := sdParam(fields[j].Key, id); ok {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		empty = false
		dst = appendSDElement(dst, fields[i:], id)
	}
	if empty {
		dst = append(dst, '-')
	}
	return dst
}

// appendSDElement writes [id PARAM="VALUE"...] with the fields named
// "id.PARAM", or nothing when there are none.
func appendSDElement(dst []byte, fields []event.Field, id string) []byte {
	open := false
	for j := range fields {
		param, ok := sdParam(fields[j].Key, id)
		if !ok {
			continue
		}
		if !open {
			dst = append(dst, '[')
			dst = append(dst, id...)
			open = true
		}
		dst = append(dst, ' ')
		dst = append(dst, param...)
		dst = append(dst, '=', '"')
		dst = appendSDValue(dst, fields[j].Value)
		dst = append(dst, '"')
	}
	if open {
		dst = append(dst, ']')
	}
	return dst
}

// sdParam returns the PARAM-NAME of key when key is "id.PARAM-NAME" as
// splitSDKey splits it (id already valid).
func sdParam(key, id string) (string, bool) {
	if len(key) <= len(id)+1 || key[len(id)] != '.' || key[:len(id)] != id {
		return "", false
	}
	param := key[len(id)+1:]
	return param, strings.IndexByte(param, '.') < 0 && isSDName(param)
}

// splitSDKey splits "SD-ID.PARAM-NAME" at the last '.'.
func splitSDKey(key string) (id, param string, ok bool) {
	dot := strings.LastIndexByte(key, '.')
	if dot < 0 {
		return "", "", false
	}
	id, param = key[:dot], key[dot+1:]
	return id, param, isSDName(id) && isSDName(param)
}

// isSDName reports whether s is an SD-NAME: 1 to 32 PRINTUSASCII except
// '=', SP, ']' and '"'.
func isSDName(s string) bool {
	if len(s) == 0 || len(s) > maxSDName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' {
			return false
		}
	}
	return true
}

// appendSDValue writes a PARAM-VALUE with '"', '\' and ']' escaped by a
// backslash (RFC 5424 section 6.3.3).
func appendSDValue(dst []byte, v string) []byte {
	for {
		i := strings.IndexAny(v, "\"\\]")
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, '\\', v[i])
		v = v[i+1:]
	}
}

// bytesOrString is a syslog message held either way, so that the log-iss
// rewrite reads Event.Raw and a message built in dst without copying.
type bytesOrString interface{ ~string | ~[]byte }

// appendLogISS appends msg rewritten as heroku/log-iss's fix function
// (cmd/forwarder/fixer.go) does with a frame read by
// github.com/bmizerany/lpx; the package documentation has the rules. It
// reports false, having appended nothing, when msg does not start with
// "<PRI>VERSION SP" or has fewer than six header fields (the sixth may end
// the message).
func appendLogISS[S bytesOrString](dst []byte, msg S, e *event.Event, metadataID string) ([]byte, bool) {
	var f [6]S
	p := 0
	for i := range f {
		j := p
		for j < len(msg) && msg[j] != ' ' {
			j++
		}
		if j == len(msg) && i < len(f)-1 {
			return dst, false
		}
		f[i] = msg[p:j]
		p = min(j+1, len(msg))
	}
	if !isPRIVersion(f[0]) {
		return dst, false
	}
	b := msg[p:]

	dst = append(dst, f[0]...)
	dst = append(dst, ' ')
	dst = append(dst, f[1]...)
	dst = append(dst, ' ')
	if token := drainToken(e); token != "" && isLogplexDefaultHost(f[2]) {
		dst = appendCut(dst, token, maxHostname)
	} else {
		dst = appendCut(dst, f[2], maxHostname)
	}
	dst = append(dst, ' ')
	dst = appendCut(dst, f[3], maxAppName)
	dst = append(dst, ' ')
	dst = appendCut(dst, f[4], maxProcID)
	dst = append(dst, ' ')
	dst = appendCut(dst, f[5], maxMsgID)
	dst = append(dst, ' ')
	if ip, ok := e.Field(FieldOriginIP); ok && ip.Value != "" {
		dst = append(dst, `[origin ip="`...)
		dst = appendSDValue(dst, ip.Value)
		dst = append(dst, '"', ']')
	}
	if metadataID != "" {
		dst = appendSDElement(dst, e.Fields, metadataID)
	}
	switch {
	case len(b) >= 2 && b[0] == '-' && b[1] == ' ':
		dst = append(dst, b[1:]...)
	case len(b) > 0:
		if b[0] != '[' {
			dst = append(dst, ' ')
		}
		dst = append(dst, b...)
	}
	return dst, true
}

// isLogplexDefaultHost reports whether s is "host", without converting it.
func isLogplexDefaultHost[S bytesOrString](s S) bool {
	return len(s) == len(logplexDefaultHost) && s[0] == 'h' && s[1] == 'o' && s[2] == 's' && s[3] == 't'
}

// drainToken returns the Logplex drain token of e: FieldDrainToken, or
// e.Source when the field is absent.
func drainToken(e *event.Event) string {
	if f, ok := e.Field(FieldDrainToken); ok {
		return f.Value
	}
	return e.Source
}

// isPRIVersion reports whether s is "<" 1*3DIGIT ">" 1*3DIGIT.
func isPRIVersion[S bytesOrString](s S) bool {
	if len(s) < 4 || s[0] != '<' {
		return false
	}
	i := 1
	for i < len(s) && i <= 3 && isDigit(s[i]) {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '>' {
		return false
	}
	i++
	v := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i == len(s) && i > v && i-v <= 3
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendCut appends s cut to max bytes, as log-iss's writeField does.
func appendCut[S bytesOrString](dst []byte, s S, max int) []byte {
	if len(s) > max {
		s = s[:max]
	}
	return append(dst, s...)
}
