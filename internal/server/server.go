// Package server builds a running sluice from a configuration: the
// write-ahead log, the pipeline sources ingest through, the HTTP listener
// with its sources, health and metrics, and one delivery loop per
// subscription — and takes them down in order on shutdown.
//
// Shutdown order: the HTTP listener drains (new requests get 503 with
// Connection: close, in-flight requests finish and are fsynced), the
// pipeline refuses further input, subscriptions stop (batches in flight are
// not acknowledged and are delivered again after a restart), sinks close,
// cursors and the log close.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sluicelog/sluice/internal/api"
	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/config"
	"github.com/sluicelog/sluice/internal/parse"
	"github.com/sluicelog/sluice/internal/parse/severity"
	"github.com/sluicelog/sluice/internal/pipeline"
	"github.com/sluicelog/sluice/internal/sink"
	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
	cwsource "github.com/sluicelog/sluice/internal/source/cloudwatch"
	"github.com/sluicelog/sluice/internal/source/firehose"
	"github.com/sluicelog/sluice/internal/source/ingest"
	"github.com/sluicelog/sluice/internal/source/logplex"
	syslogsource "github.com/sluicelog/sluice/internal/source/syslog"
	"github.com/sluicelog/sluice/internal/store"
	"github.com/sluicelog/sluice/internal/wal"
	"github.com/sluicelog/sluice/internal/web"
)

// Server is a configured sluice, ready to Run.
type Server struct {
	cfg    *config.Config
	logger *slog.Logger
	reg    *prometheus.Registry
	log    *wal.Log
	pipe   *pipeline.Pipeline
	http   *HTTP
	subs   []*subscription
	ln     net.Listener
	// listeners are sources with their own sockets (syslog).
	listeners []*syslogsource.Source
	// store is the store sink's store (nil without one): the API and the
	// web UI read it. Its subscription closes it.
	store *store.Store
}

type subscription struct {
	name string
	cur  *wal.Cursor
	sink sink.Sink
	cfg  sinkhelper.Config
}

