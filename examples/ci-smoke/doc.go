// Package cismoke is the SMS-routing smoke test example. Its working parts
// are not Go: smoke.sh sends a code to every number in a list with one
// "otp send --to-file FILE --wait --json", keeps otp's JSON lines, prints a
// table of what each route did and exits with otp's exit code, non-zero when
// any route did not deliver; workflow.yml runs it on GitHub Actions with a
// real provider. probe.sh checks routes by what arrived instead, with one
// "otp probe --to-file FILE" to numbers the receiving account owns. See
// README.md.
//
// The package's test runs smoke.sh against the outbox provider and against a
// local fake of Twilio's API, so "go test ./..." checks the example as a user
// would run it.
package cismoke
