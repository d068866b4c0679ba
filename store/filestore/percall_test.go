package filestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestPerCallConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return filestore.NewPerCall(filepath.Join(t.TempDir(), "otp.db"), nil)
	})
}

// TestPerCallReleasesTheFile shows that between calls the file is free for
// another process (here, Open with no wait), unlike a store from Open.
func TestPerCallReleasesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	p := filestore.NewPerCall(path, nil)
	defer p.Close()
	ctx := context.Background()
	now := testclock.Base()
	if _, err := p.Issue(ctx, store.IssueRequest{Number: "+12015550123", Hash: make([]byte, 32), Now: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s, err := filestore.Open(path, &filestore.Options{LockTimeout: -1})
	if err != nil {
		t.Fatalf("Open between PerCall calls: %v", err)
	}
	if _, ok, err := s.Get(ctx, "+12015550123"); err != nil || !ok {
		t.Fatalf("the PerCall write is not in the file: %v %v", ok, err)
	}
	// While Open holds the file, a PerCall call waits for it (here: gives up).
	q := filestore.NewPerCall(path, &filestore.Options{LockTimeout: -1})
	if _, _, err := q.Get(ctx, "+12015550123"); err == nil {
		t.Fatal("PerCall got the file while another store held it")
	}
	s.Close()
	if _, ok, err := q.Get(ctx, "+12015550123"); err != nil || !ok {
		t.Fatalf("PerCall after the other store closed: %v %v", ok, err)
	}
	k1, err := p.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = filestore.Open(path, nil)
	k2, err := s.Secret(ctx)
	s.Close()
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("PerCall and Open disagree on the key: %v", err)
	}
}
