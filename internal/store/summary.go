package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store/query"
)

// Counts holds a number of events per severity, indexed by event.Severity.
type Counts [8]int64

// Total returns the sum over all severities.
func (c *Counts) Total() int64 {
	var t int64
	for _, n := range c {
		t += n
	}
	return t
}

// Bucket is one interval of a Histogram.
type Bucket struct {
	// Start is the beginning of the interval; it lasts Histogram.Interval.
	Start time.Time
	// Counts are the matching events in the interval, per severity.
	Counts Counts
}

// Histogram counts matching events over time.
type Histogram struct {
	// Interval is the length of every bucket: the smallest of 1s, 5s, 10s,
	// 30s, 1m, 5m, 10m, 30m, 1h, 3h, 6h, 12h and 24h that makes at most the
	// requested number of buckets.
	Interval time.Duration
	// Buckets cover whole intervals aligned to multiples of Interval (UTC),
	// from the one holding since to the one holding until; the first and
	// last may reach beyond since and until.
	Buckets []Bucket
}

// intervals returns the bucket lengths a Histogram chooses from.
func intervals() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
		time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
}

// Histogram counts the events matching q between since and until (until
// zero: now; since zero: 24 hours before until) in about buckets intervals
// (default 60), per severity. An empty query, or one of only severity and
// group filters, is answered from per-minute counts kept at insert time
// when the interval is a minute or more; others scan the matching events.
func (s *Store) Histogram(ctx context.Context, q *query.Query, since, until time.Time, buckets int) (*Histogram, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	if until.IsZero() {
		until = s.cfg.Now()
	}
	if since.IsZero() {
		since = until.Add(-24 * time.Hour)
	}
	if !since.Before(until) {
		return nil, fmt.Errorf("cannot compute a histogram: since (%v) must be before until (%v)", since, until)
	}
	if buckets <= 0 {
		buckets = 60
	}
	buckets = min(buckets, 10000)
	ivs := intervals()
	iv := ivs[len(ivs)-1]
	for _, c := range ivs {
		if time.Duration(buckets)*c >= until.Sub(since) {
			iv = c
			break
		}
	}
	start := since.UTC().Truncate(iv)
	end := until.UTC().Truncate(iv)
	if end.Before(until) {
		end = end.Add(iv)
	}
	h := &Histogram{Interval: iv, Buckets: make([]Bucket, int(end.Sub(start)/iv))}
	for i := range h.Buckets {
		h.Buckets[i].Start = start.Add(time.Duration(i) * iv)
	}
	var err error
	if sevs, where, args, ok := summaryPlan(q); ok && iv >= time.Minute {
		err = s.histogramFromMinutes(ctx, h, start, end, sevs, where, args)
	} else {
		err = s.histogramFromEvents(ctx, h, q, start, end)
	}
	if err != nil {
		return nil, s.queryError("compute a histogram", ctx, err)
	}
	return h, nil
}

// summaryPlan reports whether q can be answered from the minutes table:
// it is empty or a conjunction of severity and group filters. sevs says
// which severities match.
func summaryPlan(q *query.Query) (sevs [8]bool, where string, args []any, ok bool) {
	var nodes []query.Node
	if q != nil && q.Root != nil {
		nodes = []query.Node{q.Root}
		if a, isAnd := q.Root.(*query.And); isAnd {
			nodes = a.Nodes
		}
	}
	var sevFilters []query.Node
	var conds []string
	for _, n := range nodes {
		f, isFilter := n.(*query.Filter)
		switch {
		case isFilter && f.Field == "severity":
			sevFilters = append(sevFilters, f)
		case isFilter && f.Field == "group":
			c, a, _, _ := sqlOf(f)
			conds = append(conds, strings.Replace(c, "e.grp", "grp", 1))
			args = append(args, a...)
		default:
			return sevs, "", nil, false
		}
	}
	for sev := range sevs {
		e := event.Event{Severity: event.Severity(sev)}
		sevs[sev] = (&query.And{Nodes: sevFilters}).Match(&e)
	}
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	return sevs, where, args, true
}

func (s *Store) histogramFromMinutes(ctx context.Context, h *Histogram, start, end time.Time, sevs [8]bool, where string, args []any) error {
	iv := int64(h.Interval / time.Minute)
	first := start.Unix() / 60
	return s.eachDay(ctx, start, end, func(d *day) (bool, error) {
		a := append([]any{start.Unix() / 60, end.Unix() / 60}, args...)
		rows, err := d.r.QueryContext(ctx, `SELECT minute, severity, sum(n) FROM minutes WHERE minute >= ? AND minute < ?`+where+` GROUP BY minute, severity`, a...)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		for rows.Next() {
			var minute, sev, n int64
			if err := rows.Scan(&minute, &sev, &n); err != nil {
				return false, err
			}
			if sev < 0 || sev > 7 || !sevs[sev] {
				continue
			}
			if i := (minute - first) / iv; i >= 0 && i < int64(len(h.Buckets)) {
				h.Buckets[i].Counts[sev] += n
			}
		}
		return true, rows.Err()
	})
}

