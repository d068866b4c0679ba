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
//
// The file is filled 4 KiB at a time, as bbolt writes its pages: the page
// cache then holds it in 4 KiB folios, as it holds a store (bbolt also
// advises random access on its map, so reads bring in no larger ones).
// Filled with large writes, the file would be cached in large folios, and
// each 4 KiB write would dirty, and the fsync write, a whole large folio:
// on this benchmark's machine that made the 117 MB case 1.5 times slower.
func BenchmarkCommitSpan(b *testing.B) {
	const page = 4096
	path := filepath.Join(b.TempDir(), "span")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fill := make([]byte, page)
	for off := int64(0); off < 117<<20; off += page {
		if _, err := f.WriteAt(fill, off); err != nil {
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
