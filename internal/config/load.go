package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxSecretFile bounds a file read for *_file keys.
const maxSecretFile = 1 << 20

// Load reads the configuration file at path and parses it with Parse. env
// looks up the variables for ${VAR} (os.LookupEnv, usually); nil is an
// empty environment.
func Load(path string, env Env) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the configuration: %w", err)
	}
	return Parse(data, path, env)
}

// Parse decodes a YAML configuration, expands ${VAR} in its string values
// with env (nil is an empty environment), reads `*_file` secrets, fills in
// defaults and validates the result. name is the file name used in error
// messages.
//
// Every problem is reported at once: the error joins one *Error per
// problem (see Errors), in document order, each with file, line, column
// and YAML path, e.g.
//
//	sluice.yaml:12:5: sources.heroku.pathh: cannot use "pathh" in a logplex source: unknown key; did you mean "path"? (known keys: …)
//
// On error the Config is nil.
func Parse(data []byte, name string, env Env) (*Config, error) {
	if env == nil {
		env = noEnv
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	var body ast.Node
	docs := 0
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		docs++
		if body == nil {
			body = doc.Body
		}
	}
	switch {
	case docs == 0:
		return nil, &Error{File: name, Err: errors.New("cannot use an empty configuration: write at least one key, e.g. `sources: {heroku: {type: logplex}}`, or run without a file to get the defaults")}
	case docs > 1:
		return nil, &Error{File: name, Err: errors.New("cannot use several YAML documents (---) in one configuration: keep one")}
	}

	d := newDecoder(env, name)
	d.collectAnchors(body)
	cfg := newConfig()
	d.decode(body, reflect.ValueOf(cfg).Elem(), "")
	cfg.finish()

	errs := d.errs
	for _, e := range Errors(cfg.Validate()) {
		if d.failedAt(e.Path) {
			continue // already reported as a decoding problem
		}
		d.locate(e)
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return cfg, nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return nil, errors.Join(joined...)
}

// syntaxError reports a YAML syntax error with goccy/go-yaml's excerpt of
// the source.
func syntaxError(name string, err error) error {
	e := &Error{File: name}
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
		}
		formatted := yaml.FormatError(err, false, true)
		// The first line repeats "[line:col] message"; keep the message and
		// the excerpt.
		if _, rest, ok := strings.Cut(formatted, "] "); ok {
			formatted = rest
		}
		e.Err = fmt.Errorf("cannot parse YAML: %s", formatted)
		return e
	}
	e.Err = fmt.Errorf("cannot parse YAML: %w", err)
	return e
}

// decoder decodes the YAML tree into the Config, collecting every problem.
type decoder struct {
	env  Env
	file string
	errs []*Error
	// pos holds the token of every path decoded (a scalar's value, else
	// its key or list item), to place problems found later by Validate.
	pos map[string]*token.Token
	// failed holds the paths whose values could not be decoded; Validate's
	// complaints about them are not repeated.
	failed  map[string]bool
	anchors map[string]ast.Node
	// merging holds the mappings whose keys are being merged ("<<"), to
	// stop a mapping merging itself.
	merging map[*ast.MappingNode]bool
	// lenient is set inside a source or sink whose type is not built: its
	// keys are decoded as far as they go, but only "not built yet" is
	// reported.
	lenient bool
}

func newDecoder(env Env, file string) *decoder {
	return &decoder{
		env:     env,
		file:    file,
		pos:     map[string]*token.Token{},
		failed:  map[string]bool{},
		anchors: map[string]ast.Node{},
		merging: map[*ast.MappingNode]bool{},
	}
}

func (d *decoder) fail(path string, n ast.Node, format string, args ...any) {
	d.failed[path] = true
	if d.lenient {
		return
	}
	e := &Error{File: d.file, Path: path, Err: fmt.Errorf(format, args...)}
	if tk := nodeToken(n); tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	d.errs = append(d.errs, e)
}

// nodeToken returns the token where n starts: for a block mapping its
// first key (goccy/go-yaml's token for it is the first ':').
func nodeToken(n ast.Node) *token.Token {
	switch x := n.(type) {
	case nil:
		return nil
	case *ast.MappingNode:
		if !x.IsFlowStyle && len(x.Values) > 0 {
			return nodeToken(x.Values[0])
		}
	case *ast.MappingValueNode:
		return nodeToken(x.Key)
	}
	return n.GetToken()
}

