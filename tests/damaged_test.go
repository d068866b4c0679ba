package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	bolt "go.etcd.io/bbolt"
)

// TestDamagedStoreCLI damages a real store in several ways and runs otp
// send, verify and purge on it: each exits 7 with one line on stderr, and
// leaves the store file and its key file exactly as they were.
// (cmd/otp/testdata/script/damaged.txtar covers files that are not bbolt
// at all; store/filestore tests the store's own reactions.)
func TestDamagedStoreCLI(t *testing.T) {
	t.Parallel()
	const records = 600
	// A store as the otp command leaves it, with enough records for
	// several pages, and its key file.
	dir := t.TempDir()
	c := newCLI(t, dir, unlimited)
	if r := c.send(number(0)); r.out != ok {
		t.Fatalf("send: %v %s", r.out, r.detail)
	}
	s, err := filestore.Open(c.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := testclock.Base()
	for i := 1; i < records; i++ {
		req := store.IssueRequest{Number: number(i), Hash: bytes.Repeat([]byte{1}, 32), Now: now, ExpiresAt: now.Add(time.Hour)}
		if _, err := s.Issue(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	good, err := os.ReadFile(c.store)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(c.store + ".key")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		// damage damages the store at path and returns the number to use.
		damage func(t *testing.T, path string) string
		want   string // in the message
	}{
		{"truncated to half", func(t *testing.T, path string) string {
			writeFile(t, path, good[:len(good)/2])
			return number(1)
		}, "truncated"},
		{"zeroed", func(t *testing.T, path string) string {
			writeFile(t, path, make([]byte, len(good)))
			return number(1)
		}, "not a bbolt database"},
		{"both meta pages overwritten", func(t *testing.T, path string) string {
			b := bytes.Clone(good)
			copy(b, bytes.Repeat([]byte{0x5a}, 8192))
			writeFile(t, path, b)
			return number(1)
		}, "not a bbolt database"},
		{"a bbolt database of another program", func(t *testing.T, path string) string {
			updateBolt(t, path, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("sprocket"), []byte("42"))
			})
			return number(1)
		}, "another program"},
		{"a store of a newer format", func(t *testing.T, path string) string {
			writeFile(t, path, good)
			updateBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte("otpkit-store-v2"))
			})
			return number(1)
		}, "newer"},
		{"a damaged record", func(t *testing.T, path string) string {
			writeFile(t, path, good)
			updateBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("records")).Put([]byte(number(7)), []byte("not a record"))
			})
			return number(7)
		}, "damaged or not an otpkit store"},
		{"a damaged page", func(t *testing.T, path string) string {
			b := bytes.Clone(good)
			leaf := leafPage(t, good)
			copy(b[leaf*4096:], bytes.Repeat([]byte{0xff}, 4096))
			writeFile(t, path, b)
			return brokenNumber(t, path, records)
		}, "damaged or not an otpkit store"},
		{"a freelist count of 0x7fffffff (the memory bomb)", func(t *testing.T, path string) string {
			b := bytes.Clone(good)
			for _, meta := range []int{0, 4096} { // both meta pages' freelist
				fl := binary.LittleEndian.Uint64(b[meta+48:])
				binary.LittleEndian.PutUint16(b[fl*4096+10:], 0xFFFF)
				binary.LittleEndian.PutUint64(b[fl*4096+16:], 0x7fffffff)
			}
			writeFile(t, path, b)
			return number(1)
		}, "freelist"},
		{"a damaged key file", func(t *testing.T, path string) string {
			writeFile(t, path, good)
			writeFile(t, path+".key", []byte("not a key\n"))
			return number(1)
		}, "key file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := newCLI(t, dir, unlimited)
			writeFile(t, c.store+".key", key)
			to := tc.damage(t, c.store)
			before := [2][32]byte{fileSum(t, c.store), fileSum(t, c.store+".key")}
			for _, args := range [][]string{
				{"send", "--to", to},
				{"verify", "--to", to, "--code", "123456"},
				{"purge"},
			} {
				r := runOtp(t, dir, nil, append([]string{"--config", c.config}, args...)...)
				if r.code != 7 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
					!strings.HasPrefix(r.stderr, "otp: store error: ") || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("otp %s: %v\nwant exit 7 and one line \"otp: store error: ...%s...\"", args[0], r, tc.want)
				}
				if strings.Contains(r.stderr, "goroutine") {
					t.Errorf("otp %s printed a stack trace", args[0])
				}
			}
			if after := [2][32]byte{fileSum(t, c.store), fileSum(t, c.store+".key")}; after != before {
				t.Error("the store or its key file changed")
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// updateBolt runs fn in a bbolt write transaction on the file at path.
func updateBolt(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// leafPage returns the id of a leaf page of records in a store whose
// content is b, found in a copy.
func leafPage(t *testing.T, b []byte) int {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy.db")
	writeFile(t, cp, b)
	db, err := bolt.Open(cp, 0o600, nil) // tx.Page needs the free list, which read-only skips
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ps := db.Info().PageSize; ps != 4096 {
		t.Skipf("page size %d", ps)
	}
	leaf := 0
	db.View(func(tx *bolt.Tx) error {
		for id := 2; leaf == 0; id++ {
			p, err := tx.Page(id)
			if err != nil || p == nil {
				t.Fatalf("no leaf page: %v", err)
			}
			if p.Type == "leaf" && p.Count > 10 {
				leaf = id
			}
		}
		return nil
	})
	return leaf
}

// brokenNumber returns a number whose record the store cannot read.
func brokenNumber(t *testing.T, path string, n int) string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cp, b)
	s, err := filestore.Open(cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		if _, _, err := s.Get(context.Background(), number(i)); errors.Is(err, store.ErrCorrupt) {
			return number(i)
		}
	}
	t.Fatalf("no number of %d is on the damaged page", n)
	return ""
}
