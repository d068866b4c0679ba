package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
)

func Example() {
	dir, err := os.MkdirTemp("", "otpkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The otp command uses filestore.DefaultPath(); each call opens the
	// store, does one operation and closes it. A long-running program opens
	// it once and shares it between goroutines.
	s, err := filestore.Open(filepath.Join(dir, "otp.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) // a program passes time.Now()
	hash := []byte("keyed hash of the code (package otp computes it)")
	issued, err := s.Issue(ctx, store.IssueRequest{Number: "+12015550123", Hash: hash, Now: now, ExpiresAt: now.Add(10 * time.Minute)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issued:", issued.Outcome == store.Issued)

	checked, err := s.Check(ctx, store.CheckRequest{Number: "+12015550123", Hash: hash, Now: now.Add(time.Second)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("approved:", checked.Outcome == store.Approved)
	// Output:
	// issued: true
	// approved: true
}
