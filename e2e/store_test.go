package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStoreCrashAndRestart is the store's promise with the embedded
// defaults: drains post while sluice is killed with SIGKILL and started
// again (retrying what was not acknowledged, as Logplex does, with the
// same frame id); afterwards every acknowledged line is in the store
// exactly once — no gap from the crash, no duplicate from the replay of
// the write-ahead log or from the retried requests.
func TestStoreCrashAndRestart(t *testing.T) {
	dir := t.TempDir()
	port, syslogPort := freePort(t), freePort(t)
	env := []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("SYSLOG_PORT=%d", syslogPort)}
	p := start(t, dir, env)
	addr := p.addr

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	const drains, frames = 3, 20
	client := &http.Client{Timeout: 5 * time.Second}
	for d := range drains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				var body []string
				var msgs []string
				for i := range frames {
					msg := fmt.Sprintf("drain-%d-req-%d-line-%d", d, n, i)
					msgs = append(msgs, msg)
					body = append(body, frame("web.1", msg))
				}
				post := drainPost{url: "http://" + addr + "/logs", frameID: fmt.Sprintf("crash-%d-%d", d, n), frames: body}
				// Retry until acknowledged, as Logplex does; a crash in
				// the middle makes the retry a replay of the same frames.
				for {
					status, _, err := post.do(client)
					if err == nil && status/100 == 2 {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				for _, m := range msgs {
					acked[m] = true
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // a steady load, not a flood: the race build is slow
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	p.kill()
	p = start(t, dir, env)
	time.Sleep(1500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	want := len(acked)
	mu.Unlock()
	if want < 200 {
		t.Fatalf("only %d lines acknowledged: the load did not run", want)
	}
	// The store catches up from its cursor; then every page of the search
	// holds each acknowledged line once.
	var seen map[string]int
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen = searchAll(t, p.addr, "drain*")
		if len(seen) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	missing, dups := 0, 0
	for m := range acked {
		switch seen[m] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	if missing != 0 || dups != 0 {
		t.Fatalf("%d acknowledged lines: %d missing from the store, %d stored more than once", want, missing, dups)
	}
	t.Logf("%d acknowledged lines across a SIGKILL, each stored once", want)
	p.stop()
}

// searchAll pages through /api/v1/search and counts each message.
func searchAll(t *testing.T, addr, q string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := ""
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/search?limit=1000&q=" + url.QueryEscape(q) + "&cursor=" + url.QueryEscape(cursor))
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events []struct{ Message string } `json:"events"`
			Next   string                     `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("search: %d %v", resp.StatusCode, err)
		}
		for _, e := range page.Events {
			seen[e.Message]++
		}
		if page.Next == "" {
			return seen
		}
		cursor = page.Next
	}
}
