package filterpattern

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Quotas of the AWS guide on wildcard selectors and the bit-set limit of
// the scanner on distinct selectors.
const (
	maxWildcardsPerSelector = 1
	maxWildcardsPerPattern  = 3
	maxSelectors            = 64
)

type stepKind uint8

const (
	stepName  stepKind = iota // .name or ['name']
	stepIndex                 // [N]
	stepAny                   // .* or [*]
)

// step is one step of a property selector.
type step struct {
	kind  stepKind
	name  string
	index int
}

// selector is a compiled property selector such as $.users[0].id.
type selector struct {
	text   string // as written, for Extract
	steps  []step
	wild   bool
	leaves []int // the leaves that test this selector
}

type jsonTest uint8

const (
	testCmp jsonTest = iota
	testNull
	testTrue
	testFalse
	testNotExists
)

// jsonLeaf is one condition of a JSON pattern.
type jsonLeaf struct {
	sel  int
	test jsonTest
	cond cond
}

// jsonPattern is a compiled JSON pattern.
type jsonPattern struct {
	sels   []selector
	leaves []jsonLeaf
	root   *boolExpr
	// lenMask[d] has bit i set when selector i has d steps: at depth d
	// the scanner is at the node selector i points to.
	lenMask []uint64
	all     uint64
}

// parseJSON parses `{ expr }` at p.pos.
func (p *parser) parseJSON() (*jsonPattern, error) {
	open := p.pos
	p.pos++
	jp := &jsonPattern{}
	p.skipSpace()
	if p.peek() == '}' {
		return nil, p.errAt(p.pos, `expected a condition such as $.level = "error" inside { }, got "}"`)
	}
	root, err := p.orExpr(func() (*boolExpr, error) { return p.jsonOperand(jp) })
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	switch {
	case p.eof():
		return nil, p.errAt(p.pos, "expected && or || or } to close the { at column %d, got the end of the pattern", utf8.RuneCountInString(p.src[:open])+1)
	case p.peek() != '}':
		return nil, p.errAt(p.pos, "expected && or || or }, got %s", p.got(p.pos))
	}
	p.pos++
	p.skipSpace()
	if !p.eof() {
		return nil, p.errAt(p.pos, "expected the end of the pattern after }, got %s", p.got(p.pos))
	}
	jp.root = root
	wildcards := 0
	for i := range jp.sels {
		s := &jp.sels[i]
		for len(jp.lenMask) <= len(s.steps) {
			jp.lenMask = append(jp.lenMask, 0)
		}
		jp.lenMask[len(s.steps)] |= 1 << i
		jp.all |= 1 << i
		if s.wild {
			wildcards += len(s.leaves)
		}
	}
	if wildcards > maxWildcardsPerPattern {
		return nil, p.errAt(open, "the pattern has %d conditions on wildcard selectors; CloudWatch Logs allows at most %d", wildcards, maxWildcardsPerPattern)
	}
	return jp, nil
}

// jsonOperand parses a parenthesised expression or one condition.
func (p *parser) jsonOperand(jp *jsonPattern) (*boolExpr, error) {
	p.skipSpace()
	switch p.peek() {
	case '(':
		return p.paren(func() (*boolExpr, error) { return p.jsonOperand(jp) })
	case '$':
	default:
		return nil, p.errAt(p.pos, "expected a selector such as $.level or (, got %s", p.got(p.pos))
	}
	selOff := p.pos
	sel, err := p.selector()
	if err != nil {
		return nil, err
	}
	leaf := jsonLeaf{}
	p.skipSpace()
	op, ok, err := p.operator()
	switch {
	case err != nil:
		return nil, err
	case ok:
		leaf.cond, err = p.value(op)
		if err != nil {
			return nil, err
		}
	default:
		if leaf.test, err = p.keywordTest(sel.text); err != nil {
			return nil, err
		}
	}
	// Reuse the selector when it was written the same way before.
	idx := -1
	for i := range jp.sels {
		if jp.sels[i].text == sel.text {
			idx = i
			break
		}
	}
	if idx < 0 {
		if len(jp.sels) == maxSelectors {
			return nil, p.errAt(selOff, "a JSON pattern may use at most %d different selectors", maxSelectors)
		}
		idx = len(jp.sels)
		jp.sels = append(jp.sels, sel)
	}
	leaf.sel = idx
	jp.sels[idx].leaves = append(jp.sels[idx].leaves, len(jp.leaves))
	jp.leaves = append(jp.leaves, leaf)
	return &boolExpr{op: exprLeaf, leaf: len(jp.leaves) - 1}, nil
}

