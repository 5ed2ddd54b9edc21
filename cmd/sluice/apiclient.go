package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/sluicelog/sluice/internal/event"
)

// defaultServer is where `sluice serve` listens with no configuration.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags every command that talks to a running sluice
// over its HTTP API shares.
type clientFlags struct {
	server string
	token  string
	json   bool
	color  string
	getenv func(string) string
}

// register adds the shared flags to fs. Their defaults come from the
// environment when the command runs (client), not here: -h must not print
// the token.
func (c *clientFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	c.getenv = getenv
	fs.StringVar(&c.server, "server", "", "`URL` of a running sluice (default $SLUICE_URL, else "+defaultServer+")")
	fs.StringVar(&c.token, "token", "", "API bearer `TOKEN` (default $SLUICE_TOKEN)")
	fs.BoolVar(&c.json, "json", false, "print each event as one line of JSON, exactly as the API returns it")
	fs.StringVar(&c.color, "color", "auto", "`WHEN` to colour lines by severity: auto (when stdout is a terminal and $NO_COLOR is empty), always, never")
}

// client makes the API client the flags describe.
func (c *clientFlags) client() (*apiClient, error) {
	server, token := c.server, c.token
	if server == "" {
		server = c.getenv("SLUICE_URL")
	}
	if server == "" {
		server = defaultServer
	}
	if token == "" {
		token = c.getenv("SLUICE_TOKEN")
	}
	return newAPIClient(server, token)
}

// colorOn decides whether to colour output written to stdout.
func (c *clientFlags) colorOn(stdout io.Writer) (bool, error) {
	switch c.color {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		// https://no-color.org: set and not empty means no colour.
		return c.getenv("NO_COLOR") == "" && isTerminal(stdout), nil
	}
	return false, fmt.Errorf("--color %q: want auto, always or never", c.color)
}

// isTerminal reports whether w is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// parseInterleaved parses args with fs, letting flags come before, between
// and after the query words, and returns the words. An argument that starts
// with "-" but is not one of fs's flags is a query word, because the query
// language writes exclusions that way (-healthcheck, -app:router); one
// that starts with "--" is always a flag, so that a misspelt --flag is an
// error rather than a search; after "--" every argument is a query word.
// parseCommand parses a tail or search command line: -h prints usage and
// the flags; a bad flag has been reported by the flag package (exit 2).
func parseCommand(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) ([]string, error) {
	words, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		return nil, err
	}
	if err != nil {
		return nil, exitError(2)
	}
	return words, nil
}

