package wal

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// encodeSegment builds a segment file starting at first holding recs.
func encodeSegment(first uint64, recs ...[]byte) []byte {
	b := encodeHeader(first)
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = binary.LittleEndian.AppendUint32(b, crc32c(r))
		b = append(b, r...)
	}
	return b
}

// referenceRecords is a deliberately simple reading of the format: the
// records of a segment file up to the first invalid one.
func referenceRecords(data []byte) [][]byte {
	if len(data) < headerSize || !bytes.Equal(data[:headerSize], encodeHeader(1)) {
		return nil
	}
	var recs [][]byte
	for p := headerSize; p+recordHeaderSize <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[p:]))
		sum := binary.LittleEndian.Uint32(data[p+4:])
		if n == 0 || n > MaxRecordBytes || p+recordHeaderSize+n > len(data) {
			break
		}
		payload := data[p+recordHeaderSize : p+recordHeaderSize+n]
		if crc32c(payload) != sum {
			break
		}
		recs = append(recs, payload)
		p += recordHeaderSize + n
	}
	return recs
}

func FuzzOpen(f *testing.F) {
	valid := encodeSegment(1, []byte("a"), []byte("hello"), bytes.Repeat([]byte{0}, 100), []byte("last"))
	f.Add(valid)
	f.Add(valid[:len(valid)-2])
	f.Add(append(bytes.Clone(valid), make([]byte, 64)...))
	f.Add(append(bytes.Clone(valid), 1, 0, 0, 0, 9, 9, 9, 9, 'x'))
	f.Add(encodeHeader(1))
	f.Add(encodeHeader(2))
	f.Add([]byte{})
	f.Add(make([]byte, 100))
	f.Add([]byte("SLUICEWL garbage garbage garbage garbage"))
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, segmentName(1)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Dir: dir, SegmentBytes: 4096, NoSync: true}
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := referenceRecords(data)
	if st := l.Stats(); st.LastSeq != uint64(len(want)) {
		t.Fatalf("LastSeq = %d, want %d", st.LastSeq, len(want))
	}
	// Append after recovery continues the sequence.
	want = append(want, []byte("appended"))
	if first, _, err := l.Append(context.Background(), want[len(want)-1:]); err != nil || first != uint64(len(want)) {
		t.Fatalf("Append = %d, %v; want %d", first, err, len(want))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// What a reopened log returns is exactly the valid prefix plus the
	// appended record.
	if l, err = Open(opts); err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer l.Close()
	c, err := l.OpenCursor("fuzz")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got [][]byte
	for len(got) < len(want) {
		recs, err := c.Read(ctx, nil, 100, 1<<20)
		if err != nil {
			t.Fatalf("Read after %d of %d records: %v", len(got), len(want), err)
		}
		for _, r := range recs {
			if r.Seq != uint64(len(got))+1 {
				t.Fatalf("read seq %d, want %d", r.Seq, len(got)+1)
			}
			got = append(got, bytes.Clone(r.Data))
		}
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d = %q, want %q", i+1, got[i], want[i])
		}
	}
	if st := l.Stats(); st.LastSeq != uint64(len(want)) {
		t.Fatalf("LastSeq after reopen = %d, want %d", st.LastSeq, len(want))
	}
}
