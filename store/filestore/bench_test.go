package filestore_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	bolt "go.etcd.io/bbolt"
)

// Benchmarks run on real, fsynced files in the system temp directory:
//
//	go test -run '^$' -bench . -benchtime 2s ./store/filestore/

// fixtures are preloaded store files, made once per process and shared.
var fixtures struct {
	sync.Mutex
	dir   string
	paths map[string]string
}

func cleanupFixtures() {
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
}

// testNumber is the i-th of ten million numbers, in key order.
func testNumber(i int) string { return fmt.Sprintf("+1201%07d", i) }

// fixture returns a store file with n records, made quickly: bbolt without
// fsync and 100,000 records per transaction. With halfExpired, every other
// record is an expired code with an old send, which a purge at base removes;
// the rest are pending codes.
func fixture(b *testing.B, n int, halfExpired bool) string {
	fixtures.Lock()
	defer fixtures.Unlock()
	name := fmt.Sprintf("records-%d-%v.db", n, halfExpired)
	if p, ok := fixtures.paths[name]; ok {
		return p
	}
	if fixtures.dir == "" {
		dir, err := os.MkdirTemp("", "filestore-bench")
		if err != nil {
			b.Fatal(err)
		}
		fixtures.dir, fixtures.paths = dir, map[string]string{}
	}
	path := filepath.Join(fixtures.dir, name)
	s, err := filestore.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	pending := filestore.MarshalRecord(&store.Record{Hash: bytes.Repeat([]byte{7}, 32), ExpiresAt: base.Add(10 * time.Minute), Sends: []time.Time{base.Add(-time.Minute)}})
	expired := filestore.MarshalRecord(&store.Record{Hash: bytes.Repeat([]byte{7}, 32), ExpiresAt: base.Add(-time.Minute), Sends: []time.Time{base.Add(-2 * time.Hour)}})
	for start := 0; start < n; start += 100_000 {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("records"))
			bk.FillPercent = 0.9 // keys arrive in order
			for i := start; i < min(start+100_000, n); i++ {
				v := pending
				if halfExpired && i%2 == 0 {
					v = expired
				}
				if err := bk.Put([]byte(testNumber(i)), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Sync(); err != nil {
		b.Fatal(err)
	}
	db.Close()
	fixtures.paths[name] = path
	return path
}

// BenchmarkIssueCheck measures Issue+Check pairs, each on a new number, from
// 1 and from 64 goroutines sharing one Store: the group commit at work.
func BenchmarkIssueCheck(b *testing.B) {
	for _, goroutines := range []int{1, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "otp.db"), nil)
			var next atomic.Int64
			pair := func() {
				number := testNumber(int(next.Add(1)))
				code := []byte(number)
				now := benchNow()
				if _, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: code, Now: now, ExpiresAt: now.Add(time.Minute), Policy: policy}); err != nil {
					b.Error(err)
				}
				if res, err := s.Check(ctx, store.CheckRequest{Number: number, Hash: code, Now: now, Policy: policy}); err != nil || res.Outcome != store.Approved {
					b.Error(res.Outcome, err)
				}
			}
			if goroutines == 1 {
				for b.Loop() {
					pair()
				}
			} else {
				b.SetParallelism((goroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						pair()
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

// BenchmarkRecords measures one operation against stores of 1,000 to
// 1,000,000 records: an Issue (a fsynced write), a Get (a read), and an
// Issue as the otp command does it, opening and closing the store.
func BenchmarkRecords(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			path := fixture(b, n, false)
			issue := func(s *filestore.Store) {
				number := testNumber(rand.IntN(n))
				now := benchNow() // a new send time: every Issue writes
				if _, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: []byte(number), Now: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("Issue", func(b *testing.B) {
				s := open(b, path, nil)
				for b.Loop() {
					issue(s)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
			b.Run("Get", func(b *testing.B) {
				s := open(b, path, nil)
				for b.Loop() {
					if _, ok, err := s.Get(ctx, testNumber(rand.IntN(n))); err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
			b.Run("OpenClose", func(b *testing.B) {
				for b.Loop() {
					s, err := filestore.Open(path, nil)
					if err != nil {
						b.Fatal(err)
					}
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("OpenIssueClose", func(b *testing.B) {
				for b.Loop() {
					s, err := filestore.Open(path, nil)
					if err != nil {
						b.Fatal(err)
					}
					issue(s)
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		})
	}
}

// BenchmarkPurge1M purges a store of 1,000,000 records of which half are
// expired, and reports the file size before and after.
func BenchmarkPurge1M(b *testing.B) {
	const n = 1_000_000
	template := fixture(b, n, true)
	b.ResetTimer()
	var before, after int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "otp.db")
		copyFile(b, template, path)
		s := open(b, path, nil)
		before = fileSize(b, path)
		b.StartTimer()
		got, err := s.Purge(ctx, store.PurgeRequest{Now: base, Policy: policy})
		b.StopTimer()
		if err != nil || got != n/2 {
			b.Fatalf("Purge = %d, %v; want %d", got, err, n/2)
		}
		after = fileSize(b, path)
		s.Close()
		os.Remove(path)
	}
	b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(before)/1e6, "MB-before")
	b.ReportMetric(float64(after)/1e6, "MB-after")
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Sync(); err != nil { // so its write-back does not compete with the benchmark
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchTicks steps benchNow.
var benchTicks atomic.Int64

// benchNow is the benchmarks' clock: the test clock's base, a millisecond
// later on every call.
func benchNow() time.Time {
	return testclock.Base().Add(time.Duration(benchTicks.Add(1)) * time.Millisecond)
}
