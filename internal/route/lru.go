package route

import "hash/maphash"

// MaxKeys bounds how many keys a sample, throttle or dedupe transform
// remembers; beyond it the least recently used key is forgotten.
const MaxKeys = 10000

// lru remembers a value per key for at most max keys, forgetting the least
// recently used. Keys are found by their hash and checked against the
// bytes kept in the slot, so a lookup allocates nothing and a slot's key
// buffer is reused when the slot is. It is not safe for concurrent use.
type lru[V any] struct {
	seed  maphash.Seed
	index map[uint64]int32
	slots []lruSlot[V]
	max   int
	// head is the most recently used slot, tail the least; -1 when empty.
	head, tail int32
}

type lruSlot[V any] struct {
	hash       uint64
	key        []byte
	prev, next int32
	val        V
}

// What lru.get found.
const (
	// lruHit: the key was there; val is its value.
	lruHit = iota
	// lruNew: the key was not there and took a new slot; val is zero.
	lruNew
	// lruReused: the key was not there and took the slot of another key
	// (the least recently used one, or one with the same hash); val is
	// still the other key's value, for the caller to finish with.
	lruReused
)

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{seed: maphash.MakeSeed(), index: make(map[uint64]int32), max: max, head: -1, tail: -1}
}

// get returns the slot of key (its index and value), making it the most
// recently used, and what it found.
func (l *lru[V]) get(key []byte) (int32, *V, int) {
	h := maphash.Bytes(l.seed, key)
	if i, ok := l.index[h]; ok {
		s := &l.slots[i]
		l.touch(i)
		if string(s.key) == string(key) {
			return i, &s.val, lruHit
		}
		s.key = append(s.key[:0], key...)
		return i, &s.val, lruReused
	}
	if len(l.slots) < l.max {
		i := int32(len(l.slots))
		l.slots = append(l.slots, lruSlot[V]{hash: h, key: append([]byte(nil), key...), prev: -1, next: -1})
		l.pushFront(i)
		l.index[h] = i
		return i, &l.slots[i].val, lruNew
	}
	i := l.tail
	s := &l.slots[i]
	delete(l.index, s.hash)
	s.hash = h
	s.key = append(s.key[:0], key...)
	l.index[h] = i
	l.touch(i)
	return i, &s.val, lruReused
}

// at returns the value in slot i.
func (l *lru[V]) at(i int32) *V { return &l.slots[i].val }

func (l *lru[V]) touch(i int32) {
	if l.head == i {
		return
	}
	l.unlink(i)
	l.pushFront(i)
}

func (l *lru[V]) unlink(i int32) {
	s := &l.slots[i]
	if s.prev >= 0 {
		l.slots[s.prev].next = s.next
	} else {
		l.head = s.next
	}
	if s.next >= 0 {
		l.slots[s.next].prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = -1, -1
}

func (l *lru[V]) pushFront(i int32) {
	s := &l.slots[i]
	s.prev, s.next = -1, l.head
	if l.head >= 0 {
		l.slots[l.head].prev = i
	}
	l.head = i
	if l.tail < 0 {
		l.tail = i
	}
}
