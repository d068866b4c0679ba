package delivery_test

import (
	"errors"
	"fmt"

	"github.com/otpkit/otpkit/delivery"
)

func ExampleParseChannel() {
	ch, err := delivery.ParseChannel("voice")
	fmt.Println(ch == delivery.Voice, err)

	_, err = delivery.ParseChannel("fax")
	fmt.Println(errors.Is(err, delivery.ErrUnknownChannel), err)
	// Output:
	// true <nil>
	// true unknown channel "fax" (want sms, voice or auto)
}
