package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// LogIssVariable describes one environment variable of heroku/log-iss and
// what sluice makes of it.
type LogIssVariable struct {
	Name   string // the variable, e.g. "FORWARD_DEST"
	LogIss string // what log-iss does with it
	Sluice string // what FromLogIssEnv does with it
}

// LogIssVariables lists the environment variables FromLogIssEnv reads, for
// `sluice help`. Facts about log-iss are from its source
// (github.com/heroku/log-iss: cmd/forwarder/config.go, auth.go, fixer.go,
// forwarder.go, http.go; older: config.go, tokens.go at the root), which
// reads them with github.com/joeshaw/envdecode: a value that does not parse
// is silently ignored there, leaving the field's zero value. sluice refuses
// such values at start, naming the variable, the value and an example.
//
//	Variable                      log-iss                                  sluice
//	PORT                          required; listens on ":"+PORT             http.listen ":$PORT", every interface;
//	                              (every interface): POST /logs             must be a port 1–65535
//	FORWARD_DEST                  required; host:port of the syslog         sink "forward": syslog, address
//	                              server logs are forwarded to over TCP     tcp://FORWARD_DEST, format logiss
//	PEMFILE                       PEM CA bundle: forward over TLS           address tls://…, tls.ca_file; fails at
//	                              trusting only these CAs (RootCAs)         start if unreadable or without certs
//	FORWARD_DEST_CONNECT_TIMEOUT  Go duration, default 10s; "10" is         connect_timeout (TLS too); must be a
//	                              silently no timeout at all; unused        positive duration: "10" fails
//	                              with PEMFILE (tls.Dial has none)
//	FORWARD_COUNT                 connections, default 4; "four" is         connections; must be 1–1024
//	                              silently 0 (nothing is ever forwarded)
//	TOKEN_MAP                     user:token pairs split on | (README:      auth "log-iss" (basic, a user may have
//	                              ","); a user may repeat (rotation)        several tokens); | or , accepted
//	HMAC_KEY                      tokens are compared as HMAC-SHA512s       accepted, no effect: tokens come from
//	                              under this key (so Redis holds HMACs)     TOKEN_MAP in plain text anyway
//	ENFORCE_SSL                   true: 400 unless X-Forwarded-Proto is     logplex enforce_https; must be 1, 0,
//	                              https ("yes" is silently false)           true or false
//	DEPLOY                        names the deployment in log-iss's own     log.attrs.deploy
//	                              log lines (required there)
//	METADATA_ID                   SD-ID of an element [ID index= source=    logplex metadata_id with query_params
//	                              sourcetype= fields=] built from the       index, source, sourcetype
//	                              drain URL's query parameters
//	LOG_ISS_FIELD_PARAMS          more query parameters, packed into        logplex field_params (split on , or ;);
//	                              fields="k=v,…" of that element            without METADATA_ID it fails
//	LOG_ISS_QUERY_PARAMS          not read by any log-iss version found:    replaces query_params (split on , or ;);
//	                              index, source, sourcetype are fixed       without METADATA_ID it fails
//	LOG_ISS_DEBUG                 debug logging                             log.level debug; 1, 0, true or false
//	REDIS_URL, REDIS_KEY,         credentials (HMACs) in a Redis hash,      not supported: fails at start; put the
//	CREDENTIAL_REFRESH_INTERVAL   refreshed every minute                    tokens in TOKEN_MAP or users_file
//	LIBRATO_OWNER, LIBRATO_TOKEN, metrics sent to Librato                   not supported: fails at start; metrics
//	LIBRATO_SOURCE                                                          are served at /metrics (Prometheus)
//	VALID_TOKEN_USER,             log a sample of requests by users other   not supported: fails at start
//	TOKEN_USER_SAMPLE_PCT         than VALID_TOKEN_USER                     (TOKEN_USER_SAMPLE_PCT=0 is the no-op)
//	DYNO                          suffix of the Librato source              ignored (Heroku sets it)
//	SLUICE_INSECURE               —                                         true: accept drains without
//	                                                                        credentials when TOKEN_MAP is unset
//
// As log-iss does, sluice believes X-Forwarded-For and X-Forwarded-Proto
// from any client in this mode (http.trusted_proxies 0.0.0.0/0 and ::/0):
// on Heroku only the router can reach a dyno. Elsewhere, use a
// configuration file and list the real proxies.
func LogIssVariables() []LogIssVariable {
	return []LogIssVariable{
		{"PORT", "required; listens on \":\"+PORT, every interface", "http.listen \":$PORT\"; must be a port 1–65535"},
		{"FORWARD_DEST", "required; host:port of the syslog server logs are forwarded to over TCP", "sink \"forward\": syslog, address tcp://FORWARD_DEST, format logiss"},
		{"PEMFILE", "PEM CA bundle: forward over TLS trusting only these CAs", "address tls://…, tls.ca_file; fails at start if unreadable or without certificates"},
		{"FORWARD_DEST_CONNECT_TIMEOUT", "Go duration, default 10s; an invalid value such as \"10\" silently means no timeout; unused with PEMFILE", "connect_timeout (TLS too); must be a positive duration such as 10s"},
		{"FORWARD_COUNT", "connections, default 4; an invalid value silently means 0 (nothing is forwarded)", "connections; must be 1–1024"},
		{"TOKEN_MAP", "user:token pairs separated by | (the README says ,); a user may repeat", "auth \"log-iss\" of type basic; | or , accepted; required unless SLUICE_INSECURE=true"},
		{"HMAC_KEY", "tokens are compared as HMAC-SHA512s under this key, so the Redis store holds HMACs", "accepted, no effect"},
		{"ENFORCE_SSL", "true: 400 unless X-Forwarded-Proto is https; an invalid value silently means false", "logplex enforce_https; must be 1, 0, true or false"},
		{"DEPLOY", "names the deployment in log-iss's own log lines", "log.attrs.deploy"},
		{"METADATA_ID", "SD-ID of the element built from the drain URL's index, source, sourcetype query parameters", "logplex metadata_id, query_params [index, source, sourcetype]"},
		{"LOG_ISS_FIELD_PARAMS", "more query parameters, packed into fields=\"k=v,…\" of that element", "logplex field_params (split on , or ;); needs METADATA_ID"},
		{"LOG_ISS_QUERY_PARAMS", "not read by any log-iss version found; the query parameters are fixed", "replaces query_params (split on , or ;); needs METADATA_ID"},
		{"LOG_ISS_DEBUG", "debug logging", "log.level debug; must be 1, 0, true or false"},
		{"REDIS_URL", "Redis holding credentials", "not supported: fails at start"},
		{"REDIS_KEY", "the Redis hash of credentials", "not supported: fails at start"},
		{"CREDENTIAL_REFRESH_INTERVAL", "how often credentials are read from Redis", "not supported: fails at start"},
		{"LIBRATO_OWNER", "Librato metrics account", "not supported: fails at start; see /metrics"},
		{"LIBRATO_TOKEN", "Librato metrics token", "not supported: fails at start; see /metrics"},
		{"LIBRATO_SOURCE", "Librato metrics source", "not supported: fails at start; see /metrics"},
		{"VALID_TOKEN_USER", "requests by other users are logged (sampled)", "not supported: fails at start"},
		{"TOKEN_USER_SAMPLE_PCT", "percentage of those requests logged", "not supported: fails at start unless 0"},
		{"DYNO", "suffix of the Librato source", "ignored"},
		{"SLUICE_INSECURE", "—", "true: accept drains without credentials when TOKEN_MAP is unset"},
	}
}

