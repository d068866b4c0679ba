package bench_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCommitSpan is the disk's part of the scale benchmark
// (store/filestore BenchmarkRecords), without bbolt: what one commit
// writes, six 4 KiB pages at random places and then the meta page, each
// followed by an fsync (fdatasync), within the first 300 KB of a file (the
// size of a store of 1,000 records) or across 117 MB (1,000,000 records).
// The same number of bytes is written either way; only where differs.
func BenchmarkCommitSpan(b *testing.B) {
	const page = 4096
	path := filepath.Join(b.TempDir(), "span")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for off := int64(0); off < 117<<20; off += int64(len(chunk)) {
		if _, err := f.WriteAt(chunk, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, page)
	for _, span := range []struct {
		name  string
		pages int
	}{{"300KB", 300 << 10 / page}, {"117MB", 117 << 20 / page}} {
		b.Run("span="+span.name, func(b *testing.B) {
			for b.Loop() {
				for range 6 {
					if _, err := f.WriteAt(buf, int64(2+rand.IntN(span.pages-2))*page); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				if _, err := f.WriteAt(buf, 0); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
