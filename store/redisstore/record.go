package redisstore

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/store"
)

// A record is kept as one printable string, written by the Lua scripts:
//
//	v1|<expires at>|<used 0/1>|<attempts>|<locked until>|<send,send,...>|<hash in lowercase hex>
//
// Times are Unix milliseconds, 0 for none; sends are oldest first. For example
// a code sent at 09:30 and tried once wrongly:
//
//	v1|1795426800000|0|1|0|1795426200000|9f86d08...
//
// decodeRecord accepts exactly what the scripts' load function accepts.

// maxMs is the last millisecond of the year 9999. The store takes times from
// 1970 to 9999, which keeps every stored time within 15 digits and every
// sum the scripts make exact in a Lua number.
var maxMs = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1

// msOf converts t to Unix milliseconds (0 for the zero time).
func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// timeOf converts Unix milliseconds back (0 to the zero time).
func timeOf(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// durMs converts a policy duration to milliseconds, rounding a positive
// duration up so that a limit that is on stays on.
func durMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// field parses one integer field: 1 to 15 decimal digits, as the scripts do.
func field(s string) (int64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// decodeRecord parses a stored value. Anything the scripts would not write
// is an error wrapping [store.ErrCorrupt].
func decodeRecord(v string) (store.Record, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", store.ErrCorrupt, what) }
	f := strings.Split(v, "|")
	if len(f) != 7 || f[0] != "v1" {
		return store.Record{}, bad("not an otpkit record")
	}
	var r store.Record
	exp, ok1 := field(f[1])
	att, ok2 := field(f[3])
	lock, ok3 := field(f[4])
	if !ok1 || !ok2 || !ok3 || (f[2] != "0" && f[2] != "1") {
		return store.Record{}, bad("bad field")
	}
	r.ExpiresAt, r.Used, r.Attempts, r.LockedUntil = timeOf(exp), f[2] == "1", int(att), timeOf(lock)
	if f[5] != "" {
		for s := range strings.SplitSeq(f[5], ",") {
			t, ok := field(s)
			if !ok {
				return store.Record{}, bad("bad send time")
			}
			r.Sends = append(r.Sends, timeOf(t))
		}
	}
	if f[6] != "" {
		h, err := hex.DecodeString(f[6])
		if err != nil || strings.ContainsAny(f[6], "ABCDEF") {
			return store.Record{}, bad("bad hash")
		}
		r.Hash = h
	}
	return r, nil
}
