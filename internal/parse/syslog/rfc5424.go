package syslog

import (
	"strconv"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
)

// maxSDName is RFC 5424's limit on SD-IDs and PARAM-NAMEs (section 6.3).
// The header field limits (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32)
// are not enforced: see the package documentation.
const maxSDName = 32

const utf8BOM = "\xef\xbb\xbf"

// Parse5424 parses one RFC 5424 line, or the variant Heroku Logplex sends
// (MSG directly after MSGID, no STRUCTURED-DATA), into e.
//
// It sets e.Time (UTC; zero for the NILVALUE), e.Severity and
// e.SeveritySource (event.SeverityPRI), e.Facility, e.Host, e.App, e.Proc,
// e.MsgID and e.Message, and appends each SD-PARAM to e.Fields as a String
// field named "SD-ID.PARAM-NAME" (an SD-ELEMENT without parameters becomes a
// field named after its SD-ID with an empty value). Other fields of e are not
// touched; reuse e across lines with e.Reset. One trailing "\n" is trimmed
// from line and a UTF-8 BOM from the start of MSG. Strings in e are
// substrings of line, except field keys "SD-ID.PARAM-NAME" (one allocation
// per line with parameters) and PARAM-VALUEs that contained escapes.
//
// Text after MSGID that starts with '[' but is not valid STRUCTURED-DATA
// followed by SP or the end of the line is MSG, whole (see the package
// documentation): STRUCTURED-DATA never makes a line fail.
//
// On error, which is always a *ParseError, e is left as it was.
func Parse5424(line string, e *event.Event) error {
	// Logplex frames end in "\n"; trim it here rather than from MSG so that
	// a frame ending right after MSGID or STRUCTURED-DATA parses too.
	line = strings.TrimSuffix(line, "\n")
	pri, p, perr0 := parsePRI(line)
	if perr0 != nil {
		return perr0
	}

	// VERSION = NONZERO-DIGIT 0*2DIGIT; only 1 exists.
	vs := p
	for p < len(line) && isDigit(line[p]) {
		p++
	}
	switch {
	case p == vs && p == len(line):
		return perr(fieldVersion, p, "unexpected end of line")
	case p == vs:
		return perr(fieldVersion, p, "expected a digit, found "+describeByte(line[p]))
	case p-vs != 1 || line[vs] != '1':
		return perr(fieldVersion, vs, "unsupported version "+line[vs:p])
	}
	if err := expectSP(line, p, fieldVersion); err != nil {
		return err
	}
	p++

	// TIMESTAMP
	var ts timestamp
	if p < len(line) && line[p] == '-' && (p+1 == len(line) || line[p+1] == ' ') {
		p++
	} else {
		var err *ParseError
		start := p
		ts, p, err = parseTimestamp(line, p)
		if err == nil {
			err = ts.checkYear(start)
		}
		if err != nil {
			return err
		}
		if p < len(line) && line[p] != ' ' {
			return perr(fieldTimestamp, p, "unexpected "+describeByte(line[p]))
		}
	}
	if err := expectSP(line, p, fieldTimestamp); err != nil {
		return err
	}
	p++

	host, p, err := headerField(line, p, fieldHostname)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldHostname); err != nil {
		return err
	}
	app, p, err := headerField(line, p+1, fieldAppName)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldAppName); err != nil {
		return err
	}
	proc, p, err := headerField(line, p+1, fieldProcID)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldProcID); err != nil {
		return err
	}
	msgid, p, err := headerField(line, p+1, fieldMsgID)
	if err != nil {
		return err
	}

	// STRUCTURED-DATA, its NILVALUE, or (Heroku) nothing at all.
	var msg string
	if p < len(line) {
		p++ // the SP after MSGID; headerField stops only at SP or the end.
		switch {
		case p < len(line) && line[p] == '[':
			first := len(e.Fields)
			end, ok := parseSD(line, p, e)
			switch {
			case !ok:
				// Not STRUCTURED-DATA: a message that starts with '['.
				clear(e.Fields[first:])
				e.Fields = e.Fields[:first]
				msg = line[p:]
			case end < len(line):
				msg = line[end+1:]
			}
		case p < len(line) && line[p] == '-' && (p+1 == len(line) || line[p+1] == ' '):
			if p+1 < len(line) {
				msg = line[p+2:]
			}
		default:
			msg = line[p:]
		}
	}
	msg = strings.TrimPrefix(msg, utf8BOM)

	e.Time = ts.time()
	e.Severity = event.Severity(pri & 7)
	e.SeveritySource = event.SeverityPRI
	e.Facility = event.FacilityFromCode(pri >> 3)
	e.Host = host
	e.App = app
	e.Proc = proc
	e.MsgID = msgid
	e.Message = msg
	return nil
}

