package syslog

import (
	"strconv"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
)

// RFC 5424 section 6 header field length limits.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
)

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
		ts, p, err = parseTimestamp(line, p)
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

	host, p, err := headerField(line, p, fieldHostname, maxHostname)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldHostname); err != nil {
		return err
	}
	app, p, err := headerField(line, p+1, fieldAppName, maxAppName)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldAppName); err != nil {
		return err
	}
	proc, p, err := headerField(line, p+1, fieldProcID, maxProcID)
	if err != nil {
		return err
	}
	if err := expectSP(line, p, fieldProcID); err != nil {
		return err
	}
	msgid, p, err := headerField(line, p+1, fieldMsgID, maxMsgID)
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
			p, err = parseSD(line, p, e)
			if err != nil {
				clear(e.Fields[first:])
				e.Fields = e.Fields[:first]
				return err
			}
			if p < len(line) {
				if line[p] != ' ' {
					clear(e.Fields[first:])
					e.Fields = e.Fields[:first]
					return perr(fieldSD, p, "expected SP after STRUCTURED-DATA, found "+describeByte(line[p]))
				}
				msg = line[p+1:]
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

// headerField reads 1*max PRINTUSASCII starting at p, up to the next SP or
// the end of line. "-" (NILVALUE) becomes "".
func headerField(line string, p int, field string, max int) (string, int, *ParseError) {
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
	case n > max:
		return "", p, perr(field, start, "longer than "+strconv.Itoa(max)+" characters")
	case n == 1 && line[start] == '-':
		return "", p, nil
	}
	return line[start:p], p, nil
}

// parseSD parses one or more SD-ELEMENTs starting at line[p] == '[' and
// appends their parameters to e.Fields. It returns the offset after the last
// ']'. On error the caller removes what was appended.
func parseSD(line string, p int, e *event.Event) (int, *ParseError) {
	first := len(e.Fields)
	keyBytes := 0
	for p < len(line) && line[p] == '[' {
		p++
		idStart := p
		p = scanSDName(line, p)
		if err := checkSDName(line, idStart, p, "SD-ID"); err != nil {
			return p, err
		}
		id := line[idStart:p]
		params := 0
		for {
			if p >= len(line) {
				return p, perr(fieldSD, p, "unexpected end of line in SD-ELEMENT")
			}
			c := line[p]
			if c == ']' {
				p++
				break
			}
			if c != ' ' {
				return p, perr(fieldSD, p, "expected SP or ']', found "+describeByte(c))
			}
			p++
			nameStart := p
			p = scanSDName(line, p)
			if err := checkSDName(line, nameStart, p, "PARAM-NAME"); err != nil {
				return p, err
			}
			nameEnd := p
			if p >= len(line) || line[p] != '=' {
				return p, sdExpected(line, p, "'=' after PARAM-NAME")
			}
			p++
			if p >= len(line) || line[p] != '"' {
				return p, sdExpected(line, p, "'\"' to start PARAM-VALUE")
			}
			p++
			valStart := p
			escaped := false
			// q is the next '"'; an escape may consume it, then look again.
			// Each byte is looked at a bounded number of times.
			q := strings.IndexByte(line[p:], '"') + p
			for {
				if q < p {
					return p, perr(fieldSD, valStart-1, "unterminated PARAM-VALUE")
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
			if escaped {
				val = unescapeSD(val)
			}
			// The key is stitched together below; until then it holds
			// "SD-ID ... PARAM-NAME", a substring from which both can be
			// recovered: SD-ID ends at the first SP, PARAM-NAME starts after
			// the last one.
			e.Fields = append(e.Fields, event.Field{Key: line[idStart:nameEnd], Value: val, Type: event.String})
			keyBytes += len(id) + 1 + nameEnd - nameStart
			params++
		}
		if params == 0 {
			e.Fields = append(e.Fields, event.Field{Key: id, Type: event.String})
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
	return p, nil
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

func checkSDName(line string, start, end int, what string) *ParseError {
	switch {
	case end == start && end == len(line):
		return perr(fieldSD, end, "unexpected end of line, expected "+what)
	case end == start:
		return perr(fieldSD, end, "expected "+what+", found "+describeByte(line[end]))
	case end-start > maxSDName:
		return perr(fieldSD, start, what+" longer than 32 characters")
	}
	return nil
}

func sdExpected(line string, p int, what string) *ParseError {
	if p >= len(line) {
		return perr(fieldSD, p, "unexpected end of line, expected "+what)
	}
	return perr(fieldSD, p, "expected "+what+", found "+describeByte(line[p]))
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
