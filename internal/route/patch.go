package route

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/sluicelog/sluice/internal/event"
)

// The string attributes of an event, by the index $str takes.
const (
	attrFacility = iota
	attrHost
	attrApp
	attrProc
	attrMsgID
	attrMessage
	attrGroup
	attrStream
	attrSource
	attrID
)

// attrIndex returns the index of an event's string attribute by name.
func attrIndex(name string) (int, bool) {
	switch name {
	case "facility":
		return attrFacility, true
	case "host":
		return attrHost, true
	case "app":
		return attrApp, true
	case "proc":
		return attrProc, true
	case "msgid":
		return attrMsgID, true
	case "message":
		return attrMessage, true
	case "group":
		return attrGroup, true
	case "stream":
		return attrStream, true
	case "source":
		return attrSource, true
	case "id":
		return attrID, true
	}
	return 0, false
}

// severityConst returns the number of a severity name an expression may use
// as a constant.
func severityConst(name string) (int, bool) {
	switch name {
	case "emergency", "emerg":
		return 0, true
	case "alert":
		return 1, true
	case "critical", "crit":
		return 2, true
	case "error", "err":
		return 3, true
	case "warning", "warn":
		return 4, true
	case "notice":
		return 5, true
	case "info":
		return 6, true
	case "debug":
		return 7, true
	}
	return 0, false
}

func strAttr(e *event.Event, i int) string {
	switch i {
	case attrFacility:
		return e.Facility.String()
	case attrHost:
		return e.Host
	case attrApp:
		return e.App
	case attrProc:
		return e.Proc
	case attrMsgID:
		return e.MsgID
	case attrMessage:
		return e.Message
	case attrGroup:
		return e.Group
	case attrStream:
		return e.Stream
	case attrSource:
		return e.Source
	case attrID:
		return e.ID
	}
	return ""
}

// fieldValue is fields["key"] for expressions: numbers as float64, bools as
// bool, strings and raw JSON as string, nil when e has no such field.
func fieldValue(e *event.Event, key string) any {
	f, ok := e.Field(key)
	if !ok {
		return nil
	}
	switch f.Type {
	case event.Number:
		if v, err := strconv.ParseFloat(f.Value, 64); err == nil {
			return v
		}
		return f.Value
	case event.Bool:
		return f.Value == "true"
	}
	return f.Value
}

// patcher rewrites an expression's names into calls of the env accessors
// (host → $str(1), severity → $severity(), fields["k"] → $field("k"),
// warning → 4) and turns comparisons of an attribute or field with
// constants into Go functions called as $test(i), combining && || and not
// of such tests into one. A typical rule becomes a single $test call that
// Match runs without the virtual machine, and nothing is boxed per event.
//
// ast.Walk visits children before their parent, so a comparison sees its
// operands already rewritten.
type patcher struct {
	tests []func(*event.Event) bool
	// fieldsIdents are uses of the name fields not (yet) seen indexed.
	fieldsIdents map[*ast.IdentifierNode]bool
	err          error
}

// Visit rewrites one node.
func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		p.identifier(node, n)
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "fields" {
			delete(p.fieldsIdents, id)
			ast.Patch(node, call("$field", n.Property))
		}
	case *ast.BinaryNode:
		p.binary(node, n)
	case *ast.VariableDeclaratorNode:
		if slices.Contains(ruleNames(), n.Name) && p.err == nil {
			p.err = nodeError(n, "cannot use "+n.Name+" as a variable name: it is a name of the event (or a severity); choose another")
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "has" && len(n.Arguments) == 1 {
			if key, ok := n.Arguments[0].(*ast.StringNode); ok {
				k := key.Value
				p.patchTest(node, func(e *event.Event) bool { _, ok := e.Field(k); return ok })
			}
		}
	case *ast.UnaryNode:
		if n.Operator == "not" || n.Operator == "!" {
			if k, ok := testIndex(n.Node); ok {
				t := p.tests[k]
				p.patchTest(node, func(e *event.Event) bool { return !t(e) })
			}
		}
	}
}

func (p *patcher) identifier(node *ast.Node, n *ast.IdentifierNode) {
	switch {
	case n.Value == "fields":
		p.fieldsIdents[n] = true
	case n.Value == "severity":
		ast.Patch(node, call("$severity"))
	case n.Value == "time":
		ast.Patch(node, call("$time"))
	case n.Value == "$env":
		if p.err == nil {
			p.err = nodeError(n, "$env is not available in sluice rules; use the names directly")
		}
	default:
		if i, ok := attrIndex(n.Value); ok {
			ast.Patch(node, call("$str", &ast.IntegerNode{Value: i}))
		} else if v, ok := severityConst(n.Value); ok {
			ast.Patch(node, &ast.IntegerNode{Value: v})
		}
	}
}

func call(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
}

