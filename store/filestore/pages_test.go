package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
)

// TestFreelistBomb: four bytes in the freelist page (its count) made bbolt
// allocate memory until the OOM killer stopped otp at 24 GB. The store is
// refused as damaged and the file left as it was. A memory limit keeps a
// regression from taking the machine with it.
func TestFreelistBomb(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
	path := filepath.Join(t.TempDir(), "otp.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := testclock.Base()
	for i := range 50 { // some pages to free
		num := "+1201555" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"
		if _, err := s.Issue(t.Context(), store.IssueRequest{Number: num, Hash: []byte("h"), Now: now, ExpiresAt: now.Add(1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Purge(t.Context(), store.PurgeRequest{Now: now.Add(2)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m0, ok0 := readMeta(f, 0)
	m1, ok1 := readMeta(f, int64(m0.pageSize))
	f.Close()
	if !ok0 || !ok1 {
		t.Fatal("no meta pages")
	}
	le := binary.LittleEndian
	for _, tt := range []struct {
		name  string
		patch func(b []byte, freelist uint64)
	}{
		{"count 0x7fffffff", func(b []byte, fl uint64) {
			off := fl * uint64(m0.pageSize)
			le.PutUint16(b[off+10:], 0xFFFF)
			le.PutUint64(b[off+16:], 0x7fffffff)
		}},
		{"first free page 0x7fffffff", func(b []byte, fl uint64) {
			off := fl * uint64(m0.pageSize)
			if le.Uint16(b[off+10:]) == 0 {
				le.PutUint16(b[off+10:], 1)
			}
			le.PutUint64(b[off+16:], 0x7fffffff)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(data)
			for _, m := range []boltMeta{m0, m1} {
				tt.patch(b, m.freelist)
			}
			p := filepath.Join(t.TempDir(), "otp.db")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(p, nil)
			if err == nil {
				s.Close()
				t.Fatal("a damaged freelist was opened")
			}
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("error %v, want ErrCorrupt", err)
			}
			if after, _ := os.ReadFile(p); !bytes.Equal(after, b) {
				t.Error("the damaged file was changed")
			}
		})
	}
	// The undamaged file still opens.
	if s, err := Open(path, nil); err != nil {
		t.Fatalf("the good file: %v", err)
	} else {
		s.Close()
	}
}
