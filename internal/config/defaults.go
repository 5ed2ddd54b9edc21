package config

import (
	"path/filepath"
)

// Default returns the configuration sluice runs with when there is no
// file (and no log-iss environment): HTTP on 127.0.0.1:${PORT:-8080}
// (loopback, so no auth is needed), data in ./sluice-data, a Logplex drain
// endpoint at /logs without auth, and every event written to
// ./sluice-data/events/{group}/{date}.ndjson by a file sink — until the
// embedded store is built, which will then keep them instead. env supplies
// PORT; nil is an empty environment.
//
// A syslog listener takes TCP and UDP on 127.0.0.1:${SYSLOG_PORT:-5514}.
func Default(env Env) *Config {
	if env == nil {
		env = noEnv
	}
	c := newConfig()
	// Cannot fail: the reference has a default.
	c.HTTP.Listen, _ = expand("127.0.0.1:${PORT:-"+DefaultPort+"}", env)
	c.Sources["logplex"] = Source{Type: SourceLogplex, Logplex: newLogplexSource()}
	syslogAddr, _ := expand("127.0.0.1:${SYSLOG_PORT:-5514}", env)
	sl := newSyslogSource()
	sl.Listen = []string{"tcp://" + syslogAddr, "udp://" + syslogAddr}
	c.Sources["syslog"] = Source{Type: SourceSyslog, Syslog: sl}
	events := newFileSink()
	events.Path = filepath.Join(c.DataDir, "events", "{group}", "{date}.ndjson")
	c.Sinks["events"] = Sink{Type: SinkFile, File: events}
	c.Subscriptions = []Subscription{newSubscription("events")}
	return c
}
