package dedupe

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestDedupeBounded(t *testing.T) {
	d := New(time.Minute, 100)
	now := time.Now()
	clock := func() time.Time { return now }
	for i := range 1000 {
		dup, _, release, err := d.Acquire(context.Background(), []string{strconv.Itoa(i), strconv.Itoa(i)}, clock)
		if err != nil || dup[0] || !dup[1] {
			t.Fatalf("key %d: dup %v err %v", i, dup, err)
		}
		release(true, []int{3, 0})
	}
	if n := d.Len(); n != 100 {
		t.Fatalf("remembers %d keys, want 100", n)
	}
	dup, n, release, _ := d.Acquire(context.Background(), []string{"999", "0"}, clock)
	if !dup[0] || dup[1] || n != 3 {
		t.Fatalf("dup %v n %d", dup, n)
	}
	release(false, nil)
	now = now.Add(2 * time.Minute)
	if dup, _, release, _ := d.Acquire(context.Background(), []string{"999"}, clock); dup[0] {
		t.Fatal("remembered past the window")
	} else {
		release(false, nil)
	}
	if n := d.Len(); n != 0 {
		t.Fatalf("remembers %d keys after the window", n)
	}
}

func TestDedupeWaitsForInflight(t *testing.T) {
	d := New(time.Minute, 100)
	_, _, release, _ := d.Acquire(context.Background(), []string{"k"}, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, _, err := d.Acquire(ctx, []string{"k"}, time.Now); err == nil {
		t.Fatal("did not wait for the claim")
	}
	go release(true, nil)
	dup, _, _, err := d.Acquire(context.Background(), []string{"k"}, time.Now)
	if err != nil || !dup[0] {
		t.Fatalf("after the claim: dup %v err %v", dup, err)
	}
}