// parsePRI reads "<PRIVAL>" strictly as RFC 5424 section 6.2.1 has it:
// 1 to 3 digits, no leading zeros, at most 191. It returns the value and the
// offset after '>'.
func parsePRI(line string) (int, int, *ParseError) {
	if len(line) == 0 {
		return 0, 0, perr(fieldPRI, 0, "empty line")
	}
	if line[0] != '<' {
		return 0, 0, perr(fieldPRI, 0, "expected '<', found "+describeByte(line[0]))
	}
	p := 1
	v := 0
	for p < len(line) && isDigit(line[p]) {
		if p == 4 {
			return 0, 0, perr(fieldPRI, 1, "more than 3 digits")
		}
		v = v*10 + int(line[p]-'0')
		p++
	}
	switch {
	case p == len(line):
		return 0, 0, perr(fieldPRI, p, "unexpected end of line")
	case p == 1:
		return 0, 0, perr(fieldPRI, 1, "expected a digit, found "+describeByte(line[p]))
	case line[p] != '>':
		return 0, 0, perr(fieldPRI, p, "expected '>', found "+describeByte(line[p]))
	case line[1] == '0' && p > 2:
		return 0, 0, perr(fieldPRI, 1, "leading zero")
	case v > 191:
		return 0, 0, perr(fieldPRI, 1, "value "+strconv.Itoa(v)+" out of range 0-191")
	}
	return v, p + 1, nil
}

// expectSP checks that line[p] is the SP that ends field.
func expectSP(line string, p int, field string) *ParseError {
	if p >= len(line) {
		return perr(nextField(field), p, "unexpected end of line")
	}
	if line[p] != ' ' {
		return perr(field, p, "expected SP, found "+describeByte(line[p]))
	}
	return nil
}

// nextField names the header field after field, for "unexpected end of
// line" errors: the field that is missing.
func nextField(field string) string {
	switch field {
	case fieldVersion:
		return fieldTimestamp
	case fieldTimestamp:
		return fieldHostname
	case fieldHostname:
		return fieldAppName
	case fieldAppName:
		return fieldProcID
	case fieldProcID:
		return fieldMsgID
	}
	return field
}

// headerField reads 1*PRINTUSASCII starting at p, up to the next SP or the
// end of line. "-" (NILVALUE) becomes "". RFC 5424's length limits are not
// enforced.
func headerField(line string, p int, field string) (string, int, *ParseError) {
	start := p
	for p < len(line) {
		c := line[p]
		if c == ' ' {
			break
		}
		if c < 33 || c > 126 {
			return "", p, perr(field, p, "invalid character "+describeByte(c))
		}
		p++
	}
	switch n := p - start; {
	case n == 0 && p == len(line):
		return "", p, perr(field, p, "unexpected end of line")
	case n == 0:
		return "", p, perr(field, p, "empty field")
	case n == 1 && line[start] == '-':
		return "", p, nil
	}
	return line[start:p], p, nil
}

