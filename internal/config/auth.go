package config

import (
	"strconv"
	"strings"
)

// Credential types.
const (
	AuthBasic       = "basic"        // HTTP basic auth: users
	AuthBearer      = "bearer"       // Authorization: Bearer <token>: tokens
	AuthFirehoseKey = "firehose_key" // Kinesis Firehose X-Amz-Firehose-Access-Key: keys
)

// Auth is a named set of credentials.
//
//	drains: {type: basic, users: {heroku: "${DRAIN_TOKEN}"}}
//	apps:   {type: bearer, tokens_file: /run/secrets/ingest, groups: ["/app/*"]}
type Auth struct {
	// Type is basic, bearer or firehose_key.
	Type string `yaml:"type"`
	// Users maps a basic-auth user name to its password; a list of
	// passwords lets an old and a new one work during rotation. Also
	// users_file: one "name:password" per line.
	Users map[string]Secrets `yaml:"users"`
	// Tokens are bearer tokens. Also tokens_file: one per line.
	Tokens []Secret `yaml:"tokens"`
	// Keys are Firehose access keys. Also keys_file: one per line.
	Keys []Secret `yaml:"keys"`
	// Groups, when set, limits what these credentials may write (and later
	// read) to groups matching one of the patterns: an exact group, or a
	// prefix ending in "*" ("/app/*").
	Groups []string `yaml:"groups"`
}

// Validate checks that the credentials fit their type.
func (a *Auth) Validate() error {
	var p problems
	misplaced := func(key string, has bool) {
		if has {
			p.add(key, "cannot use %s with type %s: basic takes users, bearer takes tokens, firehose_key takes keys", key, a.Type)
		}
	}
	switch a.Type {
	case AuthBasic:
		if len(a.Users) == 0 {
			p.add("users", "cannot use basic auth without users: add users: {name: password} or users_file")
		}
		for _, name := range sortedKeys(a.Users) {
			path := joinPath("users", name)
			if name == "" || strings.ContainsAny(name, ":\r\n") {
				p.add(path, "cannot use %q as a user name: it must be non-empty and hold no ':' or line break", name)
			}
			if len(a.Users[name]) == 0 {
				p.add(path, "cannot use user %q without a password", name)
			}
			checkSecrets(&p, path, a.Users[name], false)
		}
		misplaced("tokens", len(a.Tokens) > 0)
		misplaced("keys", len(a.Keys) > 0)
	case AuthBearer:
		if len(a.Tokens) == 0 {
			p.add("tokens", "cannot use bearer auth without tokens: add tokens: [...] or tokens_file")
		}
		checkSecrets(&p, "tokens", a.Tokens, true)
		misplaced("users", len(a.Users) > 0)
		misplaced("keys", len(a.Keys) > 0)
	case AuthFirehoseKey:
		if len(a.Keys) == 0 {
			p.add("keys", "cannot use firehose_key auth without keys: add keys: [...] or keys_file")
		}
		checkSecrets(&p, "keys", a.Keys, true)
		misplaced("users", len(a.Users) > 0)
		misplaced("tokens", len(a.Tokens) > 0)
	case "":
		p.add("type", "cannot use credentials without a type: set type: basic, bearer or firehose_key")
	default:
		p.add("type", "cannot use credential type %q: use basic, bearer or firehose_key", a.Type)
	}
	for i, g := range a.Groups {
		if g == "" || strings.Contains(strings.TrimSuffix(g, "*"), "*") {
			p.add("groups["+strconv.Itoa(i)+"]", "cannot use group pattern %q: write a group, or a prefix ending in *, e.g. /app/*", g)
		}
	}
	return p.err()
}

// checkSecrets checks secrets that travel in HTTP headers; index says
// whether problems name the secret's index even when it is the only one.
// Error messages never show a secret's value.
func checkSecrets(p *problems, path string, secrets []Secret, index bool) {
	for i, s := range secrets {
		at := path
		if index || len(secrets) > 1 {
			at = path + "[" + strconv.Itoa(i) + "]"
		}
		switch {
		case s == "":
			p.add(at, "cannot use an empty secret: set a value (is its ${VAR} empty?)")
		case strings.ContainsAny(string(s), "\r\n"):
			p.add(at, "cannot use a secret with a line break: it travels in an HTTP header (does its file end in more than one newline?)")
		}
	}
}