// patchTest replaces node with a call of the new test t.
func (p *patcher) patchTest(node *ast.Node, t func(*event.Event) bool) {
	p.tests = append(p.tests, t)
	ast.Patch(node, call("$test", &ast.IntegerNode{Value: len(p.tests) - 1}))
}

// testIndex recognises $test(i).
func testIndex(n ast.Node) (int, bool) {
	c, ok := n.(*ast.CallNode)
	if !ok || len(c.Arguments) != 1 {
		return 0, false
	}
	if id, ok := c.Callee.(*ast.IdentifierNode); !ok || id.Value != "$test" {
		return 0, false
	}
	i, ok := c.Arguments[0].(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return i.Value, true
}

// operand is one side of a comparison the patch understands.
type operand struct {
	kind operandKind
	attr int    // opStr
	key  string // opField
}

type operandKind uint8

const (
	opNone operandKind = iota
	opStr
	opSeverity
	opField
)

func operandOf(n ast.Node) operand {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return operand{}
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return operand{}
	}
	switch id.Value {
	case "$severity":
		return operand{kind: opSeverity}
	case "$str":
		if i, ok := c.Arguments[0].(*ast.IntegerNode); ok {
			return operand{kind: opStr, attr: i.Value}
		}
	case "$field":
		if s, ok := c.Arguments[0].(*ast.StringNode); ok {
			return operand{kind: opField, key: s.Value}
		}
	}
	return operand{}
}

// constant is a literal the patch compares with.
type constant struct {
	kind  constKind
	str   string
	num   float64
	isInt bool
	b     bool
	strs  []string // constStrings
	ints  []int    // constInts
}

type constKind uint8

const (
	constNone constKind = iota
	constString
	constNumber
	constBool
	constNil
	constStrings
	constInts
)

func constantOf(n ast.Node) constant {
	switch n := n.(type) {
	case *ast.StringNode:
		return constant{kind: constString, str: n.Value}
	case *ast.IntegerNode:
		return constant{kind: constNumber, num: float64(n.Value), isInt: true}
	case *ast.FloatNode:
		return constant{kind: constNumber, num: n.Value}
	case *ast.BoolNode:
		return constant{kind: constBool, b: n.Value}
	case *ast.NilNode:
		return constant{kind: constNil}
	case *ast.UnaryNode:
		if n.Operator == "-" {
			c := constantOf(n.Node)
			if c.kind == constNumber {
				c.num = -c.num
				return c
			}
		}
	case *ast.ArrayNode:
		c := constant{kind: constStrings}
		for i, el := range n.Nodes {
			switch el := el.(type) {
			case *ast.StringNode:
				c.strs = append(c.strs, el.Value)
			case *ast.IntegerNode:
				c.ints = append(c.ints, el.Value)
			default:
				return constant{}
			}
			if len(c.strs) != i+1 && len(c.ints) != i+1 {
				return constant{} // mixed
			}
		}
		if len(c.ints) > 0 {
			c.kind = constInts
		}
		return c
	}
	return constant{}
}

// flip returns the operator for the operands swapped ("a < b" is "b > a").
func flip(op string) (string, bool) {
	switch op {
	case "==", "!=":
		return op, true
	case "<":
		return ">", true
	case "<=":
		return ">=", true
	case ">":
		return "<", true
	case ">=":
		return "<=", true
	}
	return "", false
}

func (p *patcher) binary(node *ast.Node, n *ast.BinaryNode) {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, lok := testIndex(n.Left)
		r, rok := testIndex(n.Right)
		if !lok || !rok {
			return
		}
		lt, rt := p.tests[l], p.tests[r]
		if n.Operator == "&&" || n.Operator == "and" {
			p.patchTest(node, func(e *event.Event) bool { return lt(e) && rt(e) })
		} else {
			p.patchTest(node, func(e *event.Event) bool { return lt(e) || rt(e) })
		}
		return
	}
	op := n.Operator
	left, right := operandOf(n.Left), constantOf(n.Right)
	if left.kind == opNone || right.kind == constNone {
		f, ok := flip(op)
		if !ok {
			return
		}
		op, left, right = f, operandOf(n.Right), constantOf(n.Left)
		if left.kind == opNone || right.kind == constNone {
			return
		}
	}
	var t func(*event.Event) bool
	switch left.kind {
	case opStr:
		t = p.strTest(n, op, left.attr, right)
	case opSeverity:
		t = severityTest(op, right)
	case opField:
		t = p.fieldTest(n, op, left.key, right)
	}
	if t != nil {
		p.patchTest(node, t)
	}
}

// strTest compares a string attribute with a constant; nil when the
// comparison is not one it knows (expr-lang then checks and runs it).
func (p *patcher) strTest(n ast.Node, op string, attr int, c constant) func(*event.Event) bool {
	if c.kind == constStrings {
		if op != "in" {
			return nil
		}
		set := c.strs
		return func(e *event.Event) bool { return slices.Contains(set, strAttr(e, attr)) }
	}
	if c.kind != constString {
		return nil
	}
	cmp := p.stringOp(n, op, c.str)
	if cmp == nil {
		return nil
	}
	return func(e *event.Event) bool { return cmp(strAttr(e, attr)) }
}

