package filterpattern

import (
	"strconv"
	"strings"
)

// slot is one comma-separated entry of a space-delimited pattern other
// than the ellipsis.
type slot struct {
	name  string // "" for an unnamed entry
	key   string // "$name", the Extract key of a named entry
	expr  *boolExpr
	conds []cond
}

// delimPattern is a compiled space-delimited pattern.
type delimPattern struct {
	slots []slot
	// ellipsis is the number of slots before the "...", or -1.
	ellipsis int
}

// parseDelimited parses `[ entry, entry, ... ]` at p.pos.
func (p *parser) parseDelimited() (*delimPattern, error) {
	p.pos++ // [
	d := &delimPattern{ellipsis: -1}
	names := map[string]bool{}
	for n := 1; ; n++ {
		p.skipSpace()
		switch {
		case p.hasPrefix("..."):
			if d.ellipsis >= 0 {
				return nil, p.errAt(p.pos, `only one "..." is allowed in a space-delimited pattern`)
			}
			p.pos += 3
			d.ellipsis = len(d.slots)
		case p.peek() == ',' || p.peek() == ']':
			if n == 1 && p.peek() == ']' {
				return nil, p.errAt(p.pos, `expected a field name, got "]"; space-delimited patterns look like [ip, user, ..., status_code = 5*, bytes]`)
			}
			d.slots = append(d.slots, slot{})
		default:
			s, err := p.slot(n)
			if err != nil {
				return nil, err
			}
			if names[s.name] {
				return nil, p.errAt(p.pos, "field name %q is used twice; give each field its own name", s.name)
			}
			names[s.name] = true
			d.slots = append(d.slots, s)
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case ']':
			p.pos++
		default:
			return nil, p.errAt(p.pos, "expected a comma or ] after field %d, got %s", n, p.got(p.pos))
		}
		break
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errAt(p.pos, "expected the end of the pattern after ], got %s", p.got(p.pos))
	}
	return d, nil
}

// slot parses a field name with optional conditions, e.g.
// `status_code = 404 || status_code = 410`. Every condition of an entry
// must name that entry's field.
func (p *parser) slot(n int) (slot, error) {
	var s slot
	var operand func() (*boolExpr, error)
	operand = func() (*boolExpr, error) {
		p.skipSpace()
		if p.peek() == '(' {
			return p.paren(operand)
		}
		off := p.pos
		for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
			p.pos++
		}
		name := p.src[off:p.pos]
		if name == "" {
			return nil, p.errAt(off, "expected a field name in field %d, got %s; names are letters, digits, - and _", n, p.got(off))
		}
		switch {
		case s.name == "":
			s.name = name
		case name != s.name:
			return nil, p.errAt(off, "a condition in field %d names %q, but the field is %q; conditions in one field must name that field, as in status_code = 4* && status_code != 403", n, name, s.name)
		}
		p.skipSpace()
		op, ok, err := p.operator()
		if err != nil {
			return nil, err
		}
		if !ok {
			// A bare name: any value.
			if c := p.peek(); c != 0 && c != ',' && c != ']' && c != '&' && c != '|' && c != ')' {
				return nil, p.errAt(p.pos, "expected an operator (=, !=, <, <=, >, >=), a comma or ] after %s, got %s", name, p.got(p.pos))
			}
			s.conds = append(s.conds, cond{})
			return &boolExpr{op: exprLeaf, leaf: len(s.conds) - 1}, nil
		}
		c, err := p.value(op)
		if err != nil {
			return nil, err
		}
		s.conds = append(s.conds, c)
		return &boolExpr{op: exprLeaf, leaf: len(s.conds) - 1}, nil
	}
	e, err := p.orExpr(operand)
	if err != nil {
		return s, err
	}
	if e.op != exprLeaf || s.conds[0].op != 0 {
		s.expr = e
	}
	s.key = "$" + s.name
	return s, nil
}

// evalSlot reports whether v satisfies the conditions of s.
func evalSlot(s *slot, e *boolExpr, v string) bool {
	switch e.op {
	case exprAnd:
		for _, k := range e.kids {
			if !evalSlot(s, k, v) {
				return false
			}
		}
		return true
	case exprOr:
		for _, k := range e.kids {
			if evalSlot(s, k, v) {
				return true
			}
		}
		return false
	}
	c := &s.conds[e.leaf]
	return c.op == 0 || c.match(v)
}

// field is one space-delimited field of a message: raw is [start,end),
// the value (without the quotes or brackets) is [vstart,vend).
type field struct {
	start, end, vstart, vend int
}

// nextField returns the first field at or after i. A field that starts
// with '"' runs to the next unescaped '"', one that starts with '[' to the
// next ']'; without the closing character it is an ordinary field that
// ends at whitespace.
func nextField(s string, i int) (field, bool) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) {
		return field{}, false
	}
	switch s[i] {
	case '"':
		for j := i + 1; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == '"' {
				return field{i, j + 1, i + 1, j}, true
			}
		}
	case '[':
		if k := strings.IndexByte(s[i+1:], ']'); k >= 0 {
			return field{i, i + k + 2, i + 1, i + k + 1}, true
		}
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return field{i, j, i, j}, true
}

// run reports whether msg matches and, when out is not nil, records the
// extracted values.
//
// Without an ellipsis the message needs at least as many fields as the
// pattern has entries; when it has more, the last entry takes the rest of
// the message ([w1=ERROR, w2] matches any line whose first word is ERROR).
// With an ellipsis, the entries before it take the first fields, those
// after it the last fields, and the ellipsis any number in between.
func (d *delimPattern) run(msg string, out map[string]string) bool {
	end := len(msg)
	for end > 0 && isSpace(msg[end-1]) {
		end--
	}
	msg = msg[:end]
	if d.ellipsis < 0 {
		i := 0
		for k := range d.slots {
			f, ok := nextField(msg, i)
			if !ok {
				return false
			}
			v := msg[f.vstart:f.vend]
			if k == len(d.slots)-1 && f.end < len(msg) {
				v = msg[f.start:]
			}
			if !d.check(k, k+1, v, out) {
				return false
			}
			i = f.end
		}
		return true
	}
	before, after := d.slots[:d.ellipsis], d.slots[d.ellipsis:]
	i := 0
	for k := range before {
		f, ok := nextField(msg, i)
		if !ok {
			return false
		}
		if !d.check(k, k+1, msg[f.vstart:f.vend], out) {
			return false
		}
		i = f.end
	}
	if len(after) == 0 && out == nil {
		return true
	}
	var buf [32]field
	rest := buf[:0]
	for {
		f, ok := nextField(msg, i)
		if !ok {
			break
		}
		rest = append(rest, f)
		i = f.end
	}
	if len(rest) < len(after) {
		return false
	}
	skipped := len(rest) - len(after)
	for k := range after {
		f := rest[skipped+k]
		if !d.check(len(before)+k, len(before)+skipped+k+1, msg[f.vstart:f.vend], out) {
			return false
		}
	}
	if out != nil {
		for k := 0; k < skipped; k++ {
			f := rest[k]
			out["$"+strconv.Itoa(len(before)+k+1)] = msg[f.vstart:f.vend]
		}
	}
	return true
}

// check evaluates slot k on value v of field number num (1-based) and
// records it in out.
func (d *delimPattern) check(k, num int, v string, out map[string]string) bool {
	s := &d.slots[k]
	if s.expr != nil && !evalSlot(s, s.expr, v) {
		return false
	}
	if out != nil {
		if s.name != "" {
			out[s.key] = v
		} else {
			out["$"+strconv.Itoa(num)] = v
		}
	}
	return true
}
