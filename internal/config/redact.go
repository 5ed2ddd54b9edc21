package config

import (
	"encoding"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Redacted returns the effective configuration as YAML, for
// `sluice check -print`: defaults filled in, every secret replaced by
// REDACTED (secrets read from `*_file` keys are shown inline), and values
// left out only where they equal an empty default. Parsing the result gives
// the same configuration, but for the secrets.
func (c *Config) Redacted() string {
	v, _ := toYAML(reflect.ValueOf(c).Elem(), reflect.ValueOf(newConfig()).Elem())
	out, err := yaml.MarshalWithOptions(v, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return "# cannot print the configuration: " + err.Error() + "\n"
	}
	return string(out)
}

// defaultOf returns the default value of a configuration type that has
// one, for toYAML; the zero Value otherwise.
func defaultOf(t reflect.Type) reflect.Value {
	if t == reflect.TypeFor[Subscription]() {
		return reflect.ValueOf(newSubscription(""))
	}
	return reflect.Value{}
}

// toYAML turns v into values goccy/go-yaml prints in order: yaml.MapSlice
// for structs and maps, []any for lists, strings for secrets, durations and
// sizes. def is v's default (or invalid, for none): a field is left out
// when both it and its default are empty; ok is false for an empty v.
func toYAML(v, def reflect.Value) (out any, ok bool) {
	if !v.IsValid() {
		return nil, false
	}
	if !v.CanAddr() {
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	if u, isUnion := v.Addr().Interface().(union); isUnion {
		if u.typeName() == "" {
			return nil, false
		}
		ms := yaml.MapSlice{{Key: "type", Value: u.typeName()}}
		fresh := reflect.New(v.Type()).Interface().(union)
		vdef, _ := fresh.choose(u.typeName())
		if body, ok := toYAML(u.variant(), vdef); ok {
			ms = append(ms, body.(yaml.MapSlice)...)
		}
		return ms, true
	}
	empty := v.IsZero() && (!def.IsValid() || def.IsZero())
	if v.Type() == reflect.TypeFor[Secret]() {
		return v.Interface().(Secret).String(), !empty
	}
	if m, isText := v.Interface().(encoding.TextMarshaler); isText {
		b, _ := m.MarshalText()
		return string(b), !empty
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false
		}
		d := reflect.Value{}
		if def.IsValid() && !def.IsNil() {
			d = def.Elem()
		}
		return toYAML(v.Elem(), d)
	case reflect.Struct:
		var ms yaml.MapSlice
		t := v.Type()
		for i := range t.NumField() {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			d := reflect.Value{}
			if def.IsValid() {
				d = def.Field(i)
			}
			if fv, ok := toYAML(v.Field(i), d); ok {
				ms = append(ms, yaml.MapItem{Key: key, Value: fv})
			}
		}
		return ms, len(ms) > 0
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		var ms yaml.MapSlice
		for _, k := range keys {
			fv, ok := toYAML(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), defaultOf(v.Type().Elem()))
			if !ok {
				fv = nil
			}
			ms = append(ms, yaml.MapItem{Key: k, Value: fv})
		}
		return ms, len(ms) > 0
	case reflect.Slice:
		var list []any
		for i := range v.Len() {
			item, _ := toYAML(v.Index(i), defaultOf(v.Type().Elem()))
			list = append(list, item)
		}
		return list, len(list) > 0
	}
	return v.Interface(), !empty
}
