package cloudwatch

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
)

// maxRequestIDBytes bounds an X-Request-Id taken from the request.
const maxRequestIDBytes = 200

// requestID returns the request's X-Request-Id, when it is 1 to 200
// visible ASCII bytes, or a new random id.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	ok := id != "" && len(id) <= maxRequestIDBytes
	for i := 0; ok && i < len(id); i++ {
		ok = id[i] > ' ' && id[i] <= '~'
	}
	if ok {
		return id
	}
	return rand.Text()
}

// jsonError returns {"error":"<msg>"}.
func jsonError(msg string) []byte {
	b, err := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	if err != nil { // cannot happen: a string
		return []byte(`{"error":"internal error"}`)
	}
	return b
}

// writeJSON answers with a JSON body and an explicit Content-Length.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
