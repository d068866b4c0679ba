package otp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

func ExampleGenerate() {
	code, err := otp.Generate(otp.Numeric, 6)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(code), regexp.MustCompile(`^[0-9]{6}$`).MatchString(code))

	code, _ = otp.Generate(otp.Hex, 8)
	fmt.Println(len(code), regexp.MustCompile(`^[0-9A-F]{8}$`).MatchString(code))

	_, err = otp.Generate(otp.Numeric, 3)
	fmt.Println(err)
	// Output:
	// 6 true
	// 8 true
	// invalid options: code length 3 is not within 4-10
}

func ExampleNormalizeCode() {
	for _, typed := range []string{"123 456", "123-456", " 12 34 56 "} {
		code, _ := otp.NormalizeCode(otp.Numeric, typed)
		fmt.Printf("%q\n", code)
	}
	code, _ := otp.NormalizeCode(otp.Hex, "ab-12-cd")
	fmt.Printf("%q\n", code)

	_, err := otp.NormalizeCode(otp.Numeric, "12a456")
	fmt.Println(errors.Is(err, otp.ErrInvalidCode), err)
	// Output:
	// "123456"
	// "123456"
	// "123456"
	// "AB12CD"
	// true invalid code: unexpected character 'a' in a numeric code
}

func ExampleParseNumber() {
	for _, in := range []struct{ raw, region string }{
		{"+1 (201) 555-0123", ""},
		{"00 44 20 7946 0018", ""},
		{"(201) 555-0123", "US"},
		{"020 7946 0018", "GB"},
	} {
		e164, err := otp.ParseNumber(in.raw, in.region)
		fmt.Println(e164, err)
	}
	_, err := otp.ParseNumber("(201) 555-0123", "")
	fmt.Println(errors.Is(err, otp.ErrInvalidNumber))
	// Output:
	// +12015550123 <nil>
	// +442079460018 <nil>
	// +12015550123 <nil>
	// +442079460018 <nil>
	// true
}

func ExampleSpoken() {
	fmt.Println(otp.Spoken("482913"))
	// Output:
	// 4, 8, 2, 9, 1, 3
}

func ExampleHumanDuration() {
	for _, d := range []time.Duration{10 * time.Minute, 90 * time.Minute, 45 * time.Second, time.Hour + 1} {
		fmt.Println(otp.HumanDuration(d))
	}
	// Output:
	// 10 minutes
	// 1 hour 30 minutes
	// 45 seconds
	// 1 hour
}

// A second send within the resend cooldown is refused with a [*otp.RetryError]
// that says how long to wait.
func ExampleService_Send_cooldown() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	svc, err := otp.New(context.Background(), memstore.New(), console.New(io.Discard), otp.Options{
		ResendAfter: 30 * time.Second,
		Now:         func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := svc.Send(ctx, "+12015550123", delivery.SMS); err != nil {
		fmt.Println(err)
		return
	}

	now = now.Add(5 * time.Second)
	_, err = svc.Send(ctx, "+12015550123", delivery.SMS)
	var retry *otp.RetryError
	if errors.As(err, &retry) && errors.Is(err, otp.ErrRateLimited) {
		fmt.Println("wait", retry.RetryAfter())
	}
	fmt.Println(err)

	// Info tells a page when the next send is allowed, without sending.
	info, _ := svc.Info(ctx, "+12015550123")
	fmt.Println(info.Pending, info.NextSendAt.Sub(now))
	// Output:
	// wait 25s
	// too many sends to this number (resend cooldown); retry in 25s
	// true 25s
}

func ExampleKindOf() {
	k, _ := otp.KindOf(fmt.Errorf("verify: %w", otp.ErrExpired))
	fmt.Println(k.Name, k.ExitCode)
	k, _ = otp.KindOf(&otp.RetryError{Err: otp.ErrLocked, Wait: 90 * time.Second})
	fmt.Println(k.Name, k.ExitCode)
	_, ok := otp.KindOf(errors.New("something else"))
	fmt.Println(ok)
	// Output:
	// expired 3
	// locked 4
	// false
}

func ExampleRetryError() {
	err := &otp.RetryError{Err: otp.ErrRateLimited, Reason: "resend cooldown", Wait: 24500 * time.Millisecond}
	fmt.Println(err)
	fmt.Println(errors.Is(err, otp.ErrRateLimited), err.RetryAfter())
	fmt.Println((&otp.RetryError{Err: otp.ErrLocked}).RetryAfter())
	// Output:
	// too many sends to this number (resend cooldown); retry in 25s
	// true 25s
	// 0s
}