func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return append(words, args[1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			args = args[1:]
			continue
		}
		name := flagName(a)
		if name == "h" || name == "help" {
			// The caller prints the whole usage; the flag package's
			// FlagSet.Usage is left for a short hint after a bad flag.
			return nil, flag.ErrHelp
		}
		if fs.Lookup(name) == nil && !strings.HasPrefix(a, "--") {
			words = append(words, a)
			args = args[1:]
			continue
		}
		// One flag (with its value): hand the flag package just that, so
		// that it cannot swallow the words after it.
		n := 1
		if f := fs.Lookup(name); f != nil && !strings.Contains(a, "=") && !isBoolFlag(f) && len(args) > 1 {
			n = 2
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return words, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// apiClient talks to sluice's HTTP API (/api/v1/).
type apiClient struct {
	base  *url.URL // the server's root, without a trailing slash
	token string
	http  *http.Client
}

func newAPIClient(server, token string) (*apiClient, error) {
	s := strings.TrimSpace(server)
	// "127.0.0.1:8080" and "localhost:8080" are what people type.
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("--server %q: %v; want a URL such as %s", server, err, defaultServer)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want an http:// or https:// URL such as %s", server, defaultServer)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	// No client timeout: a tail stream is open for as long as the user
	// watches; requests end with their context.
	return &apiClient{base: u, token: token, http: &http.Client{}}, nil
}

// server is the server's URL for messages, without a password.
func (c *apiClient) server() string { return c.base.Redacted() }

// endpoint returns the URL of an API path (e.g. "search") with a query.
func (c *apiClient) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path += "/api/v1/" + path
	u.RawQuery = q.Encode()
	return u.String()
}

// apiError is a request the API or the network refused, worded for the
// person at the terminal.
type apiError struct {
	status int // 0 when the server could not be reached
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// usage reports whether the error is the user's input (a bad query or
// parameter): exit status 2, as for a bad flag.
func (e *apiError) usage() bool { return e.status == http.StatusBadRequest }

// get sends a GET to the API and returns the response when it is 200.
func (c *apiClient) get(ctx context.Context, path string, q url.Values, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(path, q), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "sluice-cli/"+buildVersion())
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Unwrap the *url.Error: its text repeats the whole URL, query and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &apiError{msg: fmt.Sprintf("cannot reach sluice at %s: %v — is `sluice serve` running? Set --server or $SLUICE_URL", c.server(), err)}
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, c.statusError(resp)
}

// statusError turns a refusal into what to do about it.
func (c *apiClient) statusError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg, fromAPI := "", false
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg, fromAPI = e.Error, true
	} else if s := strings.TrimSpace(string(body)); s != "" {
		// Not sluice's JSON: a proxy's page, or not sluice at all.
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg = strconv.Quote(s)
	}
	status := resp.StatusCode
	switch status {
	case http.StatusUnauthorized:
		if c.token == "" {
			return &apiError{status: status, msg: fmt.Sprintf("sluice at %s wants an API token (401 Unauthorized): pass it with --token or $SLUICE_TOKEN", c.server())}
		}
		return &apiError{status: status, msg: fmt.Sprintf("sluice at %s did not accept the token given with --token or $SLUICE_TOKEN (401 Unauthorized): check it against the api auth of sluice's configuration", c.server())}
	case http.StatusNotFound:
		return &apiError{status: status, msg: fmt.Sprintf("%s has no sluice API at %s (404 Not Found%s): is --server the address of a sluice that keeps a store?", c.server(), resp.Request.URL.Path, suffix(msg))}
	case http.StatusBadRequest, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// The API's own words say what to do: which column of the query,
		// which parameter, that no store is configured, that the query took
		// too long.
		if fromAPI {
			return &apiError{status: status, msg: msg}
		}
	}
	return &apiError{status: status, msg: fmt.Sprintf("sluice at %s answered %s%s", c.server(), resp.Status, suffix(msg))}
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// searchPage is one page of GET /api/v1/search.
type searchPage struct {
	Events []json.RawMessage `json:"events"`
	Next   string            `json:"next"`
}

// maxPage is the largest page the API returns (store.MaxLimit); larger
// limits are fetched a page at a time.
const maxPage = 1000

// search returns up to limit events matching q, newest first, fetching as
// many pages as it takes.
func (c *apiClient) search(ctx context.Context, q, since, until string, limit int) ([]json.RawMessage, error) {
	var events []json.RawMessage
	cursor := ""
	for len(events) < limit {
		v := url.Values{}
		v.Set("q", q)
		if since != "" {
			v.Set("since", since)
		}
		if until != "" {
			v.Set("until", until)
		}
		v.Set("limit", strconv.Itoa(min(limit-len(events), maxPage)))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		resp, err := c.get(ctx, "search", v, "application/json")
		if err != nil {
			return nil, err
		}
		var page searchPage
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("cannot read the answer of %s: %v", c.server(), err)
		}
		events = append(events, page.Events...)
		if page.Next == "" || len(page.Events) == 0 {
			break
		}
		cursor = page.Next
	}
	if len(events) > limit {
		events = events[:limit]
	}
	return events, nil
}

// sseMessage is one Server-Sent Events message.
type sseMessage struct {
	event string // "" for the default ("message")
	data  []byte
	id    string // the event's id field: its position in the store
}

// sseReader reads messages from a text/event-stream
// (https://html.spec.whatwg.org/multipage/server-sent-events.html).
type sseReader struct {
	rd   *bufio.Reader
	data []byte
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{rd: bufio.NewReaderSize(r, 64<<10)}
}

// ready reports whether the next whole message is already at hand, so a
// caller can flush its output only when next would otherwise wait.
func (s *sseReader) ready() bool {
	b, _ := s.rd.Peek(s.rd.Buffered())
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n"))
}

