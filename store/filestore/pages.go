package filestore

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	"github.com/otpkit/otpkit/store"
)

// bbolt's on-disk layout, as far as checkPages reads it (bbolt's
// internal/common: page.go and meta.go; little-endian on every platform
// Go supports that bbolt runs on).
const (
	pageHeaderSize   = 16 // id uint64, flags uint16, count uint16, overflow uint32
	metaMagic        = 0xED0CDAED
	freelistPageFlag = 0x10
	noFreelist       = ^uint64(0) // bbolt's pgidNoFreelist
)

// boltMeta is what checkPages needs of a meta page.
type boltMeta struct {
	pageSize             uint32
	root, freelist, high uint64 // high: the first page id past the end
	txid                 uint64
}

// readMeta reads and checks the meta page at off; ok is false if it is not
// a valid meta page (bbolt then uses the other one).
func readMeta(f io.ReaderAt, off int64) (m boltMeta, ok bool) {
	b := make([]byte, pageHeaderSize+64)
	if _, err := f.ReadAt(b, off); err != nil {
		return m, false
	}
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(b[16:72])
	if le.Uint32(b[16:]) != metaMagic || h.Sum64() != le.Uint64(b[72:]) {
		return m, false
	}
	return boltMeta{pageSize: le.Uint32(b[24:]), root: le.Uint64(b[32:]), freelist: le.Uint64(b[48:]), high: le.Uint64(b[56:]), txid: le.Uint64(b[64:])}, true
}

// checkPages checks what bbolt trusts when it opens a file for writing
// against the file itself: the meta page's page ids against the file's
// size, and the freelist page's count and ids against its page and the
// meta's high-water mark. bbolt loads the freelist it is given as it is,
// so four damaged bytes there (a count of 0x7fffffff) made it allocate
// memory until the machine ran out. A file that fails is reported as
// damaged (store.ErrCorrupt) and never opened for writing.
func checkPages(path string, size int64) error {
	bad := func(what string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", path, fmt.Sprintf(what, args...), store.ErrCorrupt)
	}
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	defer f.Close()
	m0, ok0 := readMeta(f, 0)
	var m1 boltMeta
	ok1 := false
	if ok0 && m0.pageSize >= 512 && m0.pageSize <= 1<<20 {
		m1, ok1 = readMeta(f, int64(m0.pageSize))
	}
	m := m0
	switch {
	case !ok0 && !ok1:
		return nil // not a bbolt file at all: bbolt's own open says so
	case ok1 && (!ok0 || m1.txid > m0.txid):
		m = m1
	}
	ps := uint64(m.pageSize)
	if ps < 512 || ps > 1<<20 || ps&(ps-1) != 0 {
		return bad("page size %d", ps)
	}
	pages := uint64(size) / ps
	if m.high < 4 || m.high > pages {
		return bad("truncated (%d pages claimed, %d in the file)", m.high, pages)
	}
	if m.root < 2 || m.root >= m.high {
		return bad("root page %d out of range", m.root)
	}
	if m.freelist == noFreelist {
		return nil
	}
	if m.freelist < 2 || m.freelist >= m.high {
		return bad("freelist page %d out of range", m.freelist)
	}
	hdr := make([]byte, pageHeaderSize+8)
	if _, err := f.ReadAt(hdr, int64(m.freelist*ps)); err != nil {
		return bad("freelist page unreadable")
	}
	le := binary.LittleEndian
	flags, count, overflow := le.Uint16(hdr[8:]), uint64(le.Uint16(hdr[10:])), uint64(le.Uint32(hdr[12:]))
	start := uint64(pageHeaderSize)
	if flags&freelistPageFlag == 0 {
		return bad("page %d is not a freelist page", m.freelist)
	}
	if count == 0xFFFF { // the real count is the first element
		count, start = le.Uint64(hdr[16:]), start+8
	}
	span := (overflow + 1) * ps
	if m.freelist+overflow+1 > m.high || count > (span-start)/8 {
		return bad("freelist page %d claims %d free pages in %d bytes", m.freelist, count, span)
	}
	ids := make([]byte, count*8)
	if _, err := f.ReadAt(ids, int64(m.freelist*ps+start)); err != nil {
		return bad("freelist page unreadable")
	}
	for i := uint64(0); i < count; i++ {
		if id := le.Uint64(ids[i*8:]); id < 2 || id >= m.high {
			return bad("freelist holds page %d, out of range", id)
		}
	}
	return nil
}
