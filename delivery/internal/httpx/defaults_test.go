package httpx

import (
	"testing"

	"github.com/otpkit/otpkit/delivery"
)

func TestRetryPolicyDefaults(t *testing.T) {
	t.Parallel()
	p := withDefaults(delivery.RetryPolicy{})
	if p.MaxAttempts != delivery.DefaultHTTPAttempts || p.BaseDelay != delivery.DefaultBaseDelay || p.MaxDelay != delivery.DefaultMaxDelay {
		t.Errorf("defaults = %+v", p)
	}
	if p := withDefaults(delivery.RetryPolicy{MaxAttempts: 1}); p.MaxAttempts != 1 {
		t.Errorf("MaxAttempts 1 became %d", p.MaxAttempts)
	}
}
