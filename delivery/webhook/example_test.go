package webhook_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/otpkit/otpkit/delivery/webhook"
)

// A receiver checks each request before trusting it.
func ExampleVerifyAt() {
	const secret = "0123456789abcdef"
	body := []byte(`{"to":"+12015550123","channel":"sms","body":"Your code is 904117.","code":"904117"}`)

	// What otpkit sends with the body:
	h := http.Header{}
	h.Set(webhook.TimestampHeader, "1795338000")
	h.Set(webhook.SignatureHeader, webhook.Sign(secret, "1795338000", body))

	sent := time.Unix(1795338000, 0)
	fmt.Println(webhook.VerifyAt(secret, h, body, sent.Add(10*time.Second), webhook.DefaultTolerance))
	fmt.Println(webhook.VerifyAt(secret, h, []byte(`{"to":"+12015550199"}`), sent, webhook.DefaultTolerance))
	fmt.Println(webhook.VerifyAt(secret, h, body, sent.Add(time.Hour), webhook.DefaultTolerance))
	// Output:
	// <nil>
	// webhook: signature does not match
	// webhook: timestamp too old or in the future
}
