package console_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
)

func TestSend(t *testing.T) {
	var buf bytes.Buffer
	s := console.New(&buf)
	r, err := s.Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.Voice, Body: "Your code is: 1, 2.\nBye", Code: "12"})
	if err != nil || r.Provider != "console" || r.ID == "" {
		t.Fatalf("Send = %+v, %v", r, err)
	}
	if want := "[console] voice to +12015550123: Your code is: 1, 2. Bye\n"; buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
}

func TestStatus(t *testing.T) {
	s := console.New(&bytes.Buffer{})
	r, err := s.Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.SMS, Body: "b", Code: "1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(context.Background(), r.ID)
	if err != nil || st.State != delivery.StateDelivered {
		t.Errorf("Status(%q) = %+v, %v", r.ID, st, err)
	}
	if _, err := s.Status(context.Background(), "SM123"); err == nil {
		t.Error("Status of a foreign id: no error")
	}
}
