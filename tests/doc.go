// Package tests holds otpkit's reliability tests: load, crash, abuse and
// bad input. They run the real otp command, built once from cmd/otp, as
// many concurrent processes, and the library from many goroutines on the
// file store and on two Redis clients, and check the store afterwards: no
// lost update, no code accepted twice, no limit exceeded, nothing lost to a
// kill -9, and a clear error, with the file untouched, for damaged stores.
// The package has no code of its own; -short skips it.
//
//	go test -race ./tests
//	OTPKIT_LONG=1 go test ./tests  # bigger runs
package tests
