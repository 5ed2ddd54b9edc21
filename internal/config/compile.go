package config

import (
	"fmt"
	"strings"

	"github.com/sluicelog/sluice/internal/route"
	"github.com/sluicelog/sluice/internal/route/filterpattern"
)

// compileRules checks that the subscription's where rule and pattern
// compile.
func (s *Subscription) compileRules(p *problems) {
	if s.Where != "" {
		if _, err := route.CompileWhere(s.Where); err != nil {
			p.add("where", "%v", err)
		}
	}
	if s.Pattern != "" {
		if _, err := filterpattern.Compile(s.Pattern); err != nil {
			p.add("pattern", "%v", err)
		}
	}
}

// compileTransform checks that the transform builds, reporting a problem
// at the key it concerns when the error names one.
func compileTransform(t *Transform) error {
	_, err := t.Build()
	if err == nil {
		return nil
	}
	var p problems
	msg := strings.TrimPrefix(err.Error(), "cannot build "+t.Type+" transform: ")
	key, rest, ok := strings.Cut(msg, ": ")
	switch {
	case ok && isKeyPath(key):
		p.add(key, "%s", rest)
	case t.Type == TransformDrop:
		p.add("where", "%s", msg)
	case t.Type == TransformSet && t.Set.Expr != "" && strings.HasPrefix(msg, "cannot compile"):
		p.add("expr", "%s", msg)
	default:
		p.add("", "%s", err)
	}
	return p.err()
}

// Spec returns the transform as route builds it.
func (t *Transform) Spec() route.Spec {
	switch t.Type {
	case TransformParse:
		c := t.Parse
		return route.Spec{Parse: &route.Parse{Format: c.Format, Field: c.Field, Prefix: c.Prefix}}
	case TransformSet:
		c := t.Set
		return route.Spec{Set: &route.Set{Field: c.Field, Value: c.Value, Expr: c.Expr}}
	case TransformRename:
		c := t.Rename
		return route.Spec{Rename: &route.Rename{From: c.From, To: c.To}}
	case TransformDelete:
		return route.Spec{Delete: &route.Delete{Fields: t.Delete.Fields}}
	case TransformSeverity:
		c := t.Severity
		return route.Spec{Severity: &route.Severity{From: c.From, Expr: c.Expr}}
	case TransformDrop:
		return route.Spec{Drop: &route.Drop{Where: t.Drop.Where}}
	case TransformSample:
		c := t.Sample
		return route.Spec{Sample: &route.Sample{Rate: c.Rate, Key: c.Key}}
	case TransformDedupe:
		c := t.Dedupe
		return route.Spec{Dedupe: &route.Dedupe{Key: c.Key, Window: c.Window.Std()}}
	case TransformThrottle:
		c := t.Throttle
		return route.Spec{Throttle: &route.Throttle{Limit: c.Limit, Window: c.Window.Std(), Key: c.Key}}
	case TransformRedact:
		c := t.Redact
		return route.Spec{Redact: &route.Redact{Patterns: c.Patterns, Regex: c.Regex, Replacement: c.Replacement, Fields: c.Fields}}
	}
	return route.Spec{}
}

// Build returns a new transform (with its own state) as configured.
func (t *Transform) Build() (route.Transform, error) {
	return route.New(t.Spec())
}

// Chain builds the subscription's where rule, pattern and transforms into
// one chain (with its own state).
func (s *Subscription) Chain() (*route.Chain, error) {
	return NewChain(s.Where, s.Pattern, s.Transforms)
}

// NewChain builds a rule, a pattern and transforms into one chain.
func NewChain(where, pattern string, transforms []Transform) (*route.Chain, error) {
	var w *route.Where
	if where != "" {
		var err error
		if w, err = route.CompileWhere(where); err != nil {
			return nil, fmt.Errorf("where: %w", err)
		}
	}
	var match func(string) bool
	if pattern != "" {
		p, err := filterpattern.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		match = p.Match
	}
	ts := make([]route.Transform, len(transforms))
	for i := range transforms {
		t, err := transforms[i].Build()
		if err != nil {
			return nil, fmt.Errorf("transforms[%d]: %w", i, err)
		}
		ts[i] = t
	}
	return route.NewChain(w, match, ts), nil
}
