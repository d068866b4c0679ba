package console_test

import (
	"context"
	"fmt"
	"os"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
)

func Example() {
	c := console.New(os.Stdout) // the otp command writes to stderr
	rcpt, err := c.Send(context.Background(), delivery.Message{
		To: "+12015550123", Channel: delivery.Voice, Body: "Your code is: 4, 8, 2, 9, 1, 3.", Code: "482913",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rcpt.Provider, rcpt.Status)
	// Output:
	// [console] voice to +12015550123: Your code is: 4, 8, 2, 9, 1, 3.
	// console delivered
}