// parseSD parses one or more SD-ELEMENTs starting at line[p] == '[' and
// appends their parameters to e.Fields. It returns the offset after the last
// ']' and whether the text is STRUCTURED-DATA at all: false for a syntax
// error, for STRUCTURED-DATA followed by anything but SP or the end of the
// line, and for an SD-ELEMENT without parameters whose SD-ID is neither
// IANA-registered nor "name@enterprise-number" (see sdIDWithoutParams). On
// false the caller removes what was appended; keys and unescaped values are
// built only once the whole is known to be valid, so a false costs no
// allocation beyond e.Fields growing.
func parseSD(line string, p int, e *event.Event) (int, bool) {
	first := len(e.Fields)
	keyBytes := 0
	escaped := false
	for p < len(line) && line[p] == '[' {
		p++
		idStart := p
		p = scanSDName(line, p)
		if p == idStart || p-idStart > maxSDName {
			return p, false
		}
		id := line[idStart:p]
		params := 0
		for {
			if p >= len(line) {
				return p, false
			}
			c := line[p]
			if c == ']' {
				p++
				break
			}
			if c != ' ' {
				return p, false
			}
			p++
			nameStart := p
			p = scanSDName(line, p)
			if p == nameStart || p-nameStart > maxSDName {
				return p, false
			}
			nameEnd := p
			if p+1 >= len(line) || line[p] != '=' || line[p+1] != '"' {
				return p, false
			}
			p += 2
			valStart := p
			// q is the next '"'; an escape may consume it, then look again.
			// Each byte is looked at a bounded number of times.
			q := strings.IndexByte(line[p:], '"') + p
			for {
				if q < p {
					return p, false // unterminated PARAM-VALUE
				}
				b := strings.IndexByte(line[p:q], '\\')
				if b < 0 {
					p = q
					break
				}
				escaped = true
				p += b + 2 // the backslash and the byte it escapes
				if p > q {
					q = strings.IndexByte(line[p:], '"') + p
				}
			}
			val := line[valStart:p]
			p++ // closing '"'
			// The key is stitched together below; until then it holds
			// "SD-ID ... PARAM-NAME", a substring from which both can be
			// recovered: SD-ID ends at the first SP, PARAM-NAME starts after
			// the last one.
			e.Fields = append(e.Fields, event.Field{Key: line[idStart:nameEnd], Value: val, Type: event.String})
			keyBytes += len(id) + 1 + nameEnd - nameStart
			params++
		}
		if params == 0 {
			if !sdIDWithoutParams(id) {
				return p, false
			}
			e.Fields = append(e.Fields, event.Field{Key: id, Type: event.String})
		}
	}
	if p < len(line) && line[p] != ' ' {
		return p, false
	}
	// The STRUCTURED-DATA is valid: now allocate.
	if escaped {
		for i := first; i < len(e.Fields); i++ {
			if v := e.Fields[i].Value; strings.IndexByte(v, '\\') >= 0 {
				e.Fields[i].Value = unescapeSD(v)
			}
		}
	}
	if keyBytes > 0 {
		// One allocation for all "SD-ID.PARAM-NAME" keys of the line.
		var b strings.Builder
		b.Grow(keyBytes)
		for i := first; i < len(e.Fields); i++ {
			k := e.Fields[i].Key
			sp := strings.IndexByte(k, ' ')
			if sp < 0 {
				continue // an SD-ELEMENT without parameters
			}
			off := b.Len()
			b.WriteString(k[:sp])
			b.WriteByte('.')
			b.WriteString(k[strings.LastIndexByte(k, ' ')+1:])
			e.Fields[i].Key = b.String()[off:]
		}
	}
	return p, true
}

// sdIDWithoutParams reports whether id may stand in an SD-ELEMENT without
// parameters: an IANA-registered SD-ID (RFC 5424 section 7: timeQuality,
// origin, meta) or a private one, "name@" and a private enterprise number
// (digits and dots, section 7.2.2). Anything else in brackets, "[INFO]",
// "[3]", "[nodemon]", is how messages begin, not STRUCTURED-DATA.
func sdIDWithoutParams(id string) bool {
	switch id {
	case "timeQuality", "origin", "meta":
		return true
	}
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || !isDigit(id[at+1]) {
		return false
	}
	for i := at + 1; i < len(id); i++ {
		if c := id[i]; !isDigit(c) && c != '.' {
			return false
		}
	}
	return true
}

// scanSDName returns the offset of the first byte at or after p that cannot
// be in an SD-NAME (PRINTUSASCII except '=', SP, ']' and '"').
func scanSDName(line string, p int) int {
	for p < len(line) {
		c := line[p]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' {
			break
		}
		p++
	}
	return p
}

// unescapeSD undoes the PARAM-VALUE escapes \" \\ and \]; a backslash before
// any other byte is kept, as RFC 5424 section 6.3.3 says.
func unescapeSD(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			if n := v[i+1]; n == '"' || n == '\\' || n == ']' {
				b.WriteByte(n)
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
