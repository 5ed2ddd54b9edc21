package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error is one problem in a configuration: where it is — the YAML path and,
// when known, the file, line and column — and what is wrong. Load, Parse
// and Validate return every problem at once, as errors joined with
// errors.Join; each is an *Error (use errors.As, or Errors to list them).
type Error struct {
	// File is the name given to Parse or Load; empty when unknown.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Path is the YAML path of the offending value, e.g.
	// "sinks.splunk.address" or "subscriptions[1].sink"; empty for the
	// document as a whole.
	Path string
	// Err says what is wrong and what to do about it.
	Err error
}

// Error formats e as "file:line:column: path: problem", leaving out what is
// unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Errors lists the problems in err, which Load, Parse or Validate returned:
// every *Error in the tree of joined errors, in order. An error that is not
// an *Error is listed as one without a location.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Error:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			out = append(out, &Error{Err: err})
		}
	}
	walk(err)
	return out
}

// problems collects the errors of a Validate method, each with a path
// relative to the component validated.
type problems []error

// add records a problem at path (relative; "" for the component itself).
func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, &Error{Path: path, Err: fmt.Errorf(format, args...)})
}

// addAll records the problems of a nested component, found by its own
// Validate, under path.
func (p *problems) addAll(path string, err error) {
	for _, e := range Errors(err) {
		c := *e
		c.Path = joinPath(path, e.Path)
		*p = append(*p, &c)
	}
}

// err returns the problems joined, or nil.
func (p problems) err() error { return errors.Join(p...) }

// joinPath appends a key or an index ("[2]") to a YAML path.
func joinPath(base, elem string) string {
	switch {
	case base == "":
		return elem
	case elem == "":
		return base
	case strings.HasPrefix(elem, "["):
		return base + elem
	}
	return base + "." + elem
}

// parentPath returns the path one level up: "a.b[1]" for "a.b[1].c", "a.b"
// for "a.b[1]", "" for "a".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}
