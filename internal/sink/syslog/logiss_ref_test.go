package syslog

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicelog/sluice/internal/event"
)

// logISSReference forwards one frame as heroku/log-iss does: a
// transliteration of its fix function (cmd/forwarder/fixer.go, without the
// query-parameter metadata) over github.com/bmizerany/lpx's Reader.Next.
// It reports false where lpx fails (fewer than six SP-terminated header
// fields).
func logISSReference(raw, remoteAddr, drainToken string) (string, bool) {
	br := bufio.NewReader(strings.NewReader(strconv.Itoa(len(raw)) + " " + raw))
	var n int64
	field := func() ([]byte, bool) { // lpx Reader.field
		g, err := br.ReadBytes(' ')
		if err != nil {
			return nil, false
		}
		n -= int64(len(g))
		return bytes.TrimRight(g, " "), true
	}
	l, ok := field()
	if !ok {
		return "", false
	}
	n, _ = strconv.ParseInt(string(l), 10, 64)
	var hdr [6][]byte // PrivalVersion, Time, Hostname, Name, Procid, Msgid
	for i := range hdr {
		if hdr[i], ok = field(); !ok {
			return "", false
		}
	}
	var b []byte
	if n > 0 {
		b = make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return "", false
		}
	}

	var w bytes.Buffer
	writeField := func(s []byte, max int) {
		if len(s) > max {
			s = s[:max]
		}
		w.Write(s)
	}
	w.Write(hdr[0])
	w.WriteString(" ")
	w.Write(hdr[1])
	w.WriteString(" ")
	host := hdr[2]
	if string(hdr[2]) == "host" && drainToken != "" {
		host = []byte(drainToken)
	}
	writeField(host, 255)
	w.WriteString(" ")
	writeField(hdr[3], 48)
	w.WriteString(" ")
	writeField(hdr[4], 128)
	w.WriteString(" ")
	writeField(hdr[5], 32)
	w.WriteString(" ")
	if remoteAddr != "" {
		w.WriteString("[origin ip=\"")
		w.WriteString(remoteAddr)
		w.WriteString("\"]")
	}
	if len(b) >= 2 && bytes.Equal(b[0:2], []byte("- ")) {
		w.Write(b[1:])
	} else if len(b) > 0 {
		if b[0] != '[' {
			w.WriteString(" ")
		}
		w.Write(b)
	}
	return strconv.Itoa(w.Len()) + " " + w.String(), true
}

// FuzzLogISSMatchesReference compares FormatLogISS with logISSReference on
// every frame both accept (AppendFrame also takes a frame that ends right
// after MSGID, and escapes the ip).
func FuzzLogISSMatchesReference(f *testing.F) {
	for _, raw := range []string{issHi, issHello, issSD, issNoSD, issNoMsg, issSDNoMsg, "<13>1  host  web.7 - - x", benchEvents()[0].Raw} {
		f.Add(raw, "1.2.3.4", "")
		f.Add(raw, "", issToken)
	}
	f.Add("<13>1 2013-06-07T13:17:49.468822+00:00 "+strings.Repeat("a", 300)+" "+strings.Repeat("b", 60)+" "+strings.Repeat("c", 200)+" "+strings.Repeat("d", 40)+" - x", "10.0.0.1", "tok")
	f.Fuzz(func(t *testing.T, raw, addr, tok string) {
		if strings.ContainsAny(addr, "\"\\]") || raw == "" {
			return
		}
		want, ok := logISSReference(raw, addr, tok)
		if !ok {
			return
		}
		if first, _, _ := strings.Cut(raw, " "); !isPRIVersion(first) {
			return // not RFC 5424: sluice builds the frame from the event
		}
		e := &event.Event{Raw: raw}
		if addr != "" {
			e.Fields = append(e.Fields, ip(addr))
		}
		e.Fields = append(e.Fields, token(tok))
		if got := string(AppendFrame(nil, e, FormatLogISS)); got != want {
			t.Errorf("raw %q ip %q token %q:\n got %q\nwant %q", raw, addr, tok, got, want)
		}
	})
}
