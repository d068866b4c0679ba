package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWorse(t *testing.T) {
	t.Parallel()
	order := []int{exitOK, exitLocked, exitRateLimited, exitUndelivered, exitDelivery, exitUsage, exitStore}
	for i, a := range order {
		for j, b := range order {
			want := a
			if j > i {
				want = b
			}
			if got := worse(a, b); got != want {
				t.Errorf("worse(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "numbers.txt")
	os.WriteFile(path, []byte("# routes\n+12015550101\n\n  +1 201 555 0102   # office\n"), 0o600)
	a := newApp(strings.NewReader("+12015550103\n"), nil, nil, func(string) string { return "" }, time.Now)
	got, err := a.targets(&sendOptions{to: []string{"+12015550100"}, toFile: path})
	if err != nil {
		t.Fatal(err)
	}
	want := []target{{raw: "+12015550100"}, {raw: "+12015550101", where: path + ":2"}, {raw: "+1 201 555 0102", where: path + ":4"}}
	if len(got) != len(want) {
		t.Fatalf("targets %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := parseTargets(got, ""); err != nil || got[2].number != "+12015550102" {
		t.Errorf("parseTargets: %v, %+v", err, got)
	}
	got, err = a.targets(&sendOptions{toFile: "-"})
	if err != nil || len(got) != 1 || got[0].where != "stdin:1" {
		t.Errorf("stdin: %+v, %v", got, err)
	}
	dup := []target{{raw: "+12015550101", where: "f:1"}, {raw: "+1 (201) 555-0101", where: "f:7"}}
	if err := parseTargets(dup, ""); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "f:7: +12015550101 is listed twice (also f:1)") {
		t.Errorf("duplicate: %v", err)
	}
}
