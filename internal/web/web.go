// Package web is sluice's web UI: one server-rendered page at / (html/template
// and htmx) with live tail, search, a histogram by severity and a sidebar of
// groups and streams, over the embedded store.
//
// The page reads the store directly (Search, Histogram, Groups, Streams);
// live tail runs in the browser on the API's Server-Sent Events
// (/api/v1/tail), so the two never disagree about what a query matches.
// Every asset is embedded and served under /static/ with a content hash in
// its URL, so browsers cache it for a year and a new build is fetched at once.
//
// Every value shown is untrusted (log messages routinely contain HTML):
// the server renders with html/template, the browser script builds rows
// with textContent only, and a strict Content-Security-Policy (no inline
// script or style, no eval) backs both up.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/sluicelog/sluice/internal/store"
)

// Config configures the web UI.
type Config struct {
	// Store answers the page's searches. Nil: the page says that this
	// sluice keeps no events and how to change that.
	Store *store.Store
	// Logger receives the errors of handlers; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// TailPath is the API endpoint the page's live tail connects to.
const TailPath = "/api/v1/tail"

// TailBackfill is how many stored events live tail shows when it starts.
const TailBackfill = 200

// csp allows only the page's own files: no inline script or style, no
// eval (htmx's is switched off in the page's htmx-config), no frames, and
// requests only to this origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/htmx.min.js static/sluice.js static/sluice.css static/favicon.svg
var staticFS embed.FS

// asset is an embedded static file, ready to serve.
type asset struct {
	body, gz []byte // gz is nil when compressing does not pay
	hash     string // first 12 hex digits of the SHA-256 of body
	ctype    string
}

type handler struct {
	cfg    Config
	log    *slog.Logger
	tmpl   *template.Template
	assets map[string]*asset
	mux    *http.ServeMux
}

// New returns the handler of the web UI. Mount it at / (it serves /, its
// fragments under /ui/ and its assets under /static/); the live tail needs
// the API at /api/v1/ on the same origin.
func New(cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &handler{cfg: cfg, log: cfg.Logger, assets: map[string]*asset{}}
	if err := h.loadAssets(); err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"asset":   h.assetURL,
		"count":   formatCount,
		"sevname": sevName,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("BUG: cannot parse the web UI's templates: %w", err)
	}
	h.tmpl = tmpl

	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.HandleFunc("GET /ui/rows", h.rowsFragment)
	h.mux.HandleFunc("GET /ui/histogram", h.histogramFragment)
	h.mux.HandleFunc("GET /ui/groups", h.groupsFragment)
	h.mux.HandleFunc("GET /ui/streams", h.streamsFragment)
	h.mux.HandleFunc("GET /static/{name}", h.static)
	h.mux.HandleFunc("GET /", h.notFound) // other methods: 405
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// URLs carry queries, which may name customers or hosts: keep them
	// on this origin.
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) loadAssets() error {
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &asset{body: body, hash: hex.EncodeToString(sum[:6]), ctype: mime.TypeByExtension(path.Ext(p))}
		switch path.Ext(p) {
		case ".js":
			a.ctype = "text/javascript; charset=utf-8"
		case ".css":
			a.ctype = "text/css; charset=utf-8"
		case ".svg":
			a.ctype = "image/svg+xml"
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body)*9/10 {
			a.gz = b.Bytes()
		}
		h.assets[path.Base(p)] = a
		return nil
	})
}

// assetURL is the URL of an embedded asset with its content hash, which
// makes it safe to cache for ever.
func (h *handler) assetURL(name string) (string, error) {
	a, ok := h.assets[name]
	if !ok {
		return "", fmt.Errorf("BUG: no asset %q", name)
	}
	return "/static/" + name + "?v=" + a.hash, nil
}

func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.PathValue("name")]
	if !ok {
		http.Error(w, "no such file: the web UI's assets are /static/htmx.min.js, sluice.js, sluice.css and favicon.svg", http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", `"`+a.hash+`"`)
	hd.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An old or missing hash: serve the current file, but let the
		// browser check again next time.
		hd.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, `"`+a.hash+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(strings.ReplaceAll(q, " ", "")) != "q=0" {
			return true
		}
	}
	return false
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not found: sluice's web UI is at /, its API under /api/v1/", http.StatusNotFound)
}

// render executes the template name into a buffer first, so that a
// template error becomes a 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("cannot render the web UI", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, "cannot render the page (a bug in sluice; its log has the details)", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show log data: never keep them in a shared cache or on disk.
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
