package filestore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/otpkit/otpkit/store"
)

// Binary encoding, version 1:
//
//	byte     version (1)
//	byte     flags (bit 0: used)
//	int64    expires at, Unix ns (0: none)
//	int64    locked until, Unix ns (0: none)
//	uvarint  attempts
//	uvarint  number of sends, then each send time as int64 Unix ns
//	uvarint  hash length, then the hash
const recordVersion = 1

// maxRecordSends bounds the send history a decoded record may claim, so a
// damaged record cannot make a decoder allocate without limit.
const maxRecordSends = 1 << 16

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// marshalRecord encodes r in the file store's compact binary form.
func marshalRecord(r *store.Record) []byte {
	b := make([]byte, 0, 2+8+8+2+2+8*len(r.Sends)+1+len(r.Hash))
	var flags byte
	if r.Used {
		flags |= 1
	}
	b = append(b, recordVersion, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(r.ExpiresAt)))
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(r.LockedUntil)))
	b = binary.AppendUvarint(b, uint64(r.Attempts))
	b = binary.AppendUvarint(b, uint64(len(r.Sends)))
	for _, s := range r.Sends {
		b = binary.BigEndian.AppendUint64(b, uint64(unixNano(s)))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Hash)))
	b = append(b, r.Hash...)
	return b
}

// unmarshalRecord decodes a record encoded by marshalRecord into r.
// Anything else, including a truncated or extended encoding, is an error
// wrapping [store.ErrCorrupt].
func unmarshalRecord(b []byte, r *store.Record) error {
	bad := func(what string) error { return fmt.Errorf("%w: bad record: %s", store.ErrCorrupt, what) }
	if len(b) < 18 {
		return bad("too short")
	}
	if b[0] != recordVersion {
		return bad(fmt.Sprintf("unknown version %d", b[0]))
	}
	if b[1]&^1 != 0 {
		return bad("unknown flags")
	}
	var out store.Record
	out.Used = b[1]&1 != 0
	out.ExpiresAt = fromUnixNano(int64(binary.BigEndian.Uint64(b[2:])))
	out.LockedUntil = fromUnixNano(int64(binary.BigEndian.Uint64(b[10:])))
	b = b[18:]
	attempts, n := binary.Uvarint(b)
	if n <= 0 || attempts > 1<<31 {
		return bad("attempts")
	}
	out.Attempts = int(attempts)
	b = b[n:]
	sends, n := binary.Uvarint(b)
	if n <= 0 || sends > maxRecordSends || uint64(len(b)-n) < sends*8 {
		return bad("sends")
	}
	b = b[n:]
	if sends > 0 {
		out.Sends = make([]time.Time, sends)
		for i := range out.Sends {
			out.Sends[i] = fromUnixNano(int64(binary.BigEndian.Uint64(b)))
			b = b[8:]
		}
	}
	hl, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) != hl {
		return bad("hash")
	}
	if hl > 0 {
		out.Hash = append([]byte(nil), b[n:]...)
	}
	*r = out
	return nil
}
