package client_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluicelog/sluice/client"
	"github.com/sluicelog/sluice/internal/auth"
	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/source/ingest"
)

// memIngester keeps what sluice's ingest source stores.
type memIngester struct {
	mu     sync.Mutex
	events []event.Event
}

func (m *memIngester) Ingest(_ context.Context, events []event.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range events {
		m.events = append(m.events, events[i].Clone())
	}
	return nil
}

// TestAgainstIngestHandler sends through the real ingest source.
func TestAgainstIngestHandler(t *testing.T) {
	ing := &memIngester{}
	h, err := ingest.New(ingest.Config{Auth: auth.NewBearer("apps", []string{"tok"}, []string{"/app/*"})}, ing, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(h.Path(), h)
	mux.Handle(h.Path()+"/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := client.New(srv.URL+"/ingest", client.Options{Token: "tok", Group: "/app/billing", Stream: "web.1", App: "billing", Host: "h1", Proc: "web", FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(c.Handler(&slog.HandlerOptions{Level: slog.LevelDebug})).With("version", "1.2").WithGroup("req")
	logger.Warn("slow payment", "ms", 1234, slog.Group("card", "brand", "visa"), "ok", false)
	logger.Debug("detail")
	log.New(c.Writer(), "", 0).Println("ERROR: bank unreachable")
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Sent != 3 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
	base := event.Event{Group: "/app/billing", Stream: "web.1", App: "billing", Host: "h1", Proc: "web", Source: "ingest/apps"}
	want := []event.Event{base, base, base}
	want[0].Severity, want[0].SeveritySource, want[0].Message = event.Warning, event.SeverityField, "slow payment"
	want[0].Fields = []event.Field{{Key: "version", Value: "1.2"}, {Key: "req.ms", Value: "1234", Type: event.Number},
		{Key: "req.card.brand", Value: "visa"}, {Key: "req.ok", Value: "false", Type: event.Bool}}
	want[1].Severity, want[1].SeveritySource, want[1].Message = event.Debug, event.SeverityField, "detail"
	want[1].Fields = []event.Field{{Key: "version", Value: "1.2"}}
	want[2].Severity, want[2].SeveritySource, want[2].Message = event.Error, event.SeverityInferred, "ERROR: bank unreachable"
	ing.mu.Lock()
	defer ing.mu.Unlock()
	for _, e := range ing.events {
		if e.Time.IsZero() || time.Since(e.Time) > time.Minute || e.Received.IsZero() {
			t.Errorf("times %v %v", e.Time, e.Received)
		}
	}
	if diff := cmp.Diff(want, ing.events, cmpopts.IgnoreFields(event.Event{}, "Time", "Received"), cmpopts.EquateEmpty()); diff != "" {
		t.Fatal(diff)
	}
}

// TestIngestRefusesGroup shows a 403 reaching the client as an error, the
// events kept in the fallback.
func TestIngestRefusesGroup(t *testing.T) {
	h, err := ingest.New(ingest.Config{Auth: auth.NewBearer("apps", []string{"tok"}, []string{"/app/*"})}, &memIngester{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var fb safeBuffer
	c, err := client.New(srv.URL+"/ingest", client.Options{Token: "tok", Group: "/other", Fallback: &fb})
	if err != nil {
		t.Fatal(err)
	}
	slog.New(c.Handler(nil)).Info("x")
	err = c.Close(context.Background())
	want := `cannot send 1 events to sluice (written to the fallback): sluice answered 403: credentials "apps" may not write to group "/other"; nothing stored`
	if err == nil || err.Error() != want || len(fb.lines()) != 1 {
		t.Fatalf("Close: %v; fallback %q", err, fb.lines())
	}
}