// keyToken returns the token that locates the value of entry e: the
// value's own for a scalar (problems are usually about the value), the
// key's for a mapping or a list.
func (d *decoder) keyToken(e entry) *token.Token {
	switch v := d.resolve(e.value).(type) {
	case nil, *ast.MappingNode, *ast.SequenceNode, *ast.NullNode:
		return nodeToken(e.keyN)
	default:
		return nodeToken(v)
	}
}

// failedAt reports whether path or one of its parents failed to decode.
func (d *decoder) failedAt(path string) bool {
	for p := path; ; p = parentPath(p) {
		if d.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// locate gives e the file position of its path, or of the nearest parent
// the document has.
func (d *decoder) locate(e *Error) {
	e.File = d.file
	for p := e.Path; p != ""; p = parentPath(p) {
		if tk := d.pos[p]; tk != nil && tk.Position != nil {
			e.Line, e.Column = tk.Position.Line, tk.Position.Column
			return
		}
	}
}

func (d *decoder) collectAnchors(n ast.Node) {
	ast.Walk(anchorVisitor(d.anchors), n)
}

type anchorVisitor map[string]ast.Node

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// resolve looks through anchors, aliases and tags to the node that holds
// the value.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for range 100 { // bounds alias chains
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			if x.Value == nil {
				return x
			}
			target, ok := d.anchors[x.Value.GetToken().Value]
			if !ok || target == nil {
				return x // described as an alias to an undefined anchor
			}
			n = target
		default:
			return n
		}
	}
	return nil
}

// describe names a node's kind for messages.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case nil:
		return "nothing"
	case *ast.AliasNode:
		if x.Value != nil {
			return "an alias to an undefined anchor (*" + x.Value.GetToken().Value + ")"
		}
		return "an alias to an undefined anchor"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// decode decodes node n into v (addressable) at path. A null or missing
// value leaves v as it is: its default.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	n = d.resolve(n)
	if n == nil || n.Type() == ast.NullType {
		return
	}
	if u, ok := v.Addr().Interface().(union); ok {
		d.decodeUnion(n, u, path)
		return
	}
	if v.Type() == reflect.TypeFor[Secrets]() {
		if _, isList := n.(*ast.SequenceNode); !isList {
			// A single secret.
			if s, ok := d.scalar(n, path, "a secret or a list of secrets"); ok {
				v.Set(reflect.ValueOf(Secrets{Secret(s)}))
			}
			return
		}
	}
	if v.Addr().Type().Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		s, ok := d.scalar(n, path, "a value such as "+exampleOf(v.Type()))
		if !ok {
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.fail(path, n, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path, "", "")
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		switch x := n.(type) {
		case *ast.BoolNode:
			v.SetBool(x.Value)
		default:
			s, ok := d.scalar(n, path, "true or false")
			if !ok {
				return
			}
			switch s {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.fail(path, n, "cannot use %q as a boolean: write true or false", s)
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalar(n, path, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			d.fail(path, n, "cannot use %q as a number: write a whole number, e.g. 4", s)
			return
		}
		v.SetInt(i)
	default:
		panic("config: cannot decode into " + v.Type().String())
	}
}

func exampleOf(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "10s"
	case reflect.TypeFor[ByteSize]():
		return "10MiB"
	}
	return t.Name()
}

// scalar returns the text of a scalar node, expanded when it is a string.
// want describes what the field takes, for the message when n is a mapping
// or a list.
func (d *decoder) scalar(n ast.Node, path, want string) (string, bool) {
	var raw string
	switch x := n.(type) {
	case *ast.StringNode:
		raw = x.Value
	case *ast.LiteralNode:
		raw = x.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	default:
		d.fail(path, n, "cannot use %s here: want %s", describe(n), want)
		return "", false
	}
	s, err := expand(raw, d.env)
	if err != nil {
		d.fail(path, n, "%v", err)
		return "", false
	}
	return s, true
}

// entry is one key of a mapping.
type entry struct {
	key   string
	keyN  ast.Node
	value ast.Node
}

