package config

import (
	"fmt"
	"strings"
)

// Env looks up an environment variable: its value and whether it is set,
// like os.LookupEnv.
type Env = func(name string) (string, bool)

// expand replaces ${VAR} and ${VAR:-default} in s and unescapes $$ (see the
// package documentation). The values substituted are not expanded again.
func expand(s string, env Env) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var missing []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c != '$':
			b.WriteByte(c)
			i++
			continue
		case i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$')
			i += 2
			continue
		case i+1 >= len(s) || s[i+1] != '{':
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("cannot expand %q: no closing } after ${; write $$ for a literal $", s[i:])
		}
		inner := s[i+2 : i+2+end]
		name, def, hasDefault := strings.Cut(inner, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("cannot expand ${%s}: %q is not a variable name (letters, digits and _, not starting with a digit); write $${ for a literal ${", inner, name)
		}
		v, ok := env(name)
		switch {
		case hasDefault && (!ok || v == ""):
			v = def
		case !ok:
			missing = append(missing, name)
		}
		b.WriteString(v)
		i += 2 + end + 1
	}
	if len(missing) > 0 {
		refs := make([]string, len(missing))
		for i, m := range missing {
			refs[i] = "${" + m + "}"
		}
		verb, it := "is", "it"
		if len(missing) > 1 {
			verb, it = "are", "them"
		}
		return "", fmt.Errorf("cannot expand %s: %s %s not set in the environment; set %s, or give a default: ${%s:-value}",
			strings.Join(refs, ", "), strings.Join(missing, ", "), verb, it, missing[0])
	}
	return b.String(), nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }
