package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	base   = testclock.Base().Truncate(time.Millisecond)
	policy = store.Policy{MaxAttempts: 5, Lockout: 10 * time.Minute, ResendAfter: 30 * time.Second, MaxSends: 5, SendWindow: time.Hour}
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "otp.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// issueOp is an op that issues a code, as Store.Issue makes it.
func issueOp(number string, res *store.IssueResult) *op {
	req := store.IssueRequest{Number: number, Hash: []byte("hash"), Now: base, ExpiresAt: base.Add(time.Hour), Policy: policy}
	return &op{ctx: context.Background(), number: number, fn: func(r *store.Record) { *res = r.Issue(req) }}
}

// TestBatchIsolatesFailures runs batches in which one operation fails in
// different ways: the others are applied exactly once and committed, and
// only the failing one reports an error.
func TestBatchIsolatesFailures(t *testing.T) {
	tests := []struct {
		name string
		bad  func(s *Store) *op
		want error
	}{
		{"damaged record", func(s *Store) *op {
			s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(recordsBucket).Put([]byte("+12015550199"), []byte{1, 2, 3}) })
			var res store.IssueResult
			return issueOp("+12015550199", &res)
		}, store.ErrCorrupt},
		{"panic", func(s *Store) *op {
			return &op{ctx: context.Background(), number: "+12015550199", fn: func(*store.Record) { panic("boom") }}
		}, store.ErrCorrupt},
		{"key too long for bbolt", func(s *Store) *op {
			var res store.IssueResult
			return issueOp(strings.Repeat("9", bolt.MaxKeySize+1), &res)
		}, berrors.ErrKeyTooLarge},
		{"cancelled context", func(s *Store) *op {
			var res store.IssueResult
			o := issueOp("+12015550199", &res)
			cctx, cancel := context.WithCancel(context.Background())
			cancel()
			o.ctx = cctx
			return o
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			results := make([]store.IssueResult, 4)
			var batch []*op
			for i := range results {
				batch = append(batch, issueOp(fmt.Sprintf("+1201555010%d", i), &results[i]))
			}
			bad := tc.bad(s)
			batch = append(batch[:2], append([]*op{bad}, batch[2:]...)...)
			s.run(batch)
			if !errors.Is(bad.err, tc.want) {
				t.Fatalf("failing op: err %v, want %v", bad.err, tc.want)
			}
			for i, res := range results {
				number := fmt.Sprintf("+1201555010%d", i)
				rec, ok, err := s.Get(context.Background(), number)
				if err != nil || !ok || res.Outcome != store.Issued || len(rec.Sends) != 1 {
					t.Fatalf("%s: outcome %v, record %+v (ok %v, err %v); want issued once", number, res.Outcome, rec, ok, err)
				}
			}
			for _, o := range batch {
				if o != bad && o.err != nil {
					t.Fatalf("good op: %v", o.err)
				}
			}
		})
	}
}

// TestPurgeChunks purges the same records from a memstore and from file
// stores with chunks of several sizes, and compares what is left.
func TestPurgeChunks(t *testing.T) {
	defer func(n int) { purgeChunk = n }(purgeChunk)
	ctx := context.Background()
	// fill gives number i one of several histories.
	fill := func(t *testing.T, s store.Store) {
		for i := range 60 {
			number := fmt.Sprintf("+1201555%04d", i)
			code := []byte(number)
			now := base.Add(time.Duration(i%4) * 20 * time.Minute)
			if _, err := s.Issue(ctx, store.IssueRequest{Number: number, Hash: code, Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: policy}); err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				s.Check(ctx, store.CheckRequest{Number: number, Hash: code, Now: now, Policy: policy})
			}
			if i%5 == 0 {
				for range policy.MaxAttempts {
					s.Check(ctx, store.CheckRequest{Number: number, Hash: []byte("wrong"), Now: now, Policy: policy})
				}
			}
		}
	}
	mem := memstore.New()
	fill(t, mem)
	req := store.PurgeRequest{Now: base.Add(65 * time.Minute), Policy: policy}
	want, err := mem.Purge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 3, 7, 59, 60, 61, 10_000} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			purgeChunk = chunk
			s := openTemp(t)
			fill(t, s)
			if got, err := s.Purge(ctx, req); err != nil || got != want {
				t.Fatalf("Purge = %d, %v; memstore purged %d", got, err, want)
			}
			for i := range 60 {
				number := fmt.Sprintf("+1201555%04d", i)
				w, wok, _ := mem.Get(ctx, number)
				g, gok, err := s.Get(ctx, number)
				if err != nil || gok != wok || !sameRecord(g, w) {
					t.Fatalf("%s after purge: %+v (ok %v, err %v); memstore has %+v (ok %v)", number, g, gok, err, w, wok)
				}
			}
		})
	}
}

func sameRecord(a, b store.Record) bool {
	return a.Equal(&b)
}

// TestPurgeDoesNotGrowFile purges half of 50,000 records: the file does not grow.
func TestPurgeDoesNotGrowFile(t *testing.T) {
	s := openTemp(t)
	const n = 50_000
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(recordsBucket)
		for i := range n {
			rec := store.Record{Hash: bytes.Repeat([]byte{1}, 32), ExpiresAt: base.Add(time.Hour), Sends: []time.Time{base}}
			if i%2 == 0 {
				rec.ExpiresAt = base.Add(-time.Hour)
				rec.Sends[0] = base.Add(-2 * time.Hour)
			}
			v := marshalRecord(&rec)
			if err := b.Put(fmt.Appendf(nil, "+1201%07d", i), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	if got, err := s.Purge(context.Background(), store.PurgeRequest{Now: base, Policy: policy}); err != nil || got != n/2 {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n/2)
	}
	if after := size(); after > before {
		t.Fatalf("file grew from %d to %d bytes", before, after)
	}
}

// TestConcurrentKeyCreation: creators racing to make the key file all end
// up with the one key that was written.
func TestConcurrentKeyCreation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db.key")
	keys := make([][]byte, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if keys[i], err = loadKey(path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	onDisk, err := readKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !bytes.Equal(k, onDisk) {
			t.Fatalf("creator %d got key %x, the file holds %x", i, k, onDisk)
		}
	}
}

// TestGroupCommit: operations that queue while a commit is under way are
// committed together in the next transaction, not one by one.
func TestGroupCommit(t *testing.T) {
	s := openTemp(t)
	txid := func() (id int) {
		s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
		return id
	}
	before := txid()
	// Stall the committer in an operation while the others queue up.
	started, release := make(chan struct{}), make(chan struct{})
	stalled := make(chan error)
	go func() {
		stalled <- s.do(context.Background(), "+12015550199", func(*store.Record) {
			close(started)
			<-release
		})
	}()
	<-started
	const n = 64
	results := make([]store.IssueResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			results[i], err = s.Issue(context.Background(), store.IssueRequest{Number: fmt.Sprintf("+1201555%04d", i), Hash: []byte("h"), Now: base, ExpiresAt: base.Add(time.Hour), Policy: policy})
			if err != nil {
				t.Error(err)
			}
		})
	}
	for len(s.ops) < n {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-stalled; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	// The stalled operation changed nothing, so committed nothing.
	if commits := txid() - before; commits != 1 {
		t.Fatalf("%d queued operations took %d commits, want 1", n, commits)
	}
	for i, res := range results {
		if res.Outcome != store.Issued {
			t.Fatalf("op %d: outcome %v", i, res.Outcome)
		}
	}
}
