package web

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/store"
)

// Times are rendered in UTC with their RFC 3339 value in a datetime
// attribute; the page's script rewrites them in the browser's time zone,
// which the server does not know.
const (
	rowTimeFormat  = "Jan 02 15:04:05.000"
	axisTimeFormat = "Jan 02 15:04"
)

// row is an event as one line of the page.
type row struct {
	Sev            int
	SevName        string
	ISO, Text      string
	Src, Msg, JSON string
}

func makeRow(e *event.Event) row {
	t := e.Time
	if t.IsZero() {
		t = e.Received
	}
	return row{
		Sev:     int(e.Severity),
		SevName: e.Severity.String(),
		ISO:     t.UTC().Format(time.RFC3339Nano),
		Text:    t.UTC().Format(rowTimeFormat),
		Src:     eventSource(e),
		Msg:     e.Message,
		// The script builds the expanded view from the event's JSON form,
		// the same for these rows and for live tail's.
		JSON: string(e.AppendJSON(nil)),
	}
}

// eventSource says where an event belongs, as sluice.js's source() does:
// its group and stream, else app[proc], else its host.
func eventSource(e *event.Event) string {
	switch {
	case e.Group != "":
		if e.Stream != "" {
			return e.Group + " " + e.Stream
		}
		return e.Group
	case e.App != "":
		if e.Proc != "" {
			return e.App + "[" + e.Proc + "]"
		}
		return e.App
	}
	return e.Host
}

// results is a page of search results with the URL of the next one.
type results struct {
	Rows []row
	More string // "" when this is the last page
}

// moreURL is the URL of the page of results after cursor. It carries the
// absolute time range of the first page, so that pages of a relative range
// ("1h") stay one result list.
func moreURL(q string, p parsed, cursor string) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("since", p.since.UTC().Format(time.RFC3339Nano))
	if !p.until.IsZero() {
		v.Set("until", p.until.UTC().Format(time.RFC3339Nano))
	}
	v.Set("cursor", cursor)
	return "/ui/rows?" + v.Encode()
}

// Geometry of the histogram's SVG (its viewBox; CSS stretches it).
const (
	histWidth  = 1000.0
	histHeight = 80.0
	histTop    = 2.0 // room above the tallest bar
	// histBars is the number of bars asked for: enough for one a minute
	// over an hour and one per 10 s over 15 minutes (the store rounds the
	// interval up and adds a bar for the partial ones at both ends).
	histBars = 92
)

// histView is a histogram drawn as stacked bars per severity.
type histView struct {
	Bars       []histBar
	Total, Max int64
	Interval   string
	RangeText  string
	Start, End axisTime
	Mid        axisTime
	Label      string // for screen readers
}

type axisTime struct{ ISO, Text string }

func newAxisTime(t time.Time) axisTime {
	return axisTime{ISO: t.UTC().Format(time.RFC3339), Text: t.UTC().Format(axisTimeFormat)}
}

type histBar struct {
	X, W   string
	T0, T1 string
	Counts string // "43 events: 3 error, 40 info"
	Title  string
	Href   string
	Segs   []histSeg
}

type histSeg struct {
	Sev  int
	Y, H string
}

