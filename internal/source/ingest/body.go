package ingest

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
)

// httpError is a request the handler refuses: the status and the message
// that names the problem.
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

// bodyKind is how a request body is read.
type bodyKind int

const (
	// bodyJSON is a JSON array of events or NDJSON, told apart by the
	// first non-space byte.
	bodyJSON bodyKind = iota
	// bodyText is plain text, one event per line.
	bodyText
)

// checkContentType accepts JSON and NDJSON media types, text/plain, and no
// Content-Type or curl's default (application/x-www-form-urlencoded), which
// are read as JSON.
func checkContentType(r *http.Request) (bodyKind, *httpError) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return bodyJSON, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return 0, errorf(http.StatusUnsupportedMediaType, "cannot parse Content-Type %q: %v; want application/json, application/x-ndjson or text/plain", ct, err)
	}
	switch mt {
	case "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl",
		"application/jsonlines", "application/x-jsonlines", "application/x-www-form-urlencoded":
		return bodyJSON, nil
	case "text/plain":
		return bodyText, nil
	}
	return 0, errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: want application/json, application/x-ndjson or text/plain", ct)
}

// isGzip reads Content-Encoding: gzip or none.
func isGzip(r *http.Request) (bool, *httpError) {
	values := r.Header.Values("Content-Encoding")
	switch {
	case len(values) == 0:
		return false, nil
	case len(values) > 1:
		return false, errorf(http.StatusUnsupportedMediaType, "unsupported Content-Encoding %q: want gzip or none", strings.Join(values, ", "))
	}
	switch strings.ToLower(strings.TrimSpace(values[0])) {
	case "", "identity":
		return false, nil
	case "gzip", "x-gzip":
		return true, nil
	}
	return false, errorf(http.StatusUnsupportedMediaType, "unsupported Content-Encoding %q: want gzip or none", values[0])
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// errInflatedTooLarge says a gzip body decompresses to more than the limit.
var errInflatedTooLarge = errors.New("decompressed body too large")

// readBody reads the whole request body, decompressing it when gz, and
// returns it with the number of bytes read from the wire. Both sizes are
// limited to limit.
func readBody(w http.ResponseWriter, r *http.Request, gz bool, limit int64) ([]byte, int64, *httpError) {
	if r.ContentLength > limit {
		return nil, 0, errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes is larger than the %d-byte limit", r.ContentLength, limit)
	}
	wire := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	if !gz {
		body, err := readAll(wire, limit, r.ContentLength)
		if err != nil {
			return nil, wire.n, readError(err, false, limit)
		}
		return body, wire.n, nil
	}
	zr, err := gzip.NewReader(wire)
	if errors.Is(err, io.EOF) {
		return nil, wire.n, nil // an empty body: nothing to decompress
	}
	if err != nil {
		return nil, wire.n, readError(err, true, limit)
	}
	hint := int64(-1)
	if r.ContentLength > 0 {
		hint = min(4*r.ContentLength, limit)
	}
	body, err := readAll(zr, limit, hint)
	if err == nil {
		err = zr.Close()
	}
	if err != nil {
		return nil, wire.n, readError(err, true, limit)
	}
	return body, wire.n, nil
}

// readAll reads src to its end. It fails with errInflatedTooLarge when src
// holds more than limit bytes. size, when positive, is the expected size.
func readAll(src io.Reader, limit, size int64) ([]byte, error) {
	if size <= 0 {
		size = 32 << 10
	}
	buf := make([]byte, 0, min(size, limit)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errInflatedTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readError turns an error reading the body into the answer that names it.
func readError(err error, gz bool, limit int64) *httpError {
	var maxErr *http.MaxBytesError
	var netErr net.Error
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &maxErr):
		return errorf(http.StatusRequestEntityTooLarge, "request body is larger than the %d-byte limit", limit)
	case errors.Is(err, errInflatedTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "decompressed request body is larger than the %d-byte limit", limit)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return errorf(http.StatusRequestTimeout, "timed out reading the request body: %v", err)
	case gz && (errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) || errors.Is(err, io.ErrUnexpectedEOF)):
		return errorf(http.StatusBadRequest, "cannot decompress the gzip request body: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "cannot read the request body: it ended early (%v)", err)
	case errors.Is(err, context.Canceled):
		return canceled("reading the request body")
	}
	return errorf(http.StatusBadRequest, "cannot read the request body: %v", err)
}

// canceled is the answer when the request's context ended (the client went
// away, or the server is shutting down) before the batch was stored. It is
// still written, so that a client that is in fact listening never takes the
// silence for net/http's default 200; it says 503 so that the client
// retries.
func canceled(while string) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, msg: "request canceled while " + while + "; nothing stored", clientGone: true}
}
