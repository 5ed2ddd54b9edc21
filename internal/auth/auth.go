// Package auth checks the credentials HTTP sources accept: HTTP basic auth,
// bearer tokens and Kinesis Firehose access keys, each set optionally
// limited to group patterns. Secrets are compared in constant time: the
// time taken does not depend on which credential matched or how much of it
// was right.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthorized is returned when a request carries no credential or a
// wrong one.
var ErrUnauthorized = errors.New("missing or wrong credentials")

// Kind says where a credential travels.
type Kind int

// The kinds of credentials.
const (
	// Basic is HTTP basic auth (user and password).
	Basic Kind = iota
	// Bearer is "Authorization: Bearer <token>".
	Bearer
	// FirehoseKey is the X-Amz-Firehose-Access-Key header.
	FirehoseKey
)

// Identity is who a request authenticated as.
type Identity struct {
	// Name is the credential set's name (the auth entry of the
	// configuration), or "" for an open source.
	Name string
	// Groups, when not empty, limits the groups the identity may write:
	// exact names, or prefixes ending in "*".
	Groups []string
}

// AllowsGroup reports whether the identity may write to group.
func (id Identity) AllowsGroup(group string) bool {
	if len(id.Groups) == 0 {
		return true
	}
	for _, p := range id.Groups {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(group, prefix) {
				return true
			}
		} else if group == p {
			return true
		}
	}
	return false
}

// Set is one named set of credentials of one kind. A nil *Set accepts
// every request (an open source).
type Set struct {
	name   string
	kind   Kind
	groups []string
	users  []digest // basic: sha256(user), parallel to secrets
	secret []digest
}

type digest [sha256.Size]byte

// NewBasic returns a set of basic-auth users, each with one or more
// passwords (rotation).
func NewBasic(name string, users map[string][]string, groups []string) *Set {
	s := &Set{name: name, kind: Basic, groups: groups}
	for u, passwords := range users {
		for _, p := range passwords {
			s.users = append(s.users, sha256.Sum256([]byte(u)))
			s.secret = append(s.secret, sha256.Sum256([]byte(p)))
		}
	}
	return s
}

// NewBearer returns a set of bearer tokens.
func NewBearer(name string, tokens []string, groups []string) *Set {
	return newSecrets(name, Bearer, tokens, groups)
}

// NewFirehoseKeys returns a set of Firehose access keys (several, for
// rotation).
func NewFirehoseKeys(name string, keys []string, groups []string) *Set {
	return newSecrets(name, FirehoseKey, keys, groups)
}

func newSecrets(name string, kind Kind, secrets, groups []string) *Set {
	s := &Set{name: name, kind: kind, groups: groups}
	for _, v := range secrets {
		s.secret = append(s.secret, sha256.Sum256([]byte(v)))
	}
	return s
}

// Kind returns the set's kind.
func (s *Set) Kind() Kind { return s.kind }

// Authenticate checks r's credential against the set. On failure it returns
// ErrUnauthorized; for Basic and Bearer sets, callers answer 401 with the
// header Challenge gives.
func (s *Set) Authenticate(r *http.Request) (Identity, error) {
	if s == nil {
		return Identity{}, nil
	}
	var user, secret string
	switch s.kind {
	case Basic:
		u, p, ok := r.BasicAuth()
		if !ok {
			return Identity{}, ErrUnauthorized
		}
		user, secret = u, p
	case Bearer:
		h := r.Header.Get("Authorization")
		tok, ok := cutPrefixFold(h, "Bearer ")
		if !ok || tok == "" {
			return Identity{}, ErrUnauthorized
		}
		secret = tok
	case FirehoseKey:
		secret = r.Header.Get("X-Amz-Firehose-Access-Key")
		if secret == "" {
			return Identity{}, ErrUnauthorized
		}
	}
	if !s.match(user, secret) {
		return Identity{}, ErrUnauthorized
	}
	return Identity{Name: s.name, Groups: s.groups}, nil
}

// match compares against every credential, always all of them.
func (s *Set) match(user, secret string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(secret))
	ok := 0
	for i := range s.secret {
		m := subtle.ConstantTimeCompare(p[:], s.secret[i][:])
		if s.kind == Basic {
			m &= subtle.ConstantTimeCompare(u[:], s.users[i][:])
		}
		ok |= m
	}
	return ok == 1
}

// Challenge is the WWW-Authenticate value for a 401 from this set, or ""
// where HTTP defines none (Firehose keys).
func (s *Set) Challenge() string {
	switch {
	case s == nil:
		return ""
	case s.kind == Basic:
		return `Basic realm="sluice"`
	case s.kind == Bearer:
		return `Bearer realm="sluice"`
	}
	return ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(s[len(prefix):]), true
}