// keywordTest parses IS NULL, IS TRUE, IS FALSE or NOT EXISTS after a
// selector. Keywords are case-insensitive.
func (p *parser) keywordTest(sel string) (jsonTest, error) {
	off := p.pos
	w := p.word()
	switch strings.ToUpper(w) {
	case "IS":
		p.skipSpace()
		off2 := p.pos
		w2 := p.word()
		switch strings.ToUpper(w2) {
		case "NULL":
			return testNull, nil
		case "TRUE":
			return testTrue, nil
		case "FALSE":
			return testFalse, nil
		case "NOT":
			return 0, p.errAt(off, "IS NOT is not supported by CloudWatch Logs; use IS NULL, IS TRUE, IS FALSE or NOT EXISTS, or %s = * to require a string or number", sel)
		}
		return 0, p.errAt(off2, "expected NULL, TRUE or FALSE after IS, got %s", p.got(off2))
	case "NOT":
		p.skipSpace()
		off2 := p.pos
		if strings.ToUpper(p.word()) == "EXISTS" {
			return testNotExists, nil
		}
		return 0, p.errAt(off2, "expected EXISTS after NOT, got %s", p.got(off2))
	case "EXISTS":
		return 0, p.errAt(off, "EXISTS is not supported by CloudWatch Logs (only NOT EXISTS); use %s = * to require a string or number", sel)
	}
	return 0, p.errAt(off, "expected an operator (=, !=, <, <=, >, >=, IS or NOT EXISTS) after %s, got %s", sel, p.got(off))
}

// word reads a run of ASCII letters.
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) && (p.src[p.pos]|0x20 >= 'a' && p.src[p.pos]|0x20 <= 'z') {
		p.pos++
	}
	return p.src[start:p.pos]
}

// selector parses a property selector at p.pos: $ followed by .name,
// .*, [N], [*] and ['name'] steps.
func (p *parser) selector() (selector, error) {
	start := p.pos
	p.pos++ // $
	var sel selector
	wild := 0
	for {
		var st step
		switch p.peek() {
		case '.':
			p.pos++
			switch c := p.peek(); {
			case c == '*':
				p.pos++
				st.kind = stepAny
			case c == '[':
				var err error
				if st, err = p.bracketStep(len(sel.steps)); err != nil {
					return sel, err
				}
			case isNameByte(c):
				n := p.pos
				for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
					p.pos++
				}
				st = step{kind: stepName, name: p.src[n:p.pos]}
			default:
				return sel, p.errAt(p.pos, "expected a property name after \".\", got %s; names are letters, digits, - and _, write others as $.['name']", p.got(p.pos))
			}
		case '[':
			var err error
			if st, err = p.bracketStep(len(sel.steps)); err != nil {
				return sel, err
			}
		default:
			if len(sel.steps) == 0 {
				return sel, p.errAt(p.pos, "expected . or [ after $, got %s; selectors look like $.level", p.got(p.pos))
			}
			if c := p.peek(); c != 0 && !isSpace(c) && c != '=' && c != '!' && c != '<' && c != '>' && c != ')' && c != '}' && c != '&' && c != '|' {
				return sel, p.errAt(p.pos, "unexpected %s in selector %s; names are letters, digits, - and _, write others as $.['name']", p.got(p.pos), p.src[start:p.pos])
			}
			sel.text = p.src[start:p.pos]
			if wild > maxWildcardsPerSelector {
				return sel, p.errAt(start, "selector %s has %d wildcards; CloudWatch Logs allows at most %d in a selector", sel.text, wild, maxWildcardsPerSelector)
			}
			sel.wild = wild > 0
			return sel, nil
		}
		if st.kind == stepAny {
			wild++
		}
		sel.steps = append(sel.steps, st)
	}
}

