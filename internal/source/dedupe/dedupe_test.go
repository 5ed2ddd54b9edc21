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

// acquireOne is Acquire of a single key, as the Logplex source uses it
// (one frame id a request): the events it stood for when it is a duplicate.
func acquireOne(d *Window, ctx context.Context, key string, now func() time.Time) (n int, dup bool, release func(accepted bool, n int), err error) {
	dups, n, rel, err := d.Acquire(ctx, []string{key}, now)
	if err != nil || dups[0] {
		return n, err == nil, nil, err
	}
	return 0, false, func(accepted bool, n int) { rel(accepted, []int{n}) }, nil
}

func TestDedupeWindowAndCap(t *testing.T) {
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	d := New(time.Minute, 3)
	ctx := context.Background()
	accept := func(key string, frames int) {
		t.Helper()
		_, dup, release, err := acquireOne(d, ctx, key, now)
		if err != nil || dup {
			t.Fatalf("%s: dup %v, err %v", key, dup, err)
		}
		release(true, frames)
	}
	isDup := func(key string) (int, bool) {
		t.Helper()
		frames, dup, release, err := acquireOne(d, ctx, key, now)
		if err != nil {
			t.Fatal(err)
		}
		if !dup {
			release(false, 0)
		}
		return frames, dup
	}
	accept("a", 1)
	clock = clock.Add(30 * time.Second)
	accept("b", 2)
	if n, dup := isDup("a"); !dup || n != 1 {
		t.Fatalf("a: %d %v", n, dup)
	}
	clock = clock.Add(31 * time.Second) // a is 61 s old, b 31 s
	if _, dup := isDup("a"); dup {
		t.Fatal("a outlived the window")
	}
	if _, dup := isDup("b"); !dup {
		t.Fatal("b forgotten early")
	}
	accept("c", 3)
	accept("d", 4)
	accept("e", 5) // over the cap of 3: b goes
	if d.Len() != 3 {
		t.Fatalf("%d ids remembered", d.Len())
	}
	if _, dup := isDup("b"); dup {
		t.Fatal("b survived the cap")
	}
	for _, k := range []string{"c", "d", "e"} {
		if _, dup := isDup(k); !dup {
			t.Fatalf("%s forgotten", k)
		}
	}
	// A failed attempt is not remembered.
	_, _, release, _ := acquireOne(d, ctx, "f", now)
	release(false, 9)
	if _, dup := isDup("f"); dup {
		t.Fatal("failed attempt remembered")
	}
}

func TestDedupeBoundedUnderLoadOneKeyAtATime(t *testing.T) {
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	d := New(time.Hour, 1000)
	for i := range 100_000 {
		clock = clock.Add(time.Millisecond)
		_, _, release, _ := acquireOne(d, context.Background(), "k"+strconv.Itoa(i), now)
		release(true, 1)
	}
	if d.Len() != 1000 || len(d.order)-d.head != 1000 || cap(d.order) > 4096 {
		t.Fatalf("%d ids, queue %d (cap %d)", d.Len(), len(d.order)-d.head, cap(d.order))
	}
}

func TestDedupeWaiterGivesUp(t *testing.T) {
	d := New(time.Hour, 10)
	_, _, release, _ := acquireOne(d, context.Background(), "k", time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, _, err := acquireOne(d, ctx, "k", time.Now); err == nil {
		t.Fatal("waiter did not give up")
	}
	release(true, 1)
	if _, dup, _, _ := acquireOne(d, context.Background(), "k", time.Now); !dup {
		t.Fatal("not a duplicate after the first attempt stored it")
	}
}
