package verifyapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otpkit/otpkit/store"
)

// Retention is how long a verification stays in the store after its last
// code expired (or after it ended, approved or canceled): long enough for
// an app to fetch its outcome, as Twilio keeps them for a while.
const Retention = 24 * time.Hour

// Purge deletes from docs the verifications whose last code expired, or
// that ended, more than [Retention] before now, with the To's pending
// index when it still points at them, and the verifications of deleted
// services. Services are kept until they are deleted. It returns how many
// verifications it deleted. otp purge runs it on stores that keep
// documents.
func Purge(ctx context.Context, docs store.DocStore, now time.Time) (int, error) {
	live := map[string]bool{} // service sids that exist
	for after := ""; ; {
		page, err := docs.ListDocs(ctx, kindService, after, 500)
		if err != nil {
			return 0, fmt.Errorf("purge: services: %w", err)
		}
		for _, d := range page {
			live[d.ID] = true
			after = d.ID
		}
		if len(page) < 500 {
			break
		}
	}
	n := 0
	for after := ""; ; {
		page, err := docs.ListDocs(ctx, kindVerification, after, 500)
		if err != nil {
			return n, fmt.Errorf("purge: verifications: %w", err)
		}
		for _, d := range page {
			after = d.ID
			var v verificationDoc
			if json.Unmarshal(d.Data, &v) != nil {
				continue // not ours to judge: leave it
			}
			end := v.ExpiresAt
			if v.Status != statusPending {
				end = v.Updated // ended: approved, canceled, too many wrong checks
			}
			if live[v.ServiceSid] && now.Sub(end) <= Retention {
				continue
			}
			if err := docs.DeleteDoc(ctx, kindVerification, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, fmt.Errorf("purge: %w", err)
			}
			n++
			// The To's index, if it still names this verification.
			idxID := v.ServiceSid + ":" + v.To
			if raw, err := docs.GetDoc(ctx, kindPending, idxID); err == nil {
				var idx struct {
					Sid string `json:"sid"`
				}
				if json.Unmarshal(raw, &idx) == nil && idx.Sid == d.ID {
					if _, err := docs.SwapDoc(ctx, kindPending, idxID, raw, nil); err != nil {
						return n, fmt.Errorf("purge: %w", err)
					}
				}
			}
		}
		if len(page) < 500 {
			break
		}
	}
	return n, nil
}
