package redisstore

import (
	"context"
	"strings"
	"testing"
)

// TestBadURLHidesPassword: a malformed URL is refused without repeating it,
// so a password in it never reaches an error (and so stderr or --json).
func TestBadURLHidesPassword(t *testing.T) {
	const pw = "S3cretPassw0rd"
	for _, u := range []string{
		"redis://:" + pw + "@127.0.0.1:63799x/0",   // bad port
		"redis://:" + pw + " x@127.0.0.1:6379/0",   // a space
		"redis://:" + pw + "%zz@127.0.0.1:6379/0",  // a bad escape
		"redis://user:" + pw + "@127.0.0.1:6379/x", // bad database
		"ftp://:" + pw + "@127.0.0.1:6379/0",       // not redis
	} {
		_, err := Open(context.Background(), Options{URL: u})
		if err == nil {
			t.Errorf("%q: opened", u)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "%zz") || strings.Contains(err.Error(), "S3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "redis store: bad url") {
			t.Errorf("%q: error %v, want a bad url", u, err)
		}
	}
}
