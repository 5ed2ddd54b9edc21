package config

import (
	"path/filepath"
)

// Default returns the configuration sluice runs with when there is no
// file (and no log-iss environment): HTTP on 127.0.0.1:${PORT:-8080}
// (loopback, so no auth is needed), data in ./sluice-data, a Logplex drain
// endpoint at /logs without auth, and every event kept in the embedded
// store (./sluice-data/store, a week), which the API, `sluice tail`,
// `sluice search` and the web UI at / read. env supplies PORT; nil is an
// empty environment.
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
	st := Sink{}
	st.choose(SinkStore)
	st.Store.Dir = filepath.Join(c.DataDir, "store")
	c.Sinks["store"] = st
	c.Subscriptions = []Subscription{newSubscription("store")}
	return c
}
