package logplex

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// basicAuth checks HTTP basic credentials in constant time: the time taken
// does not depend on which user matched, nor on how much of a password was
// right (SHA-256 digests are compared, all of them).
type basicAuth struct {
	users []credential
}

type credential struct {
	user, pass [sha256.Size]byte
}

func newBasicAuth(users map[string][]string) *basicAuth {
	if len(users) == 0 {
		return nil
	}
	a := &basicAuth{users: make([]credential, 0, len(users))}
	for u, passwords := range users {
		for _, p := range passwords {
			a.users = append(a.users, credential{user: sha256.Sum256([]byte(u)), pass: sha256.Sum256([]byte(p))})
		}
	}
	return a
}

// check reports whether r carries the credentials of a configured user. A
// nil *basicAuth accepts every request.
func (a *basicAuth) check(r *http.Request) bool {
	if a == nil {
		return true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	match := 0
	for i := range a.users {
		match |= subtle.ConstantTimeCompare(u[:], a.users[i].user[:]) & subtle.ConstantTimeCompare(p[:], a.users[i].pass[:])
	}
	return match == 1
}