// entries lists the keys of mapping n, with "<<" merge keys applied: keys
// written in n win over merged ones, earlier merged mappings over later.
func (d *decoder) entries(n *ast.MappingNode, path string) []entry {
	var own, merged []entry
	for _, mv := range n.Values {
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			sources := d.mergeSources(mv.Value)
			if len(sources) == 0 {
				d.fail(path, mv.Key, "cannot merge %s: << takes an alias of a mapping, or a list of them", describe(d.resolve(mv.Value)))
			}
			for _, m := range sources {
				if d.merging[m] {
					d.fail(path, mv.Key, "cannot merge a mapping into itself (<<: alias of an enclosing anchor)")
					continue
				}
				d.merging[m] = true
				merged = append(merged, d.entries(m, path)...)
				delete(d.merging, m)
			}
			continue
		}
		k := d.resolve(mv.Key)
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = d.resolve(mk.Value)
		}
		var key string
		switch x := k.(type) {
		case *ast.StringNode:
			key = x.Value
		case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode:
			key = x.GetToken().Value
		default:
			d.fail(path, mv.Key, "cannot use %s as a key: keys are strings", describe(k))
			continue
		}
		own = append(own, entry{key, mv.Key, mv.Value})
	}
	if len(merged) == 0 {
		return own
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[e.key] = true
	}
	out := own
	for _, e := range merged {
		if !seen[e.key] {
			seen[e.key] = true
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) mergeSources(n ast.Node) []*ast.MappingNode {
	switch x := d.resolve(n).(type) {
	case *ast.MappingNode:
		return []*ast.MappingNode{x}
	case *ast.SequenceNode:
		var out []*ast.MappingNode
		for _, item := range x.Values {
			if m, ok := d.resolve(item).(*ast.MappingNode); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// structField is a field of a configuration struct, by YAML key.
type structField struct {
	index int
	typ   reflect.Type
}

func fieldsOf(t reflect.Type) (map[string]structField, []string) {
	fields := map[string]structField{}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		fields[key] = structField{i, f.Type}
		keys = append(keys, key)
		if isSecretField(f.Type) {
			keys = append(keys, key+"_file")
		}
	}
	sort.Strings(keys)
	return fields, keys
}

// isSecretField reports whether a field of type t has a `_file` form.
func isSecretField(t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[Secret](), reflect.TypeFor[[]Secret](), reflect.TypeFor[map[string]Secrets]():
		return true
	}
	return false
}

// decodeStruct decodes mapping n into struct v; skip names a key already
// handled (a union's type), what says where unknown keys are ("in a
// logplex source"; default: in the path).
func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path, skip, what string) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(path, n, "cannot use %s here: want a mapping of keys to values (key: value)", describe(n))
		return
	}
	fields, keys := fieldsOf(v.Type())
	all := d.entries(m, path)
	present := map[string]bool{}
	for _, e := range all {
		present[e.key] = true
	}
	for _, e := range all {
		if e.key == skip {
			continue
		}
		p := joinPath(path, e.key)
		d.pos[p] = d.keyToken(e)
		if f, ok := fields[e.key]; ok {
			d.decode(e.value, v.Field(f.index), p)
			continue
		}
		if base, ok := strings.CutSuffix(e.key, "_file"); ok {
			if f, ok := fields[base]; ok && isSecretField(f.typ) {
				if f.typ == reflect.TypeFor[Secret]() && present[base] {
					d.fail(p, e.keyN, "cannot use both %s and %s: keep one", base, e.key)
					continue
				}
				d.decodeSecretFile(e.value, v.Field(f.index), p)
				if d.failed[p] {
					// Do not also complain that the secrets are missing.
					d.failed[joinPath(path, base)] = true
				}
				continue
			}
		}
		d.unknownKey(e, p, path, what, keys)
	}
}

func (d *decoder) unknownKey(e entry, p, path, what string, keys []string) {
	switch {
	case what != "":
	case path == "":
		what = "at the top level"
	default:
		what = "in " + path
	}
	hint := ""
	if s := closest(e.key, keys); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	d.fail(p, e.keyN, "cannot use %q %s: unknown key%s (known keys: %s)", e.key, what, hint, strings.Join(keys, ", "))
}

