package route

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/sluicelog/sluice/internal/event"
)

// Where is a compiled `where` rule: an expr-lang boolean expression over an
// event. It is safe for concurrent use by several goroutines.
type Where struct {
	p *program
}

// CompileWhere compiles src, an expr-lang expression that must be boolean.
// Errors name the line and column within src and the reason, e.g.
//
//	cannot compile rule: line 1, column 1: unknown name sevrity (did you mean severity?)
func CompileWhere(src string) (*Where, error) {
	p, err := compileProgram(src, expr.AsBool())
	if err != nil {
		var re *RuleError
		if !errors.As(err, &re) && strings.Contains(err.Error(), "expected bool") {
			err = fmt.Errorf("%w; a rule is a condition, e.g. severity <= warning", err)
		}
		return nil, err
	}
	return &Where{p: p}, nil
}

// Match reports whether the rule is true for e. A run-time error (e.g. an
// arithmetic operation on a missing field) counts as false and is counted
// (Errors, LastError).
func (w *Where) Match(e *event.Event) bool {
	if w.p.direct != nil {
		return w.p.direct(e)
	}
	out, err := w.p.run(e)
	if err != nil {
		return false
	}
	b, ok := out.(bool)
	if !ok {
		w.p.fail(fmt.Errorf("cannot evaluate rule %q: result is %T, not bool", w.p.src, out))
		return false
	}
	return b
}

// String returns the rule as written.
func (w *Where) String() string { return w.p.src }

// Errors returns how many evaluations failed at run time (and counted as
// false).
func (w *Where) Errors() uint64 { return w.p.errors.Load() }

// LastError returns the most recent run-time error, or nil.
func (w *Where) LastError() error { return w.p.lastError() }

// program is a compiled expression with the environment it runs in.
type program struct {
	src  string
	prog *vm.Program
	// tests are the comparisons the patch turned into Go functions; the
	// expression calls them by index ($test(i)).
	tests []func(*event.Event) bool
	// direct is set when the whole expression became one test: Match then
	// calls it without the virtual machine.
	direct func(*event.Event) bool
	pool   sync.Pool // *runState

	errors  atomic.Uint64
	lastErr atomic.Pointer[error]
}

// runState is what one evaluation needs: the environment and a virtual
// machine whose stack is reused.
type runState struct {
	env env
	vm  vm.VM
}

// env is the environment expressions are checked and run against. The
// names a user writes (host, severity, fields["k"], ...) are rewritten by
// the patch (see patcher) into calls of the accessor functions below; the
// accessors are closures over the runState, so they read the event being
// evaluated without building anything per event. Each accessor has a type
// expr-lang calls without reflection (OpCallTyped), and none of them boxes
// a string except $str and $field, which are only left where a string value
// itself is needed (e.g. lower(host)).
type env struct {
	Severity func() int        `expr:"$severity"`
	Str      func(int) string  `expr:"$str"`
	Time     func() time.Time  `expr:"$time"`
	Field    func(any) any     `expr:"$field"`
	Test     func(int) bool    `expr:"$test"`
	Has      func(string) bool `expr:"has"`
	ev       *event.Event      // the event being evaluated
	tests    []func(*event.Event) bool
}

func newRunState(tests []func(*event.Event) bool) *runState {
	st := &runState{}
	st.env.tests = tests
	st.env.Severity = func() int { return int(st.env.ev.Severity) }
	st.env.Str = func(i int) string { return strAttr(st.env.ev, i) }
	st.env.Time = func() time.Time { return st.env.ev.Time }
	st.env.Field = func(key any) any {
		k, ok := key.(string)
		if !ok {
			return nil
		}
		return fieldValue(st.env.ev, k)
	}
	st.env.Test = func(i int) bool { return st.env.tests[i](st.env.ev) }
	st.env.Has = func(key string) bool {
		_, ok := st.env.ev.Field(key)
		return ok
	}
	return st
}