func buildHistogram(hg *store.Histogram, st state) *histView {
	hv := &histView{Interval: formatInterval(hg.Interval), RangeText: st.RangeText()}
	n := len(hg.Buckets)
	if n == 0 {
		return hv
	}
	for _, b := range hg.Buckets {
		t := b.Counts.Total()
		hv.Total += t
		hv.Max = max(hv.Max, t)
	}
	w := histWidth / float64(n)
	gap := min(w/6, 3)
	for _, b := range hg.Buckets {
		end := b.Start.Add(hg.Interval)
		total := b.Counts.Total()
		bar := histBar{
			X:      ftoa(float64(len(hv.Bars)) * w),
			W:      ftoa(w - gap),
			T0:     b.Start.UTC().Format(time.RFC3339),
			T1:     end.UTC().Format(time.RFC3339),
			Counts: countsText(total, &b.Counts),
			Href: state{Q: st.Q, Mode: modeSearch,
				Since: b.Start.UTC().Format(time.RFC3339), Until: end.UTC().Format(time.RFC3339)}.href(),
		}
		bar.Title = b.Start.UTC().Format("Jan 02 15:04:05") + " – " + end.UTC().Format("15:04:05") + " UTC · " + bar.Counts
		// Stack the most severe at the bottom, where the eye starts.
		y := histHeight
		for sev, c := range b.Counts {
			if c == 0 {
				continue
			}
			h := float64(c) / float64(hv.Max) * (histHeight - histTop)
			h = max(h, 1) // a single event stays visible
			y -= h
			bar.Segs = append(bar.Segs, histSeg{Sev: sev, Y: ftoa(y), H: ftoa(h)})
		}
		hv.Bars = append(hv.Bars, bar)
	}
	first, last := hg.Buckets[0].Start, hg.Buckets[n-1].Start.Add(hg.Interval)
	hv.Start, hv.End = newAxisTime(first), newAxisTime(last)
	hv.Mid = newAxisTime(first.Add(last.Sub(first) / 2))
	hv.Label = fmt.Sprintf("%s matching events %s, per %s, by severity", formatCount(hv.Total), hv.RangeText, hv.Interval)
	return hv
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// countsText is "43 events: 3 error, 40 info".
func countsText(total int64, c *store.Counts) string {
	var b strings.Builder
	b.WriteString(formatCount(total))
	if total == 1 {
		b.WriteString(" event")
	} else {
		b.WriteString(" events")
	}
	sep := ": "
	for sev, n := range c {
		if n == 0 {
			continue
		}
		b.WriteString(sep)
		b.WriteString(formatCount(n))
		b.WriteByte(' ')
		b.WriteString(event.Severity(sev).String())
		sep = ", "
	}
	return b.String()
}

// formatInterval writes a bucket length as people do: 1m, 30s, 6h.
func formatInterval(d time.Duration) string {
	s := d.String() // 30s, 1m0s, 1h0m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatCount writes n with thousands separators.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatShort writes n in at most about five characters: 999, 12.3k, 4.5M.
func formatShort(n int64) string {
	switch {
	case n < 10_000:
		return formatCount(n)
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + "k"
	case n < 1_000_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) + "G"
}

// formatAgo writes how long ago t was, roughly.
func formatAgo(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

func sevName(s int) string { return event.Severity(s).String() }

// groupsView is the sidebar.
type groupsView struct {
	Groups []groupView
	Err    string
}

// sourceView is a group or a stream in the sidebar.
type sourceView struct {
	Name       string
	Href       string
	Active     bool
	Total      string
	TotalExact string
	LastHour   string
	LastAgo    string
	LastISO    string
	Counts     string // for the title: "43 events: 3 error, 40 info"
	Segs       []barSeg
	Alerts     []sevCount // counts of warning and worse, shown in colour
}

type groupView struct {
	sourceView
	ID         string // of its streams list, stable across refreshes
	StreamsURL string
}

type barSeg struct {
	Sev  int
	X, W string
}

type sevCount struct {
	Sev   int
	Name  string // for the title: "errors or worse"
	Short string // next to the number: "err"
	N     string
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newSourceView(name string, st state, q string, c *store.Counts, last time.Time, now time.Time) sourceView {
	total := c.Total()
	v := sourceView{
		Name:       name,
		Href:       st.withQuery(q).href(),
		Active:     st.Q == q,
		Total:      formatShort(total),
		TotalExact: formatCount(total),
		LastAgo:    formatAgo(now, last),
		LastISO:    last.UTC().Format(time.RFC3339),
		Counts:     countsText(total, c),
	}
	x := 0.0
	var errs int64
	for sev, n := range c {
		if n == 0 || total == 0 {
			continue
		}
		w := float64(n) / float64(total) * 100
		v.Segs = append(v.Segs, barSeg{Sev: sev, X: ftoa(x), W: ftoa(w)})
		x += w
		if sev <= int(event.Error) {
			errs += n
		}
	}
	// Two coloured counts say what needs a look; the bar and the title
	// have the rest.
	if errs > 0 {
		v.Alerts = append(v.Alerts, sevCount{Sev: int(event.Error), Name: plural(errs, "error or worse", "errors or worse"), Short: "err", N: formatShort(errs)})
	}
	if n := c[event.Warning]; n > 0 {
		v.Alerts = append(v.Alerts, sevCount{Sev: int(event.Warning), Name: plural(n, "warning", "warnings"), Short: "warn", N: formatShort(n)})
	}
	return v
}

func buildGroups(gs []store.Group, st state, now time.Time) *groupsView {
	gv := &groupsView{}
	for i := range gs {
		g := &gs[i]
		v := groupView{sourceView: newSourceView(g.Name, st, groupQuery(g.Name, ""), &g.Counts, g.Last, now)}
		v.LastHour = formatShort(g.LastHour) + "/h"
		h := fnv.New64a()
		h.Write([]byte(g.Name))
		v.ID = fmt.Sprintf("streams-%x", h.Sum64())
		sv := st.values()
		sv.Set("group", g.Name)
		v.StreamsURL = "/ui/streams?" + sv.Encode()
		gv.Groups = append(gv.Groups, v)
	}
	return gv
}

// streamsView is the list of a group's streams.
type streamsView struct {
	Streams []sourceView
	Err     string
}

func buildStreams(ss []store.Stream, st state, now time.Time) *streamsView {
	sv := &streamsView{}
	for i := range ss {
		s := &ss[i]
		name, q := s.Name, groupQuery(s.Group, s.Name)
		if s.Name == "" {
			name, q = "(no stream)", q+` stream:""`
		}
		sv.Streams = append(sv.Streams, newSourceView(name, st, q, &s.Counts, s.Last, now))
	}
	return sv
}