// closest returns the key nearest to k by edit distance, if near enough to
// be a typo.
func closest(k string, keys []string) string {
	best, bestD := "", 3
	for _, c := range keys {
		if dist := editDistance(k, c); dist < bestD && dist <= len(c)/2 {
			best, bestD = c, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
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

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(path, n, "cannot use %s here: want a mapping of names to values (name: value)", describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, e := range d.entries(m, path) {
		p := joinPath(path, e.key)
		d.pos[p] = d.keyToken(e)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, elem, p)
		v.SetMapIndex(reflect.ValueOf(e.key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(path, n, "cannot use %s here: want a list, e.g. [a, b] or lines starting with -", describe(n))
		return
	}
	for i, item := range seq.Values {
		p := path + "[" + strconv.Itoa(i) + "]"
		if i < len(seq.Entries) && seq.Entries[i] != nil && seq.Entries[i].Start != nil {
			d.pos[p] = seq.Entries[i].Start // the "-"
		} else {
			d.pos[p] = nodeToken(item)
		}
		elem := reflect.New(v.Type().Elem())
		if s, ok := elem.Interface().(interface{ setDefaults() }); ok {
			s.setDefaults()
		}
		d.decode(item, elem.Elem(), p)
		v.Set(reflect.Append(v, elem.Elem()))
	}
}

// decodeUnion decodes a source or sink: its type first, then the keys of
// that type.
func (d *decoder) decodeUnion(n ast.Node, u union, path string) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(path, n, "cannot use %s as a %s: want a mapping with a type, e.g. {type: %s, ...}", describe(n), u.kind(), u.types()[0].name)
		return
	}
	var typeEntry *entry
	all := d.entries(m, path)
	for i := range all {
		if all[i].key == "type" {
			typeEntry = &all[i]
		}
	}
	if typeEntry == nil {
		d.fail(path, n, "cannot use a %s without a type: add type: one of %s", u.kind(), typeNames(u.types(), false))
		return
	}
	tp := joinPath(path, "type")
	d.pos[tp] = d.keyToken(*typeEntry)
	tv := d.resolve(typeEntry.value)
	if tv == nil || tv.Type() == ast.NullType {
		d.fail(tp, typeEntry.keyN, "cannot use an empty %s type: use one of %s", u.kind(), typeNames(u.types(), false))
		return
	}
	t, ok := d.scalar(tv, tp, "a type name")
	if !ok {
		return
	}
	target, ok := u.choose(t)
	if !ok {
		d.fail(tp, tv, "cannot use %s type %q: it does not exist; use one of %s", u.kind(), t, typeNames(u.types(), false))
		return
	}
	if built, _ := isBuilt(u.types(), t); !built {
		saved := d.lenient
		d.lenient = true
		defer func() { d.lenient = saved }()
	}
	d.decodeStruct(m, target.Elem(), path, "type", fmt.Sprintf("in a %s %s", t, u.kind()))
}

// decodeSecretFile reads the secrets of a `*_file` key into v: a Secret,
// a []Secret (one per line) or a map[string]Secrets ("name:secret" lines).
func (d *decoder) decodeSecretFile(n ast.Node, v reflect.Value, path string) {
	n = d.resolve(n)
	if n == nil || n.Type() == ast.NullType {
		return
	}
	file, ok := d.scalar(n, path, "a file name")
	if !ok || d.lenient {
		return
	}
	data, err := readSecretFile(file)
	if err != nil {
		d.fail(path, n, "%v", err)
		return
	}
	switch v.Type() {
	case reflect.TypeFor[Secret]():
		s := strings.TrimSuffix(string(data), "\n")
		s = strings.TrimSuffix(s, "\r")
		if s == "" {
			d.fail(path, n, "cannot use secret file %s: it is empty", file)
			return
		}
		v.SetString(s)
	case reflect.TypeFor[[]Secret]():
		lines := secretLines(data)
		if len(lines) == 0 {
			d.fail(path, n, "cannot use secret file %s: it has no secrets (one per line; # starts a comment)", file)
			return
		}
		for _, l := range lines {
			v.Set(reflect.Append(v, reflect.ValueOf(Secret(l.text))))
		}
	case reflect.TypeFor[map[string]Secrets]():
		lines := secretLines(data)
		if len(lines) == 0 {
			d.fail(path, n, "cannot use users file %s: it has no users (one name:password per line; # starts a comment)", file)
			return
		}
		if v.IsNil() {
			v.Set(reflect.ValueOf(map[string]Secrets{}))
		}
		users := v.Interface().(map[string]Secrets)
		for _, l := range lines {
			name, secret, ok := strings.Cut(l.text, ":")
			if !ok || name == "" || secret == "" {
				d.fail(path, n, "cannot read line %d of users file %s: want name:password", l.number, file)
				continue
			}
			users[name] = append(users[name], Secret(secret))
		}
	}
}

func readSecretFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read secret file: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxSecretFile+1)); err != nil {
		return nil, fmt.Errorf("cannot read secret file %s: %w", file, err)
	}
	if buf.Len() > maxSecretFile {
		return nil, fmt.Errorf("cannot use secret file %s: it is larger than 1MiB; is it the right file?", file)
	}
	return buf.Bytes(), nil
}

type secretLine struct {
	number int
	text   string
}

// secretLines splits a secrets file into its lines, without blank lines,
// comments and line endings.
func secretLines(data []byte) []secretLine {
	var out []secretLine
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, secretLine{i + 1, l})
	}
	return out
}
