package bench_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestFloorLinksWhatOtpLinks: the floor binary must run the same package
// initialisation as the otp command, or the comparison in run.sh flatters
// otp. It imports every non-standard package that cmd/otp imports, and so
// links all they link. When cmd/otp gains an import, add it to
// floor/main.go.
func TestFloorLinksWhatOtpLinks(t *testing.T) {
	otp, err := build.ImportDir("../cmd/otp", 0)
	if err != nil {
		t.Fatal(err)
	}
	floor, err := build.ImportDir("floor", 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range otp.Imports {
		if first, _, _ := strings.Cut(p, "/"); !strings.Contains(first, ".") {
			continue // the standard library
		}
		n++
		if !slices.Contains(floor.Imports, p) {
			t.Errorf("cmd/otp imports %s but bench/floor does not: add it to bench/floor/main.go", p)
		}
	}
	if n == 0 {
		t.Fatal("found no imports of cmd/otp outside the standard library")
	}
}
