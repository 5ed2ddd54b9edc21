package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/sluicelog/sluice/internal/store"
)

// noStore is what the page says when sluice keeps no events.
const noStore = "This sluice keeps no events, so there is nothing to search or tail: its configuration has no store. " +
	"Add a sink of type store and a subscription to it (sluice serve without a configuration file has one), then restart sluice."

// pageView is everything the page template shows.
type pageView struct {
	State      state
	Tail       bool
	Presets    []presetView
	Custom     bool
	TailHref   string
	SearchHref string
	GroupsURL  string
	HistURL    string
	TailSrc    string // the live tail's event stream; "" when it cannot start

	QueryErr *queryError
	Err      string
	Hist     *histView
	Results  *results
	Groups   *groupsView
}

type presetView struct {
	preset
	Selected bool
}

func (h *handler) newPageView(st state) *pageView {
	p := &pageView{
		State:      st,
		Tail:       st.Mode == modeTail,
		Custom:     st.custom(),
		TailHref:   st.withMode(modeTail).href(),
		SearchHref: st.withMode(modeSearch).href(),
		GroupsURL:  "/ui/groups?" + st.values().Encode(),
		HistURL:    "/ui/histogram?" + st.values().Encode(),
	}
	since := st.Since
	if since == "" {
		since = st.defaultSince()
	}
	for _, pr := range presets {
		p.Presets = append(p.Presets, presetView{preset: pr, Selected: !p.Custom && pr.Value == since})
	}
	return p
}

// page serves / : live tail or search results, with the histogram and the
// sidebar, all server-rendered but live tail's lines.
func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	st := readState(r)
	p := h.newPageView(st)
	if h.cfg.Store == nil {
		p.Err = noStore
		h.render(w, r, http.StatusServiceUnavailable, "page", p)
		return
	}
	ctx := r.Context()
	now := h.cfg.Now()
	pr := parseState(st, now)
	status := http.StatusOK
	p.QueryErr, p.Err = pr.qerr, pr.err
	if pr.bad() {
		status = http.StatusBadRequest
	}

	// The store answers on several connections: ask it everything at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	fail := func(code int, msg string) {
		mu.Lock()
		defer mu.Unlock()
		if p.Err == "" {
			p.Err, status = msg, code
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Groups = h.groups(ctx, st, now)
	}()
	if !pr.bad() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hv, code, msg := h.histogram(ctx, st, pr)
			if msg != "" {
				fail(code, msg)
				return
			}
			p.Hist = hv
		}()
		if st.Mode == modeSearch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, code, msg := h.search(ctx, st.Q, pr, "")
				if msg != "" {
					fail(code, msg)
					return
				}
				p.Results = res
			}()
		} else {
			v := url.Values{}
			if st.Q != "" {
				v.Set("q", st.Q)
			}
			v.Set("backfill", strconv.Itoa(TailBackfill))
			p.TailSrc = TailPath + "?" + v.Encode()
		}
	}
	wg.Wait()
	h.render(w, r, status, "page", p)
}

// fragmentState reads the state of a fragment's request; when there is no
// store or the state does not parse, it answers the request (false).
func (h *handler) fragmentState(w http.ResponseWriter, r *http.Request) (state, parsed, bool) {
	if h.cfg.Store == nil {
		h.render(w, r, http.StatusServiceUnavailable, "error", noStore)
		return state{}, parsed{}, false
	}
	st := readState(r)
	pr := parseState(st, h.cfg.Now())
	switch {
	case pr.qerr != nil:
		h.render(w, r, http.StatusBadRequest, "queryerror", pr.qerr)
		return st, pr, false
	case pr.err != "":
		h.render(w, r, http.StatusBadRequest, "error", pr.err)
		return st, pr, false
	}
	return st, pr, true
}

// rowsFragment serves the next page of search results ("Load more").
func (h *handler) rowsFragment(w http.ResponseWriter, r *http.Request) {
	st, pr, ok := h.fragmentState(w, r)
	if !ok {
		return
	}
	res, code, msg := h.search(r.Context(), st.Q, pr, r.URL.Query().Get("cursor"))
	if msg != "" {
		h.render(w, r, code, "error", msg)
		return
	}
	h.render(w, r, http.StatusOK, "rows", res)
}

