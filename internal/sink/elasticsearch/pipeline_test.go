package elasticsearch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelog/sluice/internal/sink/sinkhelper"
	"github.com/sluicelog/sluice/internal/wal"
)

// TestWithSinkHelper runs the sink under the subscription helper, reading
// a real write-ahead log: an event refused with 429 is retried alone, one
// with a mapping error is dead-lettered with the cluster's reason, one
// already in the data stream (a replay) counts as delivered, and the
// cursor passes all of them.
func TestWithSinkHelper(t *testing.T) {
	leakCheck(t)
	l, err := wal.Open(wal.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	events := manyEvents(t, "wal", 20)
	var recs [][]byte
	for i := range events {
		recs = append(recs, events[i].Marshal(nil))
	}
	if _, _, err := l.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	cur, err := l.OpenCursor("es")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cur.Close() })

	const ds = "logs-sluice-default"
	srv := newESServer(t)
	srv.store[ds+"\x00"+events[7].ID] = "delivered before the crash"
	srv.refuse = map[string]itemAnswer{
		events[3].ID: {429, `{"type":"es_rejected_execution_exception","reason":"rejected execution of primary operation [shard_detail=[logs][0][P], shard_operation_bytes=1024, primary_operation_bytes=0, max_primary_bytes=0]"}`},
		events[5].ID: {400, `{"type":"document_parsing_exception","reason":"[1:95] failed to parse field [fields.status] of type [long] in document with id 'wal-5'. Preview of field's value: 'ok'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"ok\""}}`},
	}
	s := newTestSink(t, Config{URLs: []string{srv.url()}, DataStream: ds})
	dlDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sinkhelper.Run(ctx, cur, s, sinkhelper.Config{
			Name: "es", MaxAge: time.Millisecond, RetryInitial: time.Millisecond,
			DeadLetter: &sinkhelper.DeadLetterDir{Dir: dlDir},
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for cur.Acked() < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("cursor at %d after 10s, want 20", cur.Acked())
		}
		time.Sleep(5 * time.Millisecond) // polling the cursor file's progress; no channel to wait on
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if srv.count() != 19 {
		t.Errorf("%d documents, want 19 (all but the refused one)", srv.count())
	}
	// The 429 event was sent twice, the others once.
	sent := map[string]int{}
	for _, r := range srv.requests() {
		for _, d := range r.Docs {
			sent[d.ID]++
		}
	}
	for i, e := range events {
		want := 1
		if i == 3 {
			want = 2
		}
		if sent[e.ID] != want {
			t.Errorf("event %d sent %d times, want %d", i, sent[e.ID], want)
		}
	}
	f, err := os.Open(filepath.Join(dlDir, "es.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type deadLetter struct {
		Error string `json:"error"`
		Event struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	var letters []deadLetter
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l deadLetter
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		letters = append(letters, l)
	}
	if len(letters) != 1 || letters[0].Event.ID != events[5].ID ||
		!strings.HasPrefix(letters[0].Error, "cannot index event: 400 document_parsing_exception: [1:95] failed to parse field [fields.status]") ||
		!strings.HasSuffix(letters[0].Error, `(caused by illegal_argument_exception: For input string: "ok")`) {
		t.Errorf("dead letters %+v", letters)
	}
	if st := s.Stats(); st.Duplicates != 1 || st.Retryable != 1 || st.Rejected != 1 || st.Indexed != 18 {
		t.Errorf("Stats = %+v", st)
	}
}
