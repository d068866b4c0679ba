package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
)

// Most programs hand the store to otp.New and never call it. Called
// directly, it applies the rules of package store to keyed hashes.
func Example() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()

	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	policy := store.Policy{MaxAttempts: 3, Lockout: 10 * time.Minute, ResendAfter: 30 * time.Second}
	hash := []byte("keyed hash of the code") // otp.Service computes an HMAC

	is, err := st.Issue(ctx, store.IssueRequest{Number: "+12015550123", Hash: hash, Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: policy})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(is.Outcome == store.Issued, "next send after", is.NextAt.Sub(now))

	is, _ = st.Issue(ctx, store.IssueRequest{Number: "+12015550123", Hash: hash, Now: now.Add(time.Second), ExpiresAt: now.Add(10 * time.Minute), Policy: policy})
	fmt.Println(is.Outcome == store.IssueCooldown, "retry at", is.RetryAt.Sub(now))

	ck, _ := st.Check(ctx, store.CheckRequest{Number: "+12015550123", Hash: []byte("another hash"), Now: now, Policy: policy})
	fmt.Println(ck.Outcome == store.WrongCode, "tries left", ck.AttemptsLeft)

	ck, _ = st.Check(ctx, store.CheckRequest{Number: "+12015550123", Hash: hash, Now: now, Policy: policy})
	fmt.Println(ck.Outcome == store.Approved)

	rec, ok, _ := st.Get(ctx, "+12015550123")
	fmt.Println(ok, rec.Used)
	// Output:
	// true next send after 30s
	// true retry at 30s
	// true tries left 2
	// true
	// true true
}
