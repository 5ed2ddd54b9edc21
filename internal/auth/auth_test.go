package auth

import (
	"errors"
	"net/http"
	"testing"
)

func TestAuthenticate(t *testing.T) {
	basic := NewBasic("drains", map[string][]string{"heroku": {"old", "new"}}, nil)
	bearer := NewBearer("apps", []string{"tok-1"}, []string{"/app/billing*", "exact"})
	keys := NewFirehoseKeys("aws", []string{"k1", "k2"}, nil)
	f := func(s *Set, set func(*http.Request), wantOK bool, wantName string) {
		t.Helper()
		r, _ := http.NewRequest("POST", "http://x/", nil)
		set(r)
		id, err := s.Authenticate(r)
		if wantOK != (err == nil) || (err != nil && !errors.Is(err, ErrUnauthorized)) || id.Name != wantName {
			t.Fatalf("Authenticate = %+v, %v; want ok=%v name %q", id, err, wantOK, wantName)
		}
	}
	none := func(*http.Request) {}
	f(nil, none, true, "")
	f(basic, func(r *http.Request) { r.SetBasicAuth("heroku", "old") }, true, "drains")
	f(basic, func(r *http.Request) { r.SetBasicAuth("heroku", "new") }, true, "drains")
	f(basic, func(r *http.Request) { r.SetBasicAuth("heroku", "nope") }, false, "")
	f(basic, func(r *http.Request) { r.SetBasicAuth("other", "old") }, false, "")
	f(basic, none, false, "")
	f(bearer, func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-1") }, true, "apps")
	f(bearer, func(r *http.Request) { r.Header.Set("Authorization", "bearer tok-1") }, true, "apps")
	f(bearer, func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-2") }, false, "")
	f(bearer, func(r *http.Request) { r.Header.Set("Authorization", "Basic dG9rLTE=") }, false, "")
	f(bearer, func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, false, "")
	f(keys, func(r *http.Request) { r.Header.Set("X-Amz-Firehose-Access-Key", "k2") }, true, "aws")
	f(keys, func(r *http.Request) { r.Header.Set("X-Amz-Firehose-Access-Key", "k3") }, false, "")
	f(keys, none, false, "")
	if basic.Challenge() != `Basic realm="sluice"` || bearer.Challenge() != `Bearer realm="sluice"` || keys.Challenge() != "" {
		t.Fatal("challenges")
	}
}

func TestAllowsGroup(t *testing.T) {
	id := Identity{Groups: []string{"/app/billing*", "exact"}}
	f := func(group string, want bool) {
		t.Helper()
		if got := id.AllowsGroup(group); got != want {
			t.Fatalf("AllowsGroup(%q) = %v", group, got)
		}
	}
	f("/app/billing", true)
	f("/app/billing-worker", true)
	f("/app/shipping", false)
	f("exact", true)
	f("exactly", false)
	if !(Identity{}).AllowsGroup("anything") {
		t.Fatal("no groups must allow every group")
	}
}