func (s *Store) histogramFromEvents(ctx context.Context, h *Histogram, q *query.Query, start, end time.Time) error {
	p := newPlan(q)
	sqlText, args := p.pageSQL(start, end)
	bi := p.boundsIndex()
	return s.eachDay(ctx, start, end, func(d *day) (bool, error) {
		args[bi], args[bi+1], args[len(args)-1] = int64(1<<63-1), int64(0), -1
		_, _, err := s.scan(ctx, d, sqlText, args, func(_ int64, e *event.Event) bool {
			if q.Match(e) {
				if i := int(e.Time.Sub(start) / h.Interval); i >= 0 && i < len(h.Buckets) && e.Severity.Valid() {
					h.Buckets[i].Counts[e.Severity]++
				}
			}
			return true
		})
		return err == nil, err
	})
}

// Group is a group (heroku/<app>, /aws/lambda/<fn>, a syslog host) with
// what the store holds of it.
type Group struct {
	Name string
	// Last is the time of its newest event.
	Last time.Time
	// Counts are its stored events per severity.
	Counts Counts
	// LastHour is the number of its events in the hour before now: a rate.
	LastHour int64
}

// Stream is a stream of a group (a dyno, a Lambda log stream, a syslog
// app) with what the store holds of it.
type Stream struct {
	Group, Name string
	// Last is the time of its newest event.
	Last time.Time
	// Counts are its stored events per severity.
	Counts Counts
}

// Groups lists the groups of all stored events, most recently active
// first, from per-day summaries kept at insert time.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	byName := map[string]*Group{}
	get := func(name string) *Group {
		g := byName[name]
		if g == nil {
			g = &Group{Name: name}
			byName[name] = g
		}
		return g
	}
	hourAgo := s.cfg.Now().Add(-time.Hour)
	err := s.eachDay(ctx, time.Time{}, time.Time{}, func(d *day) (bool, error) {
		err := queryRows(ctx, d, `SELECT grp, severity, sum(n), max(last) FROM summary GROUP BY grp, severity`, nil, func(r scanner) error {
			var name string
			var sev, n, last int64
			if err := r.Scan(&name, &sev, &n, &last); err != nil {
				return err
			}
			g := get(name)
			if sev >= 0 && sev < 8 {
				g.Counts[sev] += n
			}
			if t := time.Unix(0, last).UTC(); t.After(g.Last) {
				g.Last = t
			}
			return nil
		})
		if err != nil || !d.start.Add(24*time.Hour).After(hourAgo) {
			return true, err
		}
		return true, queryRows(ctx, d, `SELECT grp, sum(n) FROM minutes WHERE minute >= ? GROUP BY grp`, []any{hourAgo.Unix() / 60}, func(r scanner) error {
			var name string
			var n int64
			if err := r.Scan(&name, &n); err != nil {
				return err
			}
			get(name).LastHour += n
			return nil
		})
	})
	if err != nil {
		return nil, s.queryError("list groups", ctx, err)
	}
	out := make([]Group, 0, len(byName))
	for _, g := range byName {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Streams lists the streams of group, most recently active first.
func (s *Store) Streams(ctx context.Context, group string) ([]Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	byName := map[string]*Stream{}
	err := s.eachDay(ctx, time.Time{}, time.Time{}, func(d *day) (bool, error) {
		return true, queryRows(ctx, d, `SELECT stream, severity, n, last FROM summary WHERE grp = ?`, []any{group}, func(r scanner) error {
			var name string
			var sev, n, last int64
			if err := r.Scan(&name, &sev, &n, &last); err != nil {
				return err
			}
			st := byName[name]
			if st == nil {
				st = &Stream{Group: group, Name: name}
				byName[name] = st
			}
			if sev >= 0 && sev < 8 {
				st.Counts[sev] += n
			}
			if t := time.Unix(0, last).UTC(); t.After(st.Last) {
				st.Last = t
			}
			return nil
		})
	})
	if err != nil {
		return nil, s.queryError("list streams", ctx, err)
	}
	out := make([]Stream, 0, len(byName))
	for _, st := range byName {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b Stream) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func queryRows(ctx context.Context, d *day, q string, args []any, fn func(scanner) error) error {
	rows, err := d.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
