package logplex

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestDedupeWindowAndCap(t *testing.T) {
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	d := newDedupe(time.Minute, 3)
	ctx := context.Background()
	accept := func(key string, frames int) {
		t.Helper()
		_, dup, release, err := d.acquire(ctx, key, now)
		if err != nil || dup {
			t.Fatalf("%s: dup %v, err %v", key, dup, err)
		}
		release(true, frames)
	}
	isDup := func(key string) (int, bool) {
		t.Helper()
		frames, dup, release, err := d.acquire(ctx, key, now)
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
	if d.len() != 3 {
		t.Fatalf("%d ids remembered", d.len())
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
	_, _, release, _ := d.acquire(ctx, "f", now)
	release(false, 9)
	if _, dup := isDup("f"); dup {
		t.Fatal("failed attempt remembered")
	}
}

func TestDedupeBoundedUnderLoad(t *testing.T) {
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	d := newDedupe(time.Hour, 1000)
	for i := range 100_000 {
		clock = clock.Add(time.Millisecond)
		_, _, release, _ := d.acquire(context.Background(), fmt.Sprint("k", i), now)
		release(true, 1)
	}
	if d.len() != 1000 || len(d.order)-d.head != 1000 || cap(d.order) > 4096 {
		t.Fatalf("%d ids, queue %d (cap %d)", d.len(), len(d.order)-d.head, cap(d.order))
	}
}

func TestDedupeWaiterGivesUp(t *testing.T) {
	d := newDedupe(time.Hour, 10)
	_, _, release, _ := d.acquire(context.Background(), "k", time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, _, err := d.acquire(ctx, "k", time.Now); err == nil {
		t.Fatal("waiter did not give up")
	}
	release(true, 1)
	if _, dup, _, _ := d.acquire(context.Background(), "k", time.Now); !dup {
		t.Fatal("not a duplicate after the first attempt stored it")
	}
}