// New builds everything the configuration describes and opens the log and
// the HTTP listener; nothing is served until Run. On error, everything
// opened so far is closed again.
func New(cfg *config.Config, logger *slog.Logger) (_ *Server, err error) {
	s := &Server{cfg: cfg, logger: logger, reg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	walDir := filepath.Join(cfg.DataDir, "wal")
	s.log, err = wal.Open(wal.Options{
		Dir:          walDir,
		MaxBytes:     int64(cfg.WAL.MaxBytes),
		SegmentBytes: int64(cfg.WAL.SegmentBytes),
		Logger:       logger.With("component", "wal"),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot open the write-ahead log in %s: %w", walDir, err)
	}
	s.registerWALMetrics()
	s.pipe = pipeline.New(s.log, s.reg)

	s.http = NewHTTP(HTTPOptions{
		Listen:        cfg.HTTP.Listen,
		ReadTimeout:   noLimit(cfg.HTTP.ReadTimeout),
		WriteTimeout:  noLimit(cfg.HTTP.WriteTimeout),
		IdleTimeout:   noLimit(cfg.HTTP.IdleTimeout),
		ShutdownGrace: noLimit(cfg.HTTP.ShutdownGrace),
	}, s.reg, logger.With("component", "http"))
	if cfg.HTTP.TLS != nil {
		s.http.opts.TLSCertFile, s.http.opts.TLSKeyFile = cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile
		s.http.opts.TLSClientCAFile = cfg.HTTP.TLS.ClientCAFile
	}
	s.http.AddReadinessCheck(func() error {
		// Not ready a little before the cap: a batch that does not fit is
		// refused even when some bytes are left.
		st := s.log.Stats()
		if st.MaxBytes > 0 && st.Bytes >= st.MaxBytes/100*95 {
			return fmt.Errorf("the write-ahead log is full (%d of %d bytes): subscribers are behind", st.Bytes, st.MaxBytes)
		}
		return nil
	})

	var errs []error
	for _, name := range sortedKeys(cfg.Sources) {
		if err := s.addSource(name, cfg.Sources[name]); err != nil {
			errs = append(errs, fmt.Errorf("sources.%s: %w", name, err))
		}
	}
	sinks := map[string]config.Sink{}
	for name, sk := range cfg.Sinks {
		sinks[name] = sk
	}
	metrics := sinkhelper.NewMetrics(s.reg)
	dead := &sinkhelper.DeadLetterDir{Dir: filepath.Join(cfg.DataDir, "deadletter")}
	for i, sub := range cfg.Subscriptions {
		if err := s.addSubscription(sub, sinks[sub.Sink], metrics, dead); err != nil {
			errs = append(errs, fmt.Errorf("subscriptions[%d] (%s): %w", i, sub.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := s.addReadAPI(); err != nil {
		return nil, err
	}
	if err := s.dropStaleCursors(); err != nil {
		return nil, err
	}
	if s.ln, err = s.http.Listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// noLimit maps a configured 0 ("no limit") to HTTPOptions' NoLimit.
func noLimit(d config.Duration) time.Duration {
	if d == 0 {
		return NoLimit
	}
	return d.Std()
}

// Addr is the address the HTTP listener is bound to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

func (s *Server) addSource(name string, src config.Source) error {
	ing, err := s.sourceIngester(name, src)
	if err != nil {
		return err
	}
	switch src.Type {
	case config.SourceLogplex:
		c := src.Logplex
		mode, err := severity.ParseMode(c.Severity)
		if err != nil {
			return err
		}
		proxies, err := parsePrefixes(s.cfg.HTTP.TrustedProxies)
		if err != nil {
			return err
		}
		lc := logplex.Config{
			Path:           c.Path,
			EnforceHTTPS:   c.EnforceHTTPS,
			MaxBodyBytes:   int64(c.MaxBodyBytes),
			KeepRaw:        c.KeepRaw,
			TrustedProxies: proxies,
			DrainNames:     c.DrainNames,
			DedupeWindow:   c.DedupeWindow.Std(),
			Enricher:       parse.Enricher{Severity: mode},
			MetadataID:     c.MetadataID,
			QueryParams:    c.QueryParams,
			FieldParams:    c.FieldParams,
		}
		if c.DedupeWindow == 0 {
			lc.DedupeWindow = -1 // configured 0: keep duplicates
		}
		if c.Auth != "" {
			lc.Users = basicUsers(s.cfg.Auth[c.Auth])
		}
		h, err := logplex.New(lc, ing, s.reg, s.logger.With("source", name))
		if err != nil {
			return err
		}
		s.http.Handle(h.Path(), h)
		s.logger.Info("source ready", "source", name, "type", src.Type, "path", h.Path(), "auth", c.Auth != "")
		return nil
	case config.SourceSyslog:
		c := src.Syslog
		mode, err := severity.ParseMode(c.Severity)
		if err != nil {
			return err
		}
		sc := syslogsource.Config{
			Listen:          c.Listen,
			AllowedClients:  c.AllowedClients,
			MaxMessageBytes: int(c.MaxMessageBytes),
			MaxConnections:  c.MaxConnections,
			IdleTimeout:     c.IdleTimeout.Std(),
			UDPReadBuffer:   int(c.UDPReadBuffer),
			Enricher:        parse.Enricher{Severity: mode},
			GroupFrom:       c.Group,
			StreamFrom:      c.Stream,
		}
		if c.TLS != nil {
			if sc.TLS, err = serverTLS(c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile); err != nil {
				return err
			}
		}
		src, err := syslogsource.New(sc, ing, s.reg, s.logger.With("source", name))
		if err != nil {
			return err
		}
		// Bind now, so that a taken port stops sluice at start.
		if err := src.Start(context.Background()); err != nil {
			return err
		}
		s.listeners = append(s.listeners, src)
		s.logger.Info("source ready", "source", name, "type", "syslog", "listen", fmt.Sprint(src.Addrs()))
		return nil
	case config.SourceFirehose:
		c := src.Firehose
		mode, err := severity.ParseMode(c.Severity)
		if err != nil {
			return err
		}
		set := auth.NewFirehoseKeys(name, secretStrings(c.AccessKeys), nil)
		if c.Auth != "" {
			set = s.authSet(c.Auth)
		}
		h, err := firehose.New(firehose.Config{Path: c.Path, Auth: set, Region: c.Region, MaxBodyBytes: int64(c.MaxBodyBytes),
			Enricher: parse.Enricher{Severity: mode}}, ing, s.reg, s.logger.With("source", name))
		if err != nil {
			return err
		}
		s.http.Handle(h.Path(), h)
		s.logger.Info("source ready", "source", name, "type", src.Type, "path", h.Path())
		return nil
	case config.SourceCloudWatch:
		c := src.CloudWatch
		mode, err := severity.ParseMode(c.Severity)
		if err != nil {
			return err
		}
		h, err := cwsource.New(cwsource.Config{Path: c.Path, Auth: s.authSet(c.Auth), Region: c.Region, MaxBodyBytes: int64(c.MaxBodyBytes),
			Enricher: parse.Enricher{Severity: mode}}, ing, s.reg, s.logger.With("source", name))
		if err != nil {
			return err
		}
		s.http.Handle(h.Path(), h)
		s.logger.Info("source ready", "source", name, "type", src.Type, "path", h.Path(), "auth", c.Auth != "")
		return nil
	case config.SourceIngest:
		c := src.Ingest
		mode, err := severity.ParseMode(c.Severity)
		if err != nil {
			return err
		}
		h, err := ingest.New(ingest.Config{Path: c.Path, Auth: s.authSet(c.Auth), MaxBodyBytes: int64(c.MaxBodyBytes),
			Enricher: parse.Enricher{Severity: mode}}, ing, s.reg, s.logger.With("source", name))
		if err != nil {
			return err
		}
		// POST PATH/<group> names the group.
		s.http.Handle(h.Path(), h)
		s.http.Handle(strings.TrimSuffix(h.Path(), "/")+"/", h)
		s.logger.Info("source ready", "source", name, "type", src.Type, "path", h.Path(), "auth", c.Auth != "")
		return nil
	}
	return fmt.Errorf("type %q is not built yet in this version of sluice", src.Type)
}

// authSet builds the credential set a source's auth names; nil (open) for
// an empty name.
func (s *Server) authSet(name string) *auth.Set {
	if name == "" {
		return nil
	}
	a := s.cfg.Auth[name]
	switch a.Type {
	case config.AuthBasic:
		return auth.NewBasic(name, basicUsers(a), a.Groups)
	case config.AuthBearer:
		return auth.NewBearer(name, secretStrings(a.Tokens), a.Groups)
	case config.AuthFirehoseKey:
		return auth.NewFirehoseKeys(name, secretStrings(a.Keys), a.Groups)
	}
	return nil
}

func secretStrings(secrets []config.Secret) []string {
	out := make([]string, len(secrets))
	for i, sec := range secrets {
		out[i] = string(sec)
	}
	return out
}

// basicUsers lists each basic-auth user's passwords; several passwords let
// an old and a new one work during rotation.
func basicUsers(a config.Auth) map[string][]string {
	users := make(map[string][]string, len(a.Users))
	for user, secrets := range a.Users {
		for _, sec := range secrets {
			users[user] = append(users[user], string(sec))
		}
	}
	return users
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		if strings.Contains(p, "/") {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				return nil, fmt.Errorf("http.trusted_proxies: %w", err)
			}
			out = append(out, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("http.trusted_proxies: %w", err)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (s *Server) addSubscription(sub config.Subscription, sk config.Sink, metrics *sinkhelper.Metrics, dead sinkhelper.DeadLetter) error {
	out, workers, err := s.newSink(sub.Sink, sk)
	if err != nil {
		return err
	}
	rt, err := s.subscriptionRoute(sub)
	if err != nil {
		out.Close()
		return err
	}
	maxAge := sub.Batch.MaxAge.Std()
	if sk.Type == config.SinkStore && sub.Batch.MaxAge == config.DefaultBatchAge {
		// Live tail shows events once stored: keep it within a second.
		maxAge = storeBatchAge
	}
	if sk.Type == config.SinkSlack {
		// One batch is one digest window.
		maxAge = sk.Slack.Window.Std()
	}
	known := false
	for _, c := range s.log.Stats().Cursors {
		known = known || c.Name == sub.Name
	}
	cur, err := s.log.OpenCursor(sub.Name)
	if err != nil {
		out.Close()
		return err
	}
	if !known && sub.Start == "newest" {
		// A new subscription that wants only what arrives from now on
		// starts past everything already in the log.
		if last := s.log.Stats().LastSeq; last > 0 {
			if err := cur.Ack(last); err != nil {
				cur.Close()
				out.Close()
				return err
			}
			cur.Rewind()
		}
	}
	sinkhelper.RegisterLag(s.reg, sub.Name, cur)
	s.subs = append(s.subs, &subscription{name: sub.Name, cur: cur, sink: out, cfg: sinkhelper.Config{
		Name:         sub.Name,
		MaxEvents:    sub.Batch.MaxEvents,
		MaxBytes:     int(sub.Batch.MaxBytes),
		MaxAge:       maxAge,
		RetryInitial: sub.Retry.Initial.Std(),
		RetryMax:     sub.Retry.Max.Std(),
		Workers:      workers,
		Route:        rt,
		DeadLetter:   dead,
		Metrics:      metrics,
		Logger:       s.logger, // sinkhelper names the subscription in each record
	}})
	return nil
}

// storeBatchAge is the batch age of a subscription to the store that does
// not set one.
const storeBatchAge = 200 * time.Millisecond

// addReadAPI serves the query API at /api/v1/ (503s without a store) and
// the web UI at /, both behind api.auth.
func (s *Server) addReadAPI() error {
	set := s.authSet(s.cfg.API.Auth)
	s.http.Handle(api.Prefix, api.RequireAuth(set, api.New(api.Config{
		Store:   s.store,
		Closing: s.http.Closing(),
		Logger:  s.logger.With("component", "api"),
	})))
	ui, err := web.New(web.Config{Store: s.store, Logger: s.logger.With("component", "web")})
	if err != nil {
		return fmt.Errorf("cannot build the web UI: %w", err)
	}
	s.http.Handle("/", api.RequireAuth(set, ui))
	return nil
}

// metadataID is the metadata_id of the Logplex sources (the first, by name,
// that sets one), which logiss-format sinks write back out.
func (s *Server) metadataID() string {
	for _, name := range sortedKeys(s.cfg.Sources) {
		if src := s.cfg.Sources[name]; src.Type == config.SourceLogplex && src.Logplex.MetadataID != "" {
			return src.Logplex.MetadataID
		}
	}
	return ""
}

// dropStaleCursors deletes the cursors of subscriptions that are no longer
// configured: a cursor holds every segment it has not passed, so a
// forgotten one would fill the log and stop all input.
func (s *Server) dropStaleCursors() error {
	configured := map[string]bool{}
	for _, sub := range s.cfg.Subscriptions {
		configured[sub.Name] = true
	}
	for _, c := range s.log.Stats().Cursors {
		if configured[c.Name] || c.Open {
			continue
		}
		s.logger.Warn("deleting the cursor of a subscription that is no longer configured; the events it had not delivered are no longer kept for it",
			"subscription", c.Name, "undelivered", c.Lag)
		if err := s.log.DeleteCursor(c.Name); err != nil {
			return fmt.Errorf("cannot delete the cursor of removed subscription %s: %w", c.Name, err)
		}
	}
	return nil
}

func (s *Server) registerWALMetrics() {
	gauge := func(name, help string, f func(wal.Stats) float64) {
		s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(s.log.Stats()) }))
	}
	gauge("sluice_wal_bytes", "Bytes of live write-ahead log segments.", func(st wal.Stats) float64 { return float64(st.Bytes) })
	gauge("sluice_wal_max_bytes", "The write-ahead log's size cap.", func(st wal.Stats) float64 { return float64(st.MaxBytes) })
	gauge("sluice_wal_segments", "Live write-ahead log segment files.", func(st wal.Stats) float64 { return float64(st.Segments) })
	gauge("sluice_wal_last_seq", "Sequence number of the newest record.", func(st wal.Stats) float64 { return float64(st.LastSeq) })
}

// Run serves until ctx is done, then shuts down in order (see the package
// documentation). It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	subCtx, stopSubs := context.WithCancel(context.Background())
	defer stopSubs()
	var wg sync.WaitGroup
	for _, sub := range s.subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := sinkhelper.Run(subCtx, sub.cur, sub.sink, sub.cfg)
			if err != nil && !errors.Is(err, context.Canceled) {
				s.logger.Error("subscription stopped", "subscription", sub.name, "err", err)
			}
		}()
	}
	s.logger.Info("listening", "addr", s.Addr(), "subscriptions", len(s.subs))
	httpErr := s.http.Serve(ctx, s.ln)
	// Listeners stop reading and ingest what they had read before the
	// pipeline closes.
	for _, l := range s.listeners {
		if err := l.Close(); err != nil {
			s.logger.Error("cannot close a syslog listener cleanly", "err", err)
		}
	}
	s.listeners = nil
	s.pipe.Close()
	stopSubs()
	wg.Wait()
	if err := s.closeAll(); err != nil {
		return errors.Join(httpErr, err)
	}
	s.logger.Info("stopped")
	return httpErr
}

// closeAll closes listeners, sinks, cursors and the log.
func (s *Server) closeAll() error {
	var errs []error
	for _, l := range s.listeners {
		errs = append(errs, l.Close())
	}
	s.listeners = nil
	for _, sub := range s.subs {
		errs = append(errs, sub.sink.Close(), sub.cur.Close())
	}
	s.subs = nil
	if s.ln != nil {
		s.ln.Close()
	}
	if s.log != nil {
		errs = append(errs, s.log.Close())
		s.log = nil
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