func compileProgram(src string, opts ...expr.Option) (*program, error) {
	pt := &patcher{fieldsIdents: map[*ast.IdentifierNode]bool{}}
	opts = append([]expr.Option{expr.Env(env{}), expr.Patch(pt)}, opts...)
	prog, err := expr.Compile(src, opts...)
	if pt.err != nil {
		return nil, ruleError(src, pt.err)
	}
	for id := range pt.fieldsIdents {
		return nil, ruleError(src, nodeError(id, `fields can only be indexed, as fields["KEY"] or fields.KEY`))
	}
	if err != nil {
		return nil, ruleError(src, err)
	}
	p := &program{src: src, prog: prog, tests: pt.tests}
	if k, ok := testIndex(prog.Node()); ok {
		p.direct = pt.tests[k]
	}
	p.pool.New = func() any { return newRunState(p.tests) }
	return p, nil
}

// run evaluates the program for e; an error is counted and remembered.
func (p *program) run(e *event.Event) (any, error) {
	if p.direct != nil {
		return p.direct(e), nil
	}
	st := p.pool.Get().(*runState)
	st.env.ev = e
	out, err := st.vm.Run(p.prog, &st.env)
	st.env.ev = nil
	p.pool.Put(st)
	if err != nil {
		// The error's text has a snippet on further lines; keep one line.
		var fe *file.Error
		if errors.As(err, &fe) {
			err = fmt.Errorf("cannot evaluate rule %q: column %d: %s", p.src, fe.Column+1, fe.Message)
		} else {
			err = fmt.Errorf("cannot evaluate rule %q: %w", p.src, err)
		}
		p.fail(err)
		return nil, err
	}
	return out, nil
}

func (p *program) fail(err error) {
	p.errors.Add(1)
	p.lastErr.Store(&err)
}

func (p *program) lastError() error {
	if e := p.lastErr.Load(); e != nil {
		return *e
	}
	return nil
}

// RuleError is a rule that does not compile: where in the rule and why.
type RuleError struct {
	// Line and Column (1-based, in characters) locate the problem in the
	// rule.
	Line, Column int
	// Reason says what is wrong, e.g. "unknown name sevrity (did you mean
	// severity?)".
	Reason string
}

// Error returns "cannot compile rule: line L, column C: <reason>".
func (e *RuleError) Error() string {
	return fmt.Sprintf("cannot compile rule: line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// ruleError turns an expr-lang error into a *RuleError, adding a
// suggestion to unknown names.
func ruleError(src string, err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return fmt.Errorf("cannot compile rule: %w", err)
	}
	if fe.Line == 0 {
		fe = fe.Bind(file.NewSource(src))
	}
	reason := fe.Message
	if name, ok := strings.CutPrefix(reason, "unknown name "); ok {
		if s := suggest(name); s != "" {
			reason += " (did you mean " + s + "?)"
		}
	}
	return &RuleError{Line: fe.Line, Column: fe.Column + 1, Reason: reason}
}

func nodeError(n ast.Node, msg string) error {
	return &file.Error{Location: n.Location(), Message: msg}
}

// ruleNames are the names an expression may use besides expr-lang's own
// functions: the event's attributes, fields and has, and the severity
// constants.
func ruleNames() []string {
	return []string{
		"severity", "facility", "host", "app", "proc", "msgid", "message", "group", "stream",
		"source", "id", "time", "fields", "has",
		"emergency", "alert", "critical", "error", "warning", "notice", "info", "debug",
		"emerg", "crit", "err", "warn",
	}
}

// suggest returns the name closest to an unknown one, or "".
func suggest(name string) string {
	best, bestDist := "", 3
	if len(name) <= 3 {
		bestDist = 2
	}
	for _, n := range ruleNames() {
		if d := editDistance(strings.ToLower(name), n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	var prevBuf, curBuf [65]int
	prev, cur := prevBuf[:len(b)+1], curBuf[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
