package wal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test runs its own test binary as a child process
// (TestCrashChild, selected by crashDirEnv) that appends concurrently with
// real fdatasync and prints every acknowledged batch, then SIGKILLs it under
// load and checks that every acknowledged record survived, intact.
const (
	crashDirEnv   = "SLUICE_WAL_CRASH_DIR"
	crashRoundEnv = "SLUICE_WAL_CRASH_ROUND"
	crashWriters  = 4
)

// crashPayload is the deterministic content of record i of batch b of
// writer w in round r; its length varies from 1 to 600 bytes.
func crashPayload(r, w, b, i int) []byte {
	key := fmt.Sprintf("r%d w%d b%d i%d", r, w, b, i)
	n := 1 + (r*7919+w*104729+b*31+i*17)%600
	return payload(key, n)
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only run as the child of TestCrash")
	}
	round, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
	l, err := Open(Options{Dir: dir, SegmentBytes: 256 << 10, MaxBytes: 1 << 40})
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := os.Stdout // unbuffered: a line is written only after its Append returned
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				n := 1 + (b*13+w)%40
				recs := make([][]byte, n)
				for i := range recs {
					recs[i] = crashPayload(round, w, b, i)
				}
				first, last, err := l.Append(context.Background(), recs)
				if err != nil {
					fmt.Fprintf(os.Stderr, "child: %v\n", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %d %d %d\n", w, b, first, last)
				mu.Unlock()
			}
		}()
	}
	wg.Wait() // never returns: the parent kills us
}

// ackedBatch is one line printed by the child.
type ackedBatch struct {
	round, w, b int
	first, last uint64
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	const rounds = 5
	var acked []ackedBatch
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Collect complete lines; the last one may be cut by the kill.
		lines := make(chan []ackedBatch, 1)
		started := make(chan struct{})
		go func() {
			var got []ackedBatch
			r := bufio.NewReader(stdout)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				var a ackedBatch
				if _, err := fmt.Sscanf(line, "%d %d %d %d", &a.w, &a.b, &a.first, &a.last); err != nil {
					t.Errorf("round %d: bad child line %q", round, line)
					continue
				}
				a.round = round
				if len(got) == 0 {
					close(started)
				}
				got = append(got, a)
			}
			if len(got) == 0 {
				close(started)
			}
			io.Copy(io.Discard, stdout)
			lines <- got
		}()
		select {
		case <-started:
		case <-time.After(20 * time.Second):
		}
		time.Sleep(time.Duration(50+rng.IntN(250)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		got := <-lines
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child did not die of SIGKILL: %v\n%s", round, err, stderr.String())
		}
		if len(got) == 0 {
			t.Fatalf("round %d: child acknowledged nothing\n%s", round, stderr.String())
		}
		acked = append(acked, got...)
		total := verifyCrash(t, dir, acked)
		t.Logf("round %d: %d batches acknowledged before SIGKILL, %d records recovered in total", round, len(got), total)
	}
}

// verifyCrash reopens the log and checks every acknowledged batch. It
// returns the number of records in the log.
func verifyCrash(t *testing.T, dir string, acked []ackedBatch) uint64 {
	t.Helper()
	l, err := Open(Options{Dir: dir, SegmentBytes: 256 << 10, MaxBytes: 1 << 40, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open after crash: %v", err)
	}
	defer mustClose(t, l)
	st := l.Stats()
	c := mustCursor(t, l, "verify")
	defer func() {
		c.Close()
		if err := l.DeleteCursor("verify"); err != nil {
			t.Fatal(err)
		}
	}()
	// Read everything: sequence numbers must be consecutive from 1.
	data := make([][]byte, 0, st.LastSeq+1)
	data = append(data, nil)
	var dst []Record
	ctx := context.Background()
	for uint64(len(data)) <= st.LastSeq {
		dst, err = c.Read(ctx, dst[:0], 10000, 8<<20)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for _, r := range dst {
			if r.Seq != uint64(len(data)) {
				t.Fatalf("read seq %d, want %d", r.Seq, len(data))
			}
			data = append(data, bytes.Clone(r.Data))
		}
	}
	for _, a := range acked {
		if a.last > st.LastSeq {
			t.Fatalf("round %d writer %d batch %d: acknowledged records %d-%d, but the log ends at %d",
				a.round, a.w, a.b, a.first, a.last, st.LastSeq)
		}
		for seq := a.first; seq <= a.last; seq++ {
			want := crashPayload(a.round, a.w, a.b, int(seq-a.first))
			if !bytes.Equal(data[seq], want) {
				t.Fatalf("round %d writer %d batch %d: record %d = %q, want %q", a.round, a.w, a.b, seq,
					trunc(data[seq]), trunc(want))
			}
		}
	}
	return st.LastSeq
}

func trunc(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
