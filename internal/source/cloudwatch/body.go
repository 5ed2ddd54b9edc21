package cloudwatch

import (
	"fmt"
	"net/http"

	"github.com/sluicelog/sluice/internal/source/httpbody"
)

// httpError is a request the handler refuses: the status and the message
// that names the problem.
type httpError struct {
	status int
	msg    string
	// retryAfter, when positive, is sent as Retry-After (seconds).
	retryAfter int
	// clientGone means the request's context ended: most likely nobody
	// reads the answer. Such requests are counted with code "canceled".
	clientGone bool
	// cause is the underlying error, for the log.
	cause error
}

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// canceled is the answer when the request's context ended before the batch
// was stored. It is still written (503, so that the sender retries).
func canceled(while string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, msg: "request canceled while " + while + "; nothing stored", clientGone: true}
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
