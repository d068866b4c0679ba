package filestore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpkit/otpkit/store"
	bolt "go.etcd.io/bbolt"
)

// TestGuardDamagedEntry: a damaged guard entry is an error wrapping
// store.ErrCorrupt, fn is not called, and the file is left as it was.
func TestGuardDamagedEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(guardBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte("p:+1201555"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	called := false
	err = s.UpdateGuard(context.Background(), time.Unix(1795424400, 0), []string{"p:+1201555"}, func([]*store.GuardEntry) error {
		called = true
		return nil
	})
	if !errors.Is(err, store.ErrCorrupt) || called {
		t.Fatalf("UpdateGuard = %v (fn called: %v), want ErrCorrupt and no call", err, called)
	}
	s.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the file changed")
	}
}
