package otp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

// inbox is a delivery.Sender that keeps the messages instead of sending
// them, standing in for a phone.
type inbox struct {
	mu   sync.Mutex
	msgs []delivery.Message
}

func (b *inbox) Send(ctx context.Context, m delivery.Message) (delivery.Receipt, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return delivery.Receipt{Provider: "inbox", ID: fmt.Sprint(len(b.msgs))}, nil
}

func (b *inbox) last() delivery.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.msgs[len(b.msgs)-1]
}

func ExampleService() {
	ctx := context.Background()
	phone := &inbox{}
	svc, err := otp.New(context.Background(), memstore.New(), phone, otp.Options{AppName: "Example"})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Send a code. Numbers may be written the way people write them.
	res, err := svc.Send(ctx, "+1 (201) 555-0123", delivery.SMS)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent by", res.Channel, "to", res.To)
	code := phone.last().Code // what the person reads on their phone

	// A typo counts a try; the result says how many are left.
	typo := "000000"
	if code == typo {
		typo = "111111"
	}
	v, err := svc.Verify(ctx, res.To, typo)
	if errors.Is(err, otp.ErrWrongCode) {
		fmt.Println("wrong code,", v.AttemptsLeft, "tries left")
	}

	// The right code is approved, once.
	v, err = svc.Verify(ctx, res.To, code)
	fmt.Println(v.Verdict, err)
	_, err = svc.Verify(ctx, res.To, code)
	fmt.Println(errors.Is(err, otp.ErrUsed))
	// Output:
	// sent by sms to +12015550123
	// wrong code, 4 tries left
	// approved <nil>
	// true
}