// Names used by the log-iss configuration.
const (
	logIssAuth = "log-iss"
	logIssSink = "forward"
)

// FromLogIssEnv builds a configuration from heroku/log-iss's environment
// variables, so that sluice can replace log-iss without other changes: a
// Logplex drain endpoint at /logs on :$PORT with TOKEN_MAP's credentials,
// forwarding every frame to FORWARD_DEST as log-iss does (format logiss).
// See LogIssVariables for every variable.
//
// ok is false, with a nil error, when FORWARD_DEST is not set: the
// environment is not a log-iss one. Otherwise err joins every problem
// found, each naming the variable, its value (never a secret's) and an
// example.
func FromLogIssEnv(env Env) (cfg *Config, ok bool, err error) {
	if env == nil {
		env = noEnv
	}
	dest, set := env("FORWARD_DEST")
	if !set {
		return nil, false, nil
	}
	get := func(name string) string {
		v, _ := env(name)
		return v
	}
	var errs []error
	bad := func(name, value, problem, example string) {
		errs = append(errs, fmt.Errorf("cannot use %s=%q: %s; e.g. %s", name, value, problem, example))
	}
	need := func(name, why, example string) {
		errs = append(errs, fmt.Errorf("cannot run as log-iss without %s: %s; e.g. %s", name, why, example))
	}

	cfg = newConfig()

	port := get("PORT")
	switch {
	case port == "":
		need("PORT", "it is the port to listen on, on every interface, as log-iss does", "PORT=5000")
	case !validPort(port):
		bad("PORT", port, "want a port number from 1 to 65535", "PORT=5000")
	}
	cfg.HTTP.Listen = ":" + port
	// log-iss takes X-Forwarded-For and X-Forwarded-Proto from anyone.
	cfg.HTTP.TrustedProxies = []string{"0.0.0.0/0", "::/0"}

	sink := newSyslogSink()
	sink.Format = "logiss"
	sink.ConnectTimeout = Duration(10 * time.Second) // log-iss's default
	if dest == "" {
		need("FORWARD_DEST", "it is the host:port of the syslog server to forward to", "FORWARD_DEST=logs.example.com:6514")
	} else if host, p, err := net.SplitHostPort(dest); err != nil || host == "" || !validPort(p) || strings.Contains(dest, "://") {
		bad("FORWARD_DEST", dest, "want host:port of the syslog server, without a scheme", "FORWARD_DEST=logs.example.com:6514")
	}
	scheme := "tcp"
	if pem := get("PEMFILE"); pem != "" {
		scheme = "tls"
		sink.TLS = &ClientTLSConfig{CAFile: pem}
		if err := checkCAFile(pem); err != nil {
			errs = append(errs, fmt.Errorf("cannot use PEMFILE=%q: %v; e.g. PEMFILE=/etc/ssl/certs/logs-ca.pem", pem, err))
		}
	}
	sink.Address = scheme + "://" + dest
	if v := get("FORWARD_DEST_CONNECT_TIMEOUT"); v != "" {
		d, err := ParseDuration(v)
		_, numErr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		switch {
		case err != nil && numErr == nil:
			bad("FORWARD_DEST_CONNECT_TIMEOUT", v, "a duration needs a unit (log-iss silently read this as no timeout at all; its oldest versions as seconds)", "FORWARD_DEST_CONNECT_TIMEOUT=10s")
		case err != nil:
			bad("FORWARD_DEST_CONNECT_TIMEOUT", v, "want a Go duration", "FORWARD_DEST_CONNECT_TIMEOUT=10s")
		case d <= 0:
			bad("FORWARD_DEST_CONNECT_TIMEOUT", v, "want a positive duration", "FORWARD_DEST_CONNECT_TIMEOUT=10s")
		default:
			sink.ConnectTimeout = d
		}
	}
	if v := get("FORWARD_COUNT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			bad("FORWARD_COUNT", v, "want a number of connections from 1 to 1024 (log-iss silently used 0 for a value it could not read, and forwarded nothing)", "FORWARD_COUNT=4")
		} else {
			sink.Connections = n
		}
	}
	cfg.Sinks[logIssSink] = Sink{Type: SinkSyslog, Syslog: sink}
	cfg.Subscriptions = []Subscription{newSubscription(logIssSink)}

	src := newLogplexSource()
	// The logiss format rewrites each frame as received: keep it.
	src.KeepRaw = true
	insecure := false
	if v := get("SLUICE_INSECURE"); v != "" {
		b, ok := strictBool(v)
		if !ok {
			bad("SLUICE_INSECURE", v, "want 1, 0, true or false", "SLUICE_INSECURE=true")
		}
		insecure = b
	}
	if tm := get("TOKEN_MAP"); tm != "" {
		users, err := parseTokenMap(tm)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Auth[logIssAuth] = Auth{Type: AuthBasic, Users: users}
		src.Auth = logIssAuth
	} else if insecure {
		cfg.HTTP.Insecure = true
	} else {
		need("TOKEN_MAP", "it holds the user:token pairs drains authenticate with, and log-iss mode listens on every interface; to accept drains without credentials set SLUICE_INSECURE=true", "TOKEN_MAP=drain:s3cret|other:t0ken")
	}
	if v := get("ENFORCE_SSL"); v != "" {
		b, ok := strictBool(v)
		if !ok {
			bad("ENFORCE_SSL", v, "want 1, 0, true or false (log-iss silently read other values as false)", "ENFORCE_SSL=true")
		}
		src.EnforceHTTPS = b
	}
	id, fieldParams, queryParams := get("METADATA_ID"), get("LOG_ISS_FIELD_PARAMS"), get("LOG_ISS_QUERY_PARAMS")
	if id != "" {
		if !validSDName(id) {
			bad("METADATA_ID", id, "want an RFC 5424 SD-ID: 1 to 32 printable ASCII characters other than '=', ' ', ']' and '\"'", "METADATA_ID=meta@53595")
		}
		src.MetadataID = id
		src.QueryParams = []string{"index", "source", "sourcetype"}
		if queryParams != "" {
			src.QueryParams = splitList(queryParams)
		}
		src.FieldParams = splitList(fieldParams)
		if err := src.Validate(); err != nil {
			for _, e := range Errors(err) {
				if strings.HasPrefix(e.Path, "query_params") || strings.HasPrefix(e.Path, "field_params") {
					errs = append(errs, fmt.Errorf("cannot use LOG_ISS_QUERY_PARAMS=%q, LOG_ISS_FIELD_PARAMS=%q: %v", queryParams, fieldParams, e.Err))
				}
			}
		}
	} else {
		for _, name := range []string{"LOG_ISS_FIELD_PARAMS", "LOG_ISS_QUERY_PARAMS"} {
			if v := get(name); v != "" {
				bad(name, v, "query parameters are copied into the structured-data element METADATA_ID names, and it is not set (log-iss silently ignored them)", "METADATA_ID=meta@53595")
			}
		}
	}
	cfg.Sources["logplex"] = Source{Type: SourceLogplex, Logplex: src}

	if v := get("LOG_ISS_DEBUG"); v != "" {
		b, ok := strictBool(v)
		if !ok {
			bad("LOG_ISS_DEBUG", v, "want 1, 0, true or false", "LOG_ISS_DEBUG=true")
		}
		if b {
			cfg.Log.Level = "debug"
		}
	}
	if v := get("DEPLOY"); v != "" {
		cfg.Log.Attrs = map[string]string{"deploy": v}
	}
	// HMAC_KEY is accepted: with the tokens in TOKEN_MAP it has no effect.

	for _, u := range []struct{ names, why string }{
		{"REDIS_URL REDIS_KEY CREDENTIAL_REFRESH_INTERVAL", "sluice has no Redis credential store; put the tokens in TOKEN_MAP, or use a configuration file with users_file"},
		{"LIBRATO_OWNER LIBRATO_TOKEN LIBRATO_SOURCE", "sluice does not send metrics to Librato; it serves them at /metrics for Prometheus"},
		{"VALID_TOKEN_USER", "sluice does not sample requests by user; unset it"},
	} {
		for _, name := range strings.Fields(u.names) {
			if get(name) != "" {
				errs = append(errs, fmt.Errorf("cannot use %s: %s", name, u.why))
			}
		}
	}
	if v := get("TOKEN_USER_SAMPLE_PCT"); v != "" && v != "0" {
		errs = append(errs, fmt.Errorf("cannot use TOKEN_USER_SAMPLE_PCT=%q: sluice does not sample requests by user; unset it", v))
	}

	if len(errs) == 0 {
		if err := cfg.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("cannot build a configuration from the log-iss environment: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, true, errors.Join(errs...)
	}
	return cfg, true, nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// strictBool reads 1, 0, true or false (any case).
func strictBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// splitList splits a list written as "a,b" or "a;b" (envdecode's
// separator), dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseTokenMap reads TOKEN_MAP: user:token pairs separated by | (what
// log-iss's code does) or, when there is no |, by , (what its README
// says). A token may contain ':'; with | it may contain ','. A user may
// appear more than once, with one token each (rotation). Errors never show
// a token.
func parseTokenMap(s string) (map[string]Secrets, error) {
	sep := "|"
	if !strings.Contains(s, "|") {
		sep = ","
	}
	entries := strings.Split(s, sep)
	users := map[string]Secrets{}
	for i, e := range entries {
		user, token, ok := strings.Cut(e, ":")
		if !ok || user == "" || token == "" {
			hint := ""
			if sep == "," && strings.Contains(s, ",") {
				hint = " (if a token contains ',', separate the pairs with | instead)"
			}
			return nil, fmt.Errorf("cannot use TOKEN_MAP: pair %d of %d is not user:token%s; the value is not shown as it holds secrets; e.g. TOKEN_MAP=drain:s3cret|other:t0ken", i+1, len(entries), hint)
		}
		users[user] = append(users[user], Secret(token))
	}
	return users, nil
}
