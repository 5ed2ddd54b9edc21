package config

import (
	"fmt"
	"reflect"
	"time"
)

// Transform types.
const (
	TransformParse    = "parse"
	TransformSet      = "set"
	TransformRename   = "rename"
	TransformDelete   = "delete"
	TransformSeverity = "severity"
	TransformDrop     = "drop"
	TransformSample   = "sample"
	TransformDedupe   = "dedupe"
	TransformThrottle = "throttle"
	TransformRedact   = "redact"
)

// Transform is one step a subscription (or a source, before the log)
// applies to each event, a union keyed by Type:
//
//	transforms:
//	  - {type: parse, format: json}
//	  - {type: drop, where: 'message startsWith "DEBUG "'}
//	  - {type: redact, patterns: [email, bearer, aws_key, card]}
type Transform struct {
	Type     string
	Parse    *ParseTransform
	Set      *SetTransform
	Rename   *RenameTransform
	Delete   *DeleteTransform
	Severity *SeverityTransform
	Drop     *DropTransform
	Sample   *SampleTransform
	Dedupe   *DedupeTransform
	Throttle *ThrottleTransform
	Redact   *RedactTransform
}

// ParseTransform reads a JSON or logfmt message (or field) into fields.
type ParseTransform struct {
	// Format is json, logfmt or auto (default: whichever the text is).
	Format string `yaml:"format"`
	// Field to parse (default message).
	Field string `yaml:"field"`
	// Prefix is put before every key found, e.g. "body.".
	Prefix string `yaml:"prefix"`
}

// SetTransform sets a field (or message, host, app, proc, msgid, group,
// stream, severity) to a template or an expression's value.
type SetTransform struct {
	Field string `yaml:"field"`
	// Value is a template, e.g. "{app}-{fields.region}".
	Value string `yaml:"value"`
	// Expr is an expr-lang expression, e.g. 'upper(app)'.
	Expr string `yaml:"expr"`
}

// RenameTransform renames a field.
type RenameTransform struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// DeleteTransform deletes fields.
type DeleteTransform struct {
	Fields []string `yaml:"fields"`
}

// SeverityTransform sets the severity from a field or an expression
// (a name such as "ERROR" or "warn", or a syslog number).
type SeverityTransform struct {
	From string `yaml:"from"`
	Expr string `yaml:"expr"`
}

// DropTransform drops the events for which Where is true.
type DropTransform struct {
	Where string `yaml:"where"`
}

// SampleTransform keeps one event in Rate per key.
type SampleTransform struct {
	Rate int `yaml:"rate"`
	// Key is a template (default: one key for all events).
	Key string `yaml:"key"`
}

// DedupeTransform passes the first event of a key and drops the same key
// within Window; a summary with the count follows when the window ends.
type DedupeTransform struct {
	// Key is a template (default "{host} {app} {proc} {message}").
	Key    string   `yaml:"key"`
	Window Duration `yaml:"window"`
}

// ThrottleTransform passes at most Limit events per Window per key.
type ThrottleTransform struct {
	Limit  int      `yaml:"limit"`
	Window Duration `yaml:"window"`
	Key    string   `yaml:"key"`
}

// RedactTransform masks secrets.
type RedactTransform struct {
	// Patterns are ready-made: email, bearer, aws_key, card.
	Patterns []string `yaml:"patterns"`
	// Regex are further regular expressions (RE2 syntax) to mask.
	Regex []string `yaml:"regex"`
	// Replacement (default "[REDACTED]").
	Replacement string `yaml:"replacement"`
	// Fields to mask in (default: message).
	Fields []string `yaml:"fields"`
}

// Transform defaults.
const (
	DefaultDedupeSpan     = Duration(time.Minute)
	DefaultThrottleWindow = Duration(time.Minute)
	DefaultRedaction      = "[REDACTED]"
)

func transformTypes() []unionType {
	return []unionType{
		{TransformParse, true}, {TransformSet, true}, {TransformRename, true}, {TransformDelete, true},
		{TransformSeverity, true}, {TransformDrop, true}, {TransformSample, true}, {TransformDedupe, true},
		{TransformThrottle, true}, {TransformRedact, true},
	}
}

func (t *Transform) kind() string       { return "transform" }
func (t *Transform) types() []unionType { return transformTypes() }
func (t *Transform) typeName() string   { return t.Type }
func (t *Transform) variant() reflect.Value {
	switch t.Type {
	case TransformParse:
		return reflect.ValueOf(t.Parse)
	case TransformSet:
		return reflect.ValueOf(t.Set)
	case TransformRename:
		return reflect.ValueOf(t.Rename)
	case TransformDelete:
		return reflect.ValueOf(t.Delete)
	case TransformSeverity:
		return reflect.ValueOf(t.Severity)
	case TransformDrop:
		return reflect.ValueOf(t.Drop)
	case TransformSample:
		return reflect.ValueOf(t.Sample)
	case TransformDedupe:
		return reflect.ValueOf(t.Dedupe)
	case TransformThrottle:
		return reflect.ValueOf(t.Throttle)
	case TransformRedact:
		return reflect.ValueOf(t.Redact)
	}
	return reflect.Value{}
}

func (t *Transform) choose(typ string) (reflect.Value, bool) {
	*t = Transform{Type: typ}
	switch typ {
	case TransformParse:
		t.Parse = &ParseTransform{Format: "auto", Field: "message"}
	case TransformSet:
		t.Set = &SetTransform{}
	case TransformRename:
		t.Rename = &RenameTransform{}
	case TransformDelete:
		t.Delete = &DeleteTransform{}
	case TransformSeverity:
		t.Severity = &SeverityTransform{}
	case TransformDrop:
		t.Drop = &DropTransform{}
	case TransformSample:
		t.Sample = &SampleTransform{}
	case TransformDedupe:
		t.Dedupe = &DedupeTransform{Key: "{host} {app} {proc} {message}", Window: DefaultDedupeSpan}
	case TransformThrottle:
		t.Throttle = &ThrottleTransform{Window: DefaultThrottleWindow}
	case TransformRedact:
		t.Redact = &RedactTransform{Replacement: DefaultRedaction}
	default:
		*t = Transform{}
		return reflect.Value{}, false
	}
	return t.variant(), true
}

// Validate checks the transform: its settings, and that its expressions,
// templates and regular expressions compile.
func (t *Transform) Validate() error {
	return validateUnion(t, func() error {
		if !t.variant().IsValid() || t.variant().IsNil() {
			return &Error{Err: fmt.Errorf("cannot use a %s transform without its settings", t.Type)}
		}
		return compileTransform(t)
	})
}
