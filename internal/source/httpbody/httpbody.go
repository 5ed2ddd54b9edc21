// Package httpbody reads the bodies of the HTTP sources' requests: an
// optional gzip Content-Encoding, a size limit on the wire and after
// decompression, and errors turned into the HTTP status that names them.
package httpbody

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

// ErrInflatedTooLarge says a gzip body decompresses to more than the limit.
var ErrInflatedTooLarge = errors.New("decompressed body too large")

// Gzip reads Content-Encoding: it reports whether the body is gzip'd, or an
// error (to answer 415) for any other encoding.
func Gzip(r *http.Request) (bool, error) {
	values := r.Header.Values("Content-Encoding")
	switch {
	case len(values) == 0:
		return false, nil
	case len(values) > 1:
		return false, fmt.Errorf("unsupported Content-Encoding %q: want gzip or none", strings.Join(values, ", "))
	}
	switch strings.ToLower(strings.TrimSpace(values[0])) {
	case "", "identity":
		return false, nil
	case "gzip", "x-gzip":
		return true, nil
	}
	return false, fmt.Errorf("unsupported Content-Encoding %q: want gzip or none", values[0])
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

// errDeclaredTooLarge says Content-Length already exceeds the limit.
type errDeclaredTooLarge struct{ size, limit int64 }

func (e errDeclaredTooLarge) Error() string {
	return fmt.Sprintf("request body of %d bytes is larger than the %d-byte limit", e.size, e.limit)
}

// Read reads the whole request body, decompressing it when gz, and returns
// it with the number of bytes read from the wire. Both sizes are limited to
// limit. An error is for Problem to classify.
func Read(w http.ResponseWriter, r *http.Request, gz bool, limit int64) ([]byte, int64, error) {
	if r.ContentLength > limit {
		return nil, 0, errDeclaredTooLarge{r.ContentLength, limit}
	}
	wire := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	if !gz {
		body, err := readAll(wire, limit, r.ContentLength)
		return body, wire.n, err
	}
	zr, err := gzip.NewReader(wire)
	if errors.Is(err, io.EOF) {
		return nil, wire.n, nil // an empty body: nothing to decompress
	}
	if err != nil {
		return nil, wire.n, err
	}
	hint := int64(-1)
	if r.ContentLength > 0 {
		hint = min(8*r.ContentLength, limit)
	}
	body, err := readAll(zr, limit, hint)
	if err == nil {
		err = zr.Close()
	}
	if err != nil {
		return nil, wire.n, err
	}
	return body, wire.n, nil
}

// readAll reads src to its end. It fails with ErrInflatedTooLarge when src
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
			return nil, ErrInflatedTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Problem turns an error from Read into the HTTP status and the message
// that names it; canceled means the request's context ended (the client
// went away or the server is stopping), which sources answer as they answer
// any cancellation.
func Problem(err error, gz bool, limit int64) (status int, msg string, canceled bool) {
	var declared errDeclaredTooLarge
	var maxErr *http.MaxBytesError
	var netErr net.Error
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &declared):
		return http.StatusRequestEntityTooLarge, declared.Error(), false
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the %d-byte limit", limit), false
	case errors.Is(err, ErrInflatedTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("decompressed request body is larger than the %d-byte limit", limit), false
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return http.StatusRequestTimeout, fmt.Sprintf("timed out reading the request body: %v", err), false
	case gz && (errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) || errors.Is(err, io.ErrUnexpectedEOF)):
		return http.StatusBadRequest, fmt.Sprintf("cannot decompress the gzip request body: %v", err), false
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, fmt.Sprintf("cannot read the request body: it ended early (%v)", err), false
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "", true
	}
	return http.StatusBadRequest, fmt.Sprintf("cannot read the request body: %v", err), false
}