// bracketStep parses [N], [*], ['name'] or ["name"] at p.pos. depth is the
// number of steps before it.
func (p *parser) bracketStep(depth int) (step, error) {
	open := p.pos
	p.pos++
	var st step
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		st.kind = stepAny
	case isDigit(c):
		n := p.pos
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
		idx, err := strconv.Atoi(p.src[n:p.pos])
		if err != nil || idx > 1<<30 {
			return st, p.errAt(n, "array index %s is too large", p.src[n:p.pos])
		}
		if depth == 0 {
			return st, p.errAt(open, "an array index must follow a property, as in $.users[0]")
		}
		st = step{kind: stepIndex, index: idx}
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			return st, p.errAt(p.pos, "unterminated property name; close it with %c", c)
		}
		st = step{kind: stepName, name: p.src[p.pos+1 : p.pos+1+end]}
		p.pos += end + 2
	default:
		return st, p.errAt(p.pos, "expected an index, * or a quoted name after [, got %s", p.got(p.pos))
	}
	if p.peek() != ']' {
		return st, p.errAt(p.pos, "expected ] to close the [ at column %d, got %s", utf8.RuneCountInString(p.src[:open])+1, p.got(p.pos))
	}
	p.pos++
	return st, nil
}

// leafState is what the scanner learned about one leaf.
type leafState struct {
	found bool // the selector selected at least one node
	sat   bool // the condition held (for a wildcard: on some node)
}

// match reports whether msg is a JSON object that satisfies the pattern.
func (jp *jsonPattern) match(msg string) bool {
	var buf [16]leafState
	var st []leafState
	if len(jp.leaves) <= len(buf) {
		st = buf[:len(jp.leaves)]
	} else {
		st = make([]leafState, len(jp.leaves))
	}
	sc := scanner{s: msg, jp: jp}
	if !sc.scan(st) {
		return false
	}
	return jp.eval(jp.root, st)
}

// extract is match that also records the value each selector found.
func (jp *jsonPattern) extract(msg string, out map[string]string) bool {
	st := make([]leafState, len(jp.leaves))
	sc := scanner{s: msg, jp: jp, rec: make([]string, len(jp.sels)), recSet: make([]bool, len(jp.sels))}
	if !sc.scan(st) || !jp.eval(jp.root, st) {
		return false
	}
	for i, ok := range sc.recSet {
		if ok {
			out[jp.sels[i].text] = sc.rec[i]
		}
	}
	return true
}

func (jp *jsonPattern) eval(e *boolExpr, st []leafState) bool {
	switch e.op {
	case exprAnd:
		for _, k := range e.kids {
			if !jp.eval(k, st) {
				return false
			}
		}
		return true
	case exprOr:
		for _, k := range e.kids {
			if jp.eval(k, st) {
				return true
			}
		}
		return false
	}
	if jp.leaves[e.leaf].test == testNotExists {
		return !st[e.leaf].found
	}
	return st[e.leaf].sat
}

// matchKey returns the selectors of cont whose step at depth selects the
// object member named by the raw (still escaped when esc) key.
func (jp *jsonPattern) matchKey(cont uint64, depth int, key string, esc bool) uint64 {
	var out uint64
	for m := cont; m != 0; m &= m - 1 {
		b := trailingZeros(m)
		st := &jp.sels[b].steps[depth]
		switch st.kind {
		case stepAny:
			out |= 1 << b
		case stepName:
			if esc {
				if unescapedEqual(key, st.name) {
					out |= 1 << b
				}
			} else if key == st.name {
				out |= 1 << b
			}
		}
	}
	return out
}

// matchIndex returns the selectors of cont whose step at depth selects
// array element i.
func (jp *jsonPattern) matchIndex(cont uint64, depth, i int) uint64 {
	var out uint64
	for m := cont; m != 0; m &= m - 1 {
		b := trailingZeros(m)
		st := &jp.sels[b].steps[depth]
		if st.kind == stepAny || st.kind == stepIndex && st.index == i {
			out |= 1 << b
		}
	}
	return out
}

// holds reports whether node n satisfies the leaf (for NOT EXISTS the
// answer comes from leafState.found instead).
func (l *jsonLeaf) holds(n *node) bool {
	switch l.test {
	case testNull:
		return n.kind == nodeNull
	case testTrue:
		return n.kind == nodeTrue
	case testFalse:
		return n.kind == nodeFalse
	case testNotExists:
		return false
	}
	switch n.kind {
	case nodeString, nodeNumber, nodeTrue, nodeFalse:
		return l.cond.match(n.text)
	}
	// The selector points to null, an object or an array: "If a property
	// selector points to an array or object, the filter pattern won't match".
	return false
}
