package httpsink

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// MaxRetryAfter caps the wait a Retry-After asks for, so that a bogus
	// value cannot stall delivery for days; the batch is then tried again
	// (and refused again, if the endpoint still wants a longer pause).
	MaxRetryAfter = 10 * time.Minute
	// BodyExcerptBytes is how much of a refusing response's body an error
	// quotes.
	BodyExcerptBytes = 200
)

// StatusError is a response other than 2xx. RetryAfter makes the delivery
// helper wait at least as long as the endpoint asked.
type StatusError struct {
	// Endpoint is scheme://host of the URL.
	Endpoint string
	// StatusCode and Status are the response's, e.g. 503 and
	// "503 Service Unavailable".
	StatusCode int
	Status     string
	// Body is the start of the response body (at most BodyExcerptBytes,
	// control characters made spaces).
	Body string
	// Location is scheme://host of a redirect's target (redirects are not
	// followed).
	Location string
	// After is the Retry-After of a retryable response (0 when absent).
	After time.Duration
}

// Error says what happened and what to do.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot deliver events to %s: HTTP %s", e.Endpoint, e.Status)
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	switch code := e.StatusCode; {
	case e.Retryable():
		b.WriteString("; will retry")
		if e.After > 0 {
			fmt.Fprintf(&b, " after %v as Retry-After asks", e.After)
		}
	case code >= 300 && code < 400:
		if e.Location != "" {
			fmt.Fprintf(&b, "; the endpoint redirects to %s (not followed): set the url to where it redirects", e.Location)
		} else {
			b.WriteString("; the endpoint redirects (not followed): set the url to where it redirects")
		}
	case code == http.StatusBadRequest:
		b.WriteString("; check the encoding and headers the endpoint expects")
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		b.WriteString("; check the credentials (username/password, bearer_token, or the token in the url)")
	case code == http.StatusNotFound:
		b.WriteString("; check the url")
	case code == http.StatusMethodNotAllowed:
		b.WriteString("; check the method (POST or PUT)")
	case code == http.StatusRequestEntityTooLarge:
		b.WriteString("; lower max_bytes")
	default:
		b.WriteString("; check the endpoint's configuration")
	}
	return b.String()
}

// RetryAfter is how long the endpoint asked to wait before trying again.
func (e *StatusError) RetryAfter() time.Duration { return e.After }

// Retryable reports whether trying again may succeed: 408, 429, 5xx.
func (e *StatusError) Retryable() bool {
	return retryableStatus(e.StatusCode)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// parseRetryAfter reads a Retry-After value (RFC 9110 section 10.2.3):
// delay-seconds or an HTTP-date. It returns 0 for an absent, invalid or
// past value, and at most MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return MaxRetryAfter
			}
			return 0
		}
		if n >= uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// excerpt makes the start of a response body printable in one line.
func excerpt(b []byte) string {
	// Drop a rune cut at the end rather than show U+FFFD for it.
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				b = b[:len(b)-i]
			}
			break
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
