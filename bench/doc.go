// Package bench holds otpkit's end-to-end benchmarks: Send+Verify pairs per
// second through [otp.Service] on each store, from 1 and from 64 goroutines.
// The store-level benchmarks (latency against 1,000 to 1,000,000 records,
// purge of a million records) live beside the file store in
// store/filestore.
//
// Run them all, with the command-line timings against a floor binary, and
// get one table of figures and ratios:
//
//	bash bench/run.sh
//
// Or only the library benchmarks:
//
//	go test -run '^$' -bench . ./bench
//
// The directory floor holds the floor binary that run.sh compares the otp
// command with.
package bench
