package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
)

// A test sends through the outbox and reads the code back from the file.
func Example() {
	dir, err := os.MkdirTemp("", "outbox-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "outbox.jsonl")

	at := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	box := outbox.New(path, func() time.Time { return at })
	rcpt, err := box.Send(context.Background(), delivery.Message{
		To: "+12015550123", Channel: delivery.SMS, Body: "Your code is 482913", Code: "482913",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rcpt.Provider, rcpt.Status)

	entries, err := outbox.Read(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Println(e.Time.Format(time.RFC3339), e.To, e.Channel, e.Code)
	}
	// Output:
	// outbox delivered
	// 2026-11-22T09:30:00Z +12015550123 sms 482913
}
