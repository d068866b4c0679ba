package filestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestDocConformance(t *testing.T) {
	storetest.RunDocs(t, func(t *testing.T) store.Store {
		s, err := filestore.Open(filepath.Join(t.TempDir(), "otp.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPerCallDocConformance(t *testing.T) {
	storetest.RunDocs(t, func(t *testing.T) store.Store {
		return filestore.NewPerCall(filepath.Join(t.TempDir(), "otp.db"), nil)
	})
}

// TestDocsPersist: documents outlive the process that wrote them, and a
// second PerCall on the file (another process) sees them.
func TestDocsPersist(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "otp.db")
	a, b := filestore.NewPerCall(path, nil), filestore.NewPerCall(path, nil)
	if err := a.PutDoc(ctx, "service", "VA1", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if v, err := b.GetDoc(ctx, "service", "VA1"); err != nil || string(v) != `{"x":1}` {
		t.Fatalf("the other PerCall reads %q, %v", v, err)
	}
	s, err := filestore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, err := s.ListDocs(ctx, "service", "", 10); err != nil || len(l) != 1 {
		t.Fatalf("after reopening: %v, %v", l, err)
	}
}
