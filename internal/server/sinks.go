package server

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelog/sluice/internal/config"
	"github.com/sluicelog/sluice/internal/pipeline"
	"github.com/sluicelog/sluice/internal/route"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/elasticsearch"
	"github.com/sluicelog/sluice/internal/sink/file"
	httpsink "github.com/sluicelog/sluice/internal/sink/http"
	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
	"github.com/sluicelog/sluice/internal/sink/slack"
	sinksyslog "github.com/sluicelog/sluice/internal/sink/syslog"
	"github.com/sluicelog/sluice/internal/store"
)

// newSink builds the sink a subscription delivers to, and says how many
// batches may be in flight to it at once.
func (s *Server) newSink(name string, sk config.Sink) (sink.Sink, int, error) {
	logger := s.logger.With("sink", name)
	switch sk.Type {
	case config.SinkSyslog:
		c := sk.Syslog
		sc := sinksyslog.Config{
			Address:        c.Address,
			Connections:    c.Connections,
			Format:         sinksyslog.Format(c.Format),
			ConnectTimeout: c.ConnectTimeout.Std(),
			WriteTimeout:   c.WriteTimeout.Std(),
		}
		if sc.Format == sinksyslog.FormatLogISS {
			// log-iss writes the drain URL's query parameters as the
			// element the Logplex source records them under.
			sc.MetadataID = s.metadataID()
		}
		if c.TLS != nil {
			sc.CAFile, sc.CertFile, sc.KeyFile = c.TLS.CAFile, c.TLS.CertFile, c.TLS.KeyFile
			sc.ServerName, sc.InsecureSkipVerify = c.TLS.ServerName, c.TLS.InsecureSkipVerify
		}
		out, err := sinksyslog.New(sc, logger)
		return out, 1, err
	case config.SinkFile:
		fc := sk.File.SinkConfig()
		fc.Logger = logger
		out, err := file.New(fc)
		return out, 1, err
	case config.SinkSlack:
		// One worker: Slack takes one message per second per webhook.
		out, err := slack.New(sk.Slack.SinkConfig(), logger)
		return out, 1, err
	case config.SinkHTTP:
		hc, err := sk.HTTP.SinkConfig()
		if err != nil {
			return nil, 0, err
		}
		// Two requests in flight: Write is safe for concurrent use.
		out, err := httpsink.New(hc)
		return out, 2, err
	case config.SinkElasticsearch:
		// Two requests in flight: Write is safe for concurrent use.
		out, err := elasticsearch.New(sk.Elasticsearch.SinkConfig(), logger)
		return out, 2, err
	case config.SinkStore:
		c := sk.Store
		st, err := store.Open(store.Config{Dir: c.Dir, Retention: c.Retention.Std(), MaxBytes: int64(c.MaxBytes),
			QueryTimeout: c.QueryTimeout.Std(), Logger: logger})
		if err != nil {
			return nil, 0, err
		}
		// The API and the web UI read it; one writer (SQLite has one).
		s.store = st
		return st, 1, nil
	}
	return nil, 0, fmt.Errorf("sink type %q is not built yet in this version of sluice", sk.Type)
}

// subscriptionRoute builds the subscription's where rule, pattern and
// transforms; nil when it has none. Its counts are exported as metrics.
func (s *Server) subscriptionRoute(sub config.Subscription) (sinkhelper.Route, error) {
	if sub.Where == "" && sub.Pattern == "" && len(sub.Transforms) == 0 {
		return nil, nil
	}
	chain, err := sub.Chain()
	if err != nil {
		return nil, err
	}
	s.registerChain("subscription", sub.Name, chain)
	return chain, nil
}

// sourceIngester returns what a source hands its events to: the pipeline,
// behind the source's rules when it has any.
func (s *Server) sourceIngester(name string, src config.Source) (pipeline.Ingester, error) {
	rules := src.TransformRules()
	if len(rules) == 0 {
		return s.pipe, nil
	}
	chain, err := config.NewChain("", "", rules)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	s.registerChain("source", name, chain)
	return pipeline.NewRulesIngester(s.pipe, chain, nil), nil
}

// registerChain exports what a chain filtered, dropped and failed on:
// sluice_rules_events_total{kind=source|subscription, name, step, outcome}.
func (s *Server) registerChain(kind, name string, chain *route.Chain) {
	desc := prometheus.NewDesc("sluice_rules_events_total",
		"Events a source's rules or a subscription's where, pattern and transforms filtered out (outcome filtered), dropped (dropped) or failed on without dropping (error), by step.",
		[]string{"step", "outcome"}, prometheus.Labels{"kind": kind, "name": name})
	s.reg.MustRegister(chainCollector{desc: desc, chain: chain})
}

type chainCollector struct {
	desc  *prometheus.Desc
	chain *route.Chain
}

func (c chainCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c chainCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.chain.Stats()
	counter := func(v uint64, step, outcome string) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(v), step, outcome)
	}
	counter(st.Where, "where", "filtered")
	counter(st.WhereErrors, "where", "error")
	counter(st.Pattern, "pattern", "filtered")
	for _, t := range st.Transforms {
		step := fmt.Sprintf("%d:%s", t.Index, t.Kind)
		counter(t.Dropped, step, "dropped")
		counter(t.Errors, step, "error")
	}
}