// stringOp returns the test "s op v" for a string s.
func (p *patcher) stringOp(n ast.Node, op, v string) func(s string) bool {
	switch op {
	case "==":
		return func(s string) bool { return s == v }
	case "!=":
		return func(s string) bool { return s != v }
	case "<":
		return func(s string) bool { return s < v }
	case "<=":
		return func(s string) bool { return s <= v }
	case ">":
		return func(s string) bool { return s > v }
	case ">=":
		return func(s string) bool { return s >= v }
	case "contains":
		return func(s string) bool { return strings.Contains(s, v) }
	case "startsWith":
		return func(s string) bool { return strings.HasPrefix(s, v) }
	case "endsWith":
		return func(s string) bool { return strings.HasSuffix(s, v) }
	case "matches":
		re, err := regexp.Compile(v)
		if err != nil {
			if p.err == nil {
				p.err = nodeError(n, "cannot use "+strconv.Quote(v)+" as a regular expression: "+err.Error())
			}
			return nil
		}
		return re.MatchString
	}
	return nil
}

func severityTest(op string, c constant) func(*event.Event) bool {
	if op == "in" && c.kind == constInts {
		var set uint8 // bit s: severity s is in the list
		for _, v := range c.ints {
			if 0 <= v && v <= 7 {
				set |= 1 << v
			}
		}
		return func(e *event.Event) bool { return e.Severity <= 7 && set&(1<<e.Severity) != 0 }
	}
	if c.kind != constNumber || !c.isInt {
		return nil
	}
	v := c.num
	cmp := numberOp(op, v)
	if cmp == nil {
		return nil
	}
	return func(e *event.Event) bool { return cmp(float64(e.Severity)) }
}

// numberOp returns the test "x op v" for a number x.
func numberOp(op string, v float64) func(x float64) bool {
	switch op {
	case "==":
		return func(x float64) bool { return x == v }
	case "!=":
		return func(x float64) bool { return x != v }
	case "<":
		return func(x float64) bool { return x < v }
	case "<=":
		return func(x float64) bool { return x <= v }
	case ">":
		return func(x float64) bool { return x > v }
	case ">=":
		return func(x float64) bool { return x >= v }
	}
	return nil
}

// fieldTest compares fields["key"] with a constant. It gives what
// expr-lang gives for the value fieldValue returns, except that where
// expr-lang would fail at run time (a missing field, or a field of another
// type, compared with < or used with contains), the test is false without
// an error: rules such as fields["status"] >= 500 run over events that
// have no status.
func (p *patcher) fieldTest(n ast.Node, op, key string, c constant) func(*event.Event) bool {
	switch c.kind {
	case constNil:
		switch op {
		case "==":
			return func(e *event.Event) bool { _, ok := e.Field(key); return !ok }
		case "!=":
			return func(e *event.Event) bool { _, ok := e.Field(key); return ok }
		}
	case constBool:
		v := "false"
		if c.b {
			v = "true"
		}
		eq := func(e *event.Event) bool {
			f, ok := e.Field(key)
			return ok && f.Type == event.Bool && f.Value == v
		}
		switch op {
		case "==":
			return eq
		case "!=":
			return func(e *event.Event) bool { return !eq(e) }
		}
	case constNumber:
		cmp := numberOp(op, c.num)
		if cmp == nil {
			return nil
		}
		test := func(e *event.Event) bool {
			f, ok := e.Field(key)
			if !ok || f.Type != event.Number {
				return false
			}
			x, err := strconv.ParseFloat(f.Value, 64)
			return err == nil && cmp(x)
		}
		if op == "!=" {
			// Not equal is true for anything that is not this number.
			eq := numberOp("==", c.num)
			return func(e *event.Event) bool {
				f, ok := e.Field(key)
				if !ok || f.Type != event.Number {
					return true
				}
				x, err := strconv.ParseFloat(f.Value, 64)
				return err != nil || !eq(x)
			}
		}
		return test
	case constString:
		cmp := p.stringOp(n, op, c.str)
		if cmp == nil {
			return nil
		}
		if op == "!=" {
			return func(e *event.Event) bool {
				f, ok := e.Field(key)
				return !ok || !isText(f.Type) || cmp(f.Value)
			}
		}
		return func(e *event.Event) bool {
			f, ok := e.Field(key)
			return ok && isText(f.Type) && cmp(f.Value)
		}
	case constStrings:
		if op != "in" {
			return nil
		}
		set := c.strs
		return func(e *event.Event) bool {
			f, ok := e.Field(key)
			return ok && isText(f.Type) && slices.Contains(set, f.Value)
		}
	}
	return nil
}

// isText says whether fieldValue gives a field's value as a string.
func isText(t event.FieldType) bool { return t == event.String || t == event.JSON }
