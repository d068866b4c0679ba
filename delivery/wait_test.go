package delivery

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// script is a StatusChecker that answers from a list, repeating the last.
type script struct {
	mu   sync.Mutex
	ans  []Report
	errs []error
	n    int
}

func (s *script) Status(ctx context.Context, id string) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := min(s.n, len(s.ans)-1)
	s.n++
	var err error
	if i < len(s.errs) {
		err = s.errs[i]
	}
	return s.ans[i], err
}

func TestWait(t *testing.T) {
	t.Parallel()
	pending := func(raw string) Report { return Report{State: StatePending, Raw: raw} }
	delivered := Report{State: StateDelivered, Raw: "delivered"}
	failed := Report{State: StateFailed, Raw: "undelivered", ErrorCode: "30003"}
	retryable := &ProviderError{Provider: "p", HTTPStatus: 503, Retryable: true}
	tests := []struct {
		name    string
		s       *script
		want    Report
		changes []string
		wantErr error
	}{
		{"delivered", &script{ans: []Report{pending("queued"), pending("queued"), pending("sent"), delivered}}, delivered, []string{"queued", "sent", "delivered"}, nil},
		{"failed is a status", &script{ans: []Report{pending("sent"), failed}}, failed, []string{"sent", "undelivered"}, nil},
		{"retryable lookup error", &script{ans: []Report{{}, delivered}, errs: []error{retryable}}, delivered, []string{"delivered"}, nil},
		{"other lookup error ends", &script{ans: []Report{pending("sent"), {}}, errs: []error{nil, &ProviderError{Provider: "p", HTTPStatus: 404}}}, pending("sent"), []string{"sent"}, &ProviderError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var changes []string
			got, err := Wait(context.Background(), tt.s, "id", WaitOptions{Interval: time.Millisecond, OnChange: func(s Report) { changes = append(changes, s.Raw) }})
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && err == nil {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want || !reflect.DeepEqual(changes, tt.changes) {
				t.Errorf("got %+v after %v, want %+v after %v", got, changes, tt.want, tt.changes)
			}
		})
	}
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	got, err := Wait(ctx, &script{ans: []Report{{State: StatePending, Raw: "sent"}}}, "id", WaitOptions{Interval: time.Millisecond})
	if !errors.Is(err, ErrNotFinal) || !errors.Is(err, context.DeadlineExceeded) || got.Raw != "sent" {
		t.Errorf("got %+v, %v", got, err)
	}
}

// stub is a Sender that fails with err or accepts with id.
type stub struct {
	name, id string
	err      error
	got      []Message
}

func (s *stub) Send(_ context.Context, m Message) (Receipt, error) {
	s.got = append(s.got, m)
	if s.err != nil {
		return Receipt{}, s.err
	}
	return Receipt{Provider: s.name, ID: s.id}, nil
}

func TestFailover(t *testing.T) {
	t.Parallel()
	e1 := &ProviderError{Provider: "twilio", Code: "21608", Message: "unverified"}
	a := &stub{name: "twilio", err: e1}
	b := &stub{id: "m-1"} // a sender that does not name itself: the route's name is used
	f := NewFailover(Route{"twilio", a}, Route{"telnyx", b})
	msg := Message{To: "+12015550123", Channel: SMS, Body: "code 1234", Code: "1234"}
	rc, err := f.Send(context.Background(), msg)
	if err != nil || rc.Provider != "telnyx" || rc.ID != "m-1" {
		t.Fatalf("Send = %+v, %v", rc, err)
	}
	if len(rc.Failed) != 1 || rc.Failed[0].Provider != "twilio" || rc.Failed[0].Channel != SMS || rc.Failed[0].Err != e1 {
		t.Errorf("Receipt.Failed = %+v, want twilio's error", rc.Failed)
	}
	if len(a.got) != 1 || len(b.got) != 1 || a.got[0] != msg || b.got[0] != msg {
		t.Errorf("the routes did not get the same message: %v / %v", a.got, b.got)
	}
	if _, err := f.Status(context.Background(), "m-1"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Status through a sender without lookups: %v", err)
	}
	if _, err := f.Status(context.Background(), "other"); err == nil {
		t.Error("Status of an unknown id: no error")
	}
	if got := f.Senders(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("Senders() = %v", got)
	}

	e2 := &ProviderError{Provider: "telnyx", Code: "10009", Message: "auth"}
	_, err = NewFailover(Route{"twilio", &stub{err: e1}}, Route{"telnyx", &stub{err: e2}}).Send(context.Background(), msg)
	var pe *ProviderError
	var fe *FailoverError
	if err == nil || err.Error() != "twilio 21608: unverified; then telnyx 10009: auth" || !errors.As(err, &pe) || !errors.Is(err, e2) {
		t.Errorf("err = %v", err)
	}
	if !errors.As(err, &fe) || len(fe.Attempts) != 2 || fe.Attempts[1].Provider != "telnyx" {
		t.Errorf("FailoverError = %+v", fe)
	}
	if _, err := NewFailover().Send(context.Background(), msg); err == nil {
		t.Error("a Failover without routes sent")
	}
}

// counter is a Sender and StatusChecker that hands out numbered ids.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) Send(context.Context, Message) (Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return Receipt{Provider: "c", ID: fmt.Sprint(c.n)}, nil
}

func (c *counter) Status(context.Context, string) (Report, error) {
	return Report{State: StateDelivered, Raw: "delivered"}, nil
}

func TestFailoverForgetsOldIDs(t *testing.T) {
	t.Parallel()
	f := NewFailover(Route{"c", &counter{}})
	for range maxOwned + 10 {
		if _, err := f.Send(context.Background(), Message{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Status(context.Background(), "1"); err == nil {
		t.Error("the oldest id is still remembered")
	}
	if _, err := f.Status(context.Background(), fmt.Sprint(maxOwned+10)); err != nil {
		t.Errorf("the newest id: %v", err)
	}
	if len(f.owner) != maxOwned || len(f.order) != maxOwned {
		t.Errorf("remembers %d ids (%d in order), want %d", len(f.owner), len(f.order), maxOwned)
	}
}
