package otp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/webhook"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store/memstore"
)

// A send cut off after the provider got the request (issue 9 item 1) keeps
// the code and counts; a send whose request never left is refunded.
func TestCutOffSendIsNotRefunded(t *testing.T) {
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		<-release // a provider answering slowly
	}))
	defer srv.Close()
	defer close(release)
	run := func(url string, cut bool) (*otp.Service, error) {
		ws, err := webhook.New(webhook.Config{URL: url, Secret: "0123456789abcdef0123", Retry: delivery.RetryPolicy{MaxAttempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		clk := newClock()
		svc, err := otp.New(context.Background(), memstore.New(), ws, otp.Options{Secret: secret(), Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithCancel(context.Background())
		defer cancel()
		if cut {
			go func() { <-got; cancel() }() // SIGINT once the request is out
		}
		_, err = svc.Send(c, num, delivery.SMS)
		return svc, err
	}
	svc, err := run(srv.URL, true)
	if !errors.Is(err, delivery.ErrOutcomeUnknown) || !errors.Is(err, otp.ErrDelivery) {
		t.Fatalf("cut-off send: %v, want ErrOutcomeUnknown", err)
	}
	if _, err := svc.Send(context.Background(), num, delivery.SMS); !errors.Is(err, otp.ErrRateLimited) {
		t.Fatalf("send after a cut-off send: %v, want the cooldown", err)
	}

	// Connection refused: the request never left, so the send is refunded.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	svc, err = run("http://"+addr+"/hook", false)
	if err == nil || errors.Is(err, delivery.ErrOutcomeUnknown) {
		t.Fatalf("refused send: %v, want a definite failure", err)
	}
	if _, err := svc.Send(context.Background(), num, delivery.SMS); errors.Is(err, otp.ErrRateLimited) {
		t.Fatalf("refused send was counted: %v", err)
	}
}
