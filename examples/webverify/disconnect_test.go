package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// heldSender holds each message until the test releases it, or until the
// context of the send ends: then it gives up, as a provider client does.
type heldSender struct {
	next    delivery.Sender
	started chan struct{} // a send has begun
	release chan struct{} // let one send through
}

func (s *heldSender) Send(ctx context.Context, m delivery.Message) (delivery.Receipt, error) {
	s.started <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return delivery.Receipt{}, ctx.Err()
	}
	return s.next.Send(ctx, m)
}

// requestWatch wraps the app and reports each request's context when the
// handler starts, and when the handler has returned.
type requestWatch struct {
	next    http.Handler
	started chan context.Context
	done    chan struct{}
}

func (rw *requestWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		rw.started <- r.Context()
		defer func() { rw.done <- struct{}{} }()
	}
	rw.next.ServeHTTP(w, r)
}

// TestClientHangsUpDuringSend: a visitor (or a script) that closes the
// connection while the code is on its way does not withdraw it. The send
// counts (the cooldown refuses the next one, no second SMS goes out) and
// the code that went out stays valid.
func TestClientHangsUpDuringSend(t *testing.T) {
	held := &heldSender{started: make(chan struct{}), release: make(chan struct{})}
	watch := &requestWatch{started: make(chan context.Context, 1), done: make(chan struct{}, 1)}
	f := newFixtureWith(t, appConfig{}, fixtureOptions{
		sender:  func(next delivery.Sender) delivery.Sender { held.next = next; return held },
		handler: func(h http.Handler) http.Handler { watch.next = h; return watch },
	})
	v := f.visitor(t)
	v.get("/")

	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	form := url.Values{"csrf": {v.csrf}, "phone": {numAText}, "region": {"US"}, "channel": {"sms"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", f.srv.URL+"/send", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	errc := make(chan error, 1)
	go func() {
		resp, err := v.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	reqCtx := <-watch.started
	<-held.started // the code is on its way
	hangUp()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want it canceled", err)
	}
	<-reqCtx.Done() // the server has seen the connection go
	select {
	case held.release <- struct{}{}: // the provider answers
	case <-time.After(10 * time.Second):
		t.Fatal("the send gave up when the client hung up")
	}
	<-watch.done

	es := f.entries(t)
	if len(es) != 1 || es[0].To != numA {
		t.Fatalf("outbox %+v, want the one SMS", es)
	}
	// The send counted: a second one is refused by the cooldown, and the
	// sender is not called.
	v.start(numAText, "sms")
	<-watch.started
	<-watch.done
	v.expect("/verify", "Please wait 30s before asking for a new code.")
	// The code that went out still works.
	v.post("/verify", url.Values{"code": {es[0].Code}})
	<-watch.started
	<-watch.done
	v.expect("/done", "")
}

// blockingSender never answers: it waits for the context of the send.
type blockingSender struct{}

func (blockingSender) Send(ctx context.Context, _ delivery.Message) (delivery.Receipt, error) {
	<-ctx.Done()
	return delivery.Receipt{}, ctx.Err()
}

// TestSendTimeout: a provider that never answers does not hold the
// request forever; SendTimeout ends the send.
func TestSendTimeout(t *testing.T) {
	f := newFixtureWith(t, appConfig{SendTimeout: 50 * time.Millisecond}, fixtureOptions{
		sender: func(delivery.Sender) delivery.Sender { return blockingSender{} },
	})
	v := f.visitor(t)
	v.client.Timeout = 10 * time.Second // without the bound, the request never ends
	v.start(numAText, "sms")
	v.expect("/", "We couldn't send the code. Please try again.")
}
