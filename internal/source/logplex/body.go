package logplex

import (
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/sluicelog/sluice/internal/source/httpbody"
)

// httpError is a request the handler refuses: the status and the plain-text
// message that names the problem.
type httpError struct {
	status int
	msg    string
	// clientGone means the request's context ended: most likely nobody
	// reads the answer. Such requests are counted with code "canceled".
	clientGone bool
}

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// contentTypeLogplex is the media type Logplex drains send.
const contentTypeLogplex = "application/logplex-1"

// checkContentType accepts application/logplex-1 with any parameters.
func checkContentType(r *http.Request) *httpError {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errorf(http.StatusUnsupportedMediaType, "missing Content-Type: want %s", contentTypeLogplex)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return errorf(http.StatusUnsupportedMediaType, "cannot parse Content-Type %q: %v; want %s", ct, err, contentTypeLogplex)
	}
	if mt != contentTypeLogplex {
		return errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: want %s", ct, contentTypeLogplex)
	}
	return nil
}

// isGzip reads Content-Encoding: gzip or none.
func isGzip(r *http.Request) (bool, *httpError) {
	gz, err := httpbody.Gzip(r)
	if err != nil {
		return false, errorf(http.StatusUnsupportedMediaType, "%v", err)
	}
	return gz, nil
}

// readBody reads the whole request body (see httpbody.Read) and names what
// went wrong in the answer.
func readBody(w http.ResponseWriter, r *http.Request, gz bool, limit int64) ([]byte, int64, *httpError) {
	body, n, err := httpbody.Read(w, r, gz, limit)
	if err != nil {
		status, msg, gone := httpbody.Problem(err, gz, limit)
		if gone {
			return nil, n, canceled("reading the request body")
		}
		return nil, n, &httpError{status: status, msg: msg}
	}
	return body, n, nil
}

// canceled is the answer when the request's context ended (the client went
// away, or the server is shutting down) before the batch was stored. It is
// still written, so that a client that is in fact listening never takes
// the silence for net/http's default 200; it says 503 so that Logplex
// retries.
func canceled(while string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, msg: "request canceled while " + while + "; nothing stored", clientGone: true}
}