// next returns the next message; activity is called for every line read,
// comments (keepalives) included. The message's data is valid until the
// next call.
func (s *sseReader) next(activity func()) (sseMessage, error) {
	var m sseMessage
	s.data = s.data[:0]
	hasData := false
	for {
		line, err := s.rd.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: an event with a long message.
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = s.rd.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
				if len(line) == 0 && !hasData {
					err = io.EOF
				}
			}
			return m, err
		}
		if activity != nil {
			activity()
		}
		line = trimEOL(line)
		if len(line) == 0 {
			if !hasData {
				m.event = ""
				continue
			}
			m.data = s.data
			return m, nil
		}
		if line[0] == ':' {
			continue // a comment: keepalive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			m.event = string(value)
		case "id":
			m.id = string(value)
		case "data":
			if hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			hasData = true
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// lineEvent is what a text line shows of an event. It is decoded leniently
// (unlike event.Event's UnmarshalJSON): a newer server may add keys.
type lineEvent struct {
	Time         string `json:"time"`
	Received     string `json:"received"`
	Severity     *int   `json:"severity"`
	SeverityName string `json:"severity_name"`
	Host         string `json:"host"`
	App          string `json:"app"`
	Proc         string `json:"proc"`
	Message      string `json:"message"`
	Group        string `json:"group"`
	Stream       string `json:"stream"`
}

// lineFormat writes events as lines, like `heroku logs`:
//
//	2026-11-21T10:00:00.123456+00:00 heroku/myapp app[web.1]: message
//	2026-11-21T10:00:01.000000+00:00 ERROR web01 nginx[812]: message
//	2026-11-21T10:00:02.000000+00:00 /aws/lambda/fn 2026/11/21/[$LATEST]abc: message
//
// The time is in the local zone (loc) with microseconds; the severity is
// shown when it is not info; then the group and who wrote the line: app and
// proc when the event has them (a Heroku dyno, a syslog program and pid),
// else its stream (a CloudWatch log stream).
type lineFormat struct {
	loc   *time.Location
	color bool
	json  bool
}

// ANSI colours by severity, indexed by event.Severity.
var severityColors = [8]string{
	"\x1b[1;31m", // emerg: bold red
	"\x1b[1;31m", // alert
	"\x1b[1;31m", // crit
	"\x1b[31m",   // error: red
	"\x1b[33m",   // warning: yellow
	"\x1b[36m",   // notice: cyan
	"",           // info: the terminal's own colour
	"\x1b[2m",    // debug: dim
}

const colorReset = "\x1b[0m"

// append appends the line for the event JSON raw (with a newline) to dst.
func (f *lineFormat) append(dst, raw []byte) ([]byte, error) {
	if f.json {
		dst = append(dst, raw...)
		return append(dst, '\n'), nil
	}
	var e lineEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return dst, fmt.Errorf("cannot read an event the server sent: %v", err)
	}
	sev := event.Info
	if e.Severity != nil && *e.Severity >= 0 && *e.Severity <= int(event.Debug) {
		sev = event.Severity(*e.Severity)
	} else if s, ok := event.ParseSeverity(e.SeverityName); ok {
		sev = s
	}
	color := ""
	if f.color {
		color = severityColors[sev]
	}
	dst = append(dst, f.formatTime(e)...)
	dst = append(dst, ' ')
	if color != "" {
		dst = append(dst, color...)
	}
	if sev != event.Info {
		dst = append(dst, strings.ToUpper(sev.String())...)
		dst = append(dst, ' ')
	}
	if who := origin(&e); who != "" {
		dst = appendClean(dst, who)
		dst = append(dst, ": "...)
	}
	dst = appendClean(dst, e.Message)
	if color != "" {
		dst = append(dst, colorReset...)
	}
	return append(dst, '\n'), nil
}

// formatTime is the event's time (when it happened, else when sluice
// received it) in the local zone with microseconds, as Heroku prints it.
func (f *lineFormat) formatTime(e lineEvent) string {
	for _, s := range []string{e.Time, e.Received} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.In(f.loc).Format("2006-01-02T15:04:05.000000-07:00")
		}
	}
	return "-"
}

// origin says where a line came from: "GROUP APP[PROC]" or "GROUP STREAM".
func origin(e *lineEvent) string {
	var who string
	switch {
	case e.App != "" && e.Proc != "":
		who = e.App + "[" + e.Proc + "]"
	case e.App != "":
		who = e.App
	case e.Stream != "" && e.Stream != e.Group:
		who = e.Stream
	case e.Proc != "":
		who = "[" + e.Proc + "]"
	}
	group := e.Group
	if group == "" {
		group = e.Host
	}
	switch {
	case group == "":
		return who
	case who == "":
		return group
	}
	return group + " " + who
}

// appendClean appends s with control characters other than tab and
// newline written as escapes: a log line must not be able to move the
// cursor, retitle the window or change colours of the user's terminal.
func appendClean(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != 0x7f && c < utf8.RuneSelf || c == '\t' || c == '\n' {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = fmt.Appendf(dst, `\x%02x`, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= 0x80 && r < 0xa0 { // C1 controls, e.g. CSI
			dst = fmt.Appendf(dst, `\u%04x`, r)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}
