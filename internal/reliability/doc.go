// Package reliability holds otpkit's load, crash, abuse and bad-input
// tests. They run the real otp command, built once from cmd/otp, as many
// concurrent processes, and the library from many goroutines, and check
// the store afterwards: no lost update, no code accepted twice, no limit
// exceeded, nothing lost to a kill -9, and a clear error for damaged
// stores. One more test checks that an otp run starts no garbage
// collection. The package has no code of its own.
//
//	go test -race ./internal/reliability
//	OTPKIT_LONG=1 go test ./internal/reliability  # bigger runs
package reliability
