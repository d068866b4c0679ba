// Package lazygc, imported for its side effect by a short-lived command,
// keeps the garbage collector off until the heap reaches 64 MiB, unless
// GOGC or GOMEMLIMIT are set.
//
// An otp command runs for a few milliseconds and allocates a few megabytes,
// most of them libphonenumber's metadata while packages initialise; a
// collection then only marks that metadata again, and took about a fifth of
// the CPU time of an otp send. The setting is made in this package's init,
// before the command's main function runs. Packages that initialise before
// this one (Go orders them by import path) may still allocate enough to
// start one collection, under load; the rest of the run makes none. A long
// run, such as a send to many numbers, still collects once past 64 MiB.
//
// Long-running programs should not import it.
package lazygc

import (
	"os"
	"runtime/debug"
)

func init() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(64 << 20)
	}
}
