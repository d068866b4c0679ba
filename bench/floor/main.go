// Command floor is the reference that bench/run.sh compares the otp command
// with: a program that links the same packages as cmd/otp, so the same
// package initialisation runs at start (libphonenumber's metadata alone takes
// several milliseconds), and then does one durable write: it opens the file
// named by its argument, appends one line, fsyncs and closes it.
//
// No otp command can be faster than this floor: it starts the same binary
// code and makes one write reach the disk, which every otp send or verify
// must also do. The test in package bench checks that floor links every
// package cmd/otp does.
package main

import (
	"fmt"
	"os"

	// The packages cmd/otp imports, for their initialisation; config links
	// the stores and the providers.
	_ "github.com/otpkit/otpkit/config"
	_ "github.com/otpkit/otpkit/delivery"
	_ "github.com/otpkit/otpkit/internal/lazygc"
	_ "github.com/otpkit/otpkit/internal/termsafe"
	_ "github.com/otpkit/otpkit/otp"
	_ "github.com/otpkit/otpkit/probe"
	_ "github.com/otpkit/otpkit/store"
	_ "github.com/otpkit/otpkit/verifyapi"
	_ "github.com/spf13/cobra"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor FILE")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// write appends one line to the file at path and fsyncs it.
func write(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("floor\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