// histogramFragment serves the histogram alone: live tail refreshes it.
func (h *handler) histogramFragment(w http.ResponseWriter, r *http.Request) {
	st, pr, ok := h.fragmentState(w, r)
	if !ok {
		return
	}
	hv, code, msg := h.histogram(r.Context(), st, pr)
	if msg != "" {
		h.render(w, r, code, "error", msg)
		return
	}
	h.render(w, r, http.StatusOK, "histogram", hv)
}

// groupsFragment serves the sidebar's list of groups; the page refreshes it
// every few seconds.
func (h *handler) groupsFragment(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Store == nil {
		h.render(w, r, http.StatusServiceUnavailable, "error", noStore)
		return
	}
	gv := h.groups(r.Context(), readState(r), h.cfg.Now())
	status := http.StatusOK
	if gv.Err != "" {
		status = http.StatusInternalServerError
	}
	h.render(w, r, status, "groups", gv)
}

// streamsFragment serves the streams of one group, shown when it is
// expanded in the sidebar.
func (h *handler) streamsFragment(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Store == nil {
		h.render(w, r, http.StatusServiceUnavailable, "error", noStore)
		return
	}
	group := r.URL.Query().Get("group")
	if group == "" {
		h.render(w, r, http.StatusBadRequest, "error", "no group given: /ui/streams?group=NAME")
		return
	}
	sv := &streamsView{}
	ss, err := h.cfg.Store.Streams(r.Context(), group)
	status := http.StatusOK
	if err != nil {
		status, sv.Err = h.storeError(r.Context(), "list the streams of group "+group, err)
	} else {
		sv = buildStreams(ss, readState(r), h.cfg.Now())
	}
	h.render(w, r, status, "streams", sv)
}

func (h *handler) search(ctx context.Context, q string, pr parsed, cursor string) (*results, int, string) {
	evs, next, err := h.cfg.Store.Search(ctx, store.Request{Query: pr.q, Since: pr.since, Until: pr.until, Cursor: cursor})
	if err != nil {
		code, msg := h.storeError(ctx, "search", err)
		return nil, code, msg
	}
	res := &results{Rows: make([]row, len(evs))}
	for i := range evs {
		res.Rows[i] = makeRow(&evs[i])
	}
	if next != "" {
		res.More = moreURL(q, pr, next)
	}
	return res, http.StatusOK, ""
}

func (h *handler) histogram(ctx context.Context, st state, pr parsed) (*histView, int, string) {
	until := pr.until
	if until.IsZero() {
		until = h.cfg.Now()
	}
	hg, err := h.cfg.Store.Histogram(ctx, pr.q, pr.since, until, histBars)
	if err != nil {
		code, msg := h.storeError(ctx, "count events over time", err)
		return nil, code, msg
	}
	return buildHistogram(hg, st), http.StatusOK, ""
}

func (h *handler) groups(ctx context.Context, st state, now time.Time) *groupsView {
	gs, err := h.cfg.Store.Groups(ctx)
	if err != nil {
		_, msg := h.storeError(ctx, "list groups", err)
		return &groupsView{Err: msg}
	}
	return buildGroups(gs, st, now)
}

// storeError logs err and returns the status and the text the page shows.
// The store's errors say what happened and what to do (a query that took
// too long names the time range and filters); they are shown as they are.
func (h *handler) storeError(ctx context.Context, what string, err error) (int, string) {
	switch {
	case errors.As(err, new(*store.CursorError)):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		h.log.Warn("a web UI query took too long", "what", what, "err", err)
		return http.StatusGatewayTimeout, err.Error()
	case ctx.Err() != nil:
		// The browser went away; nobody will read the answer.
		return http.StatusServiceUnavailable, "the request was cancelled"
	}
	h.log.Error("the web UI cannot read the store", "what", what, "err", err)
	return http.StatusInternalServerError, "cannot " + what + ": " + err.Error()
}
