// Package filestore is the default [store.Store] of otpkit: a file on local
// disk, shared safely by every otp process and goroutine on the machine.
//
// # Why bbolt
//
// The file is a go.etcd.io/bbolt database. bbolt keeps keys in a B+tree,
// so one operation costs O(log n) page reads: a store with a million numbers
// answers about as fast as one with a thousand. Its transactions are ACID
// and every commit is fsynced before it returns, so an operation that
// returned success survives a crash or power loss. Pages are copy-on-write
// and a commit becomes visible only when its meta page is written, so a
// crash mid-write leaves the previous state, never a torn record. And it is
// a single file with no server to run.
//
// # Files
//
// In the data file, bucket "meta" holds key "format" = "otpkit-store-v1",
// and bucket "records" maps each E.164 number to its [store.Record] in the
// record's binary form; a number with nothing left to remember has no key.
// A file that is not an otpkit store, is damaged, or comes from a newer
// format is reported with an error wrapping [store.ErrCorrupt] and left
// exactly as it was; an empty file is initialized. Beside it live
// "<path>.lock", the lock file, and "<path>.key", the secret key of the code
// hashes (see [Store.Secret]). All are mode 0600, and a directory that Open
// creates is mode 0700.
//
// # Processes and goroutines
//
// A [Store] holds an exclusive lock from [Open] to [Store.Close], so each
// otp command opens the store, does its operation and closes it, and
// concurrent commands take turns. The lock is a blocking flock on the lock
// file, so a waiting process wakes the moment the holder closes. Within a
// process, open the store once and share it between goroutines (a second
// Open of the same file waits for the first to close): concurrent
// operations are grouped into one transaction and one fsync (group
// commit), and a lone operation is not delayed.
//
// The lock is flock(2) on Unix systems and LockFileEx on Windows. The data
// file, key and lock are opened without following symbolic links, and on
// Unix a file owned by another user or writable by others is refused
// ([ErrInsecure]).
package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/store"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const (
	formatV1      = "otpkit-store-v1"
	formatPrefix  = "otpkit-store-"
	defaultWait   = 30 * time.Second
	maxBatch      = 256
	fileMode      = 0o600
	directoryMode = 0o700
)

var (
	metaBucket    = []byte("meta")
	formatKey     = []byte("format")
	recordsBucket = []byte("records")
)

// purgeChunk is how many records Purge visits per write transaction; a
// variable so tests can make chunks small.
var purgeChunk = 10_000

// Options configure [Open]. The zero value (or nil) means the defaults.
type Options struct {
	// LockTimeout is how long Open waits while another process has the
	// store open before it gives up with [ErrBusy]. Zero means 30 seconds;
	// a negative value means do not wait.
	LockTimeout time.Duration
	// NoSync skips the fsync of each commit. It is UNSAFE: a crash or power
	// loss can lose operations that returned success, or damage the file.
	// Use it only for tests and benchmarks.
	NoSync bool
}

// Store is a [store.Store] and [store.SecretKeeper] kept in one bbolt file.
// It is safe for concurrent use. Make one with [Open].
type Store struct {
	path string
	db   *bolt.DB
	lock *os.File

	ops  chan *op      // to the committer
	done chan struct{} // closed when the committer has exited

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed bool

	keyMu sync.Mutex
	key   []byte

	// The committer's (guard.go): the guard entries it last read or
	// committed, and its guard transaction, used again.
	gcache guardCache
	gtx    guardTx
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.SecretKeeper = (*Store)(nil)
)

// DefaultPath returns where the otp command keeps its store:
// $XDG_STATE_HOME/otpkit/otp.db, or ~/.local/state/otpkit/otp.db when
// XDG_STATE_HOME is unset (or, per the XDG spec, not an absolute path).
func DefaultPath() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "otpkit", "otp.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("filestore: default path: %w", err)
	}
	return filepath.Join(home, ".local", "state", "otpkit", "otp.db"), nil
}

// Open opens the store at path, creating it (and its directory, mode 0700)
// if needed; the file gets mode 0600. It waits up to opts.LockTimeout for
// another process to close the store, then fails with [ErrBusy]. A file that
// is not an otpkit store fails with an error wrapping [store.ErrCorrupt],
// and is not modified. A nil opts means the defaults.
func Open(path string, opts *Options) (*Store, error) {
	return OpenContext(context.Background(), path, opts)
}

// OpenContext is [Open] whose wait for the lock also ends when ctx is done
// (a SIGINT, a cancelled request), with an error wrapping ctx.Err().
func OpenContext(ctx context.Context, path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = defaultWait
	}
	if path == "" {
		return nil, errors.New("filestore: empty path")
	}
	deadline := time.Now().Add(o.LockTimeout)
	if err := os.MkdirAll(filepath.Dir(path), directoryMode); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	lock, err := lockFile(ctx, path+".lock", o.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &Store{path: path, lock: lock, ops: make(chan *op, maxBatch), done: make(chan struct{})}
	if s.db, err = s.openDB(o, deadline); err != nil {
		unlockFile(lock)
		return nil, err
	}
	go s.commit()
	return s, nil
}

// openDB opens the bbolt file while the caller holds the lock. An existing
// file is first inspected read-only, so nothing is written to a file that is
// not an otpkit store; a missing or empty one is initialized.
func (s *Store) openDB(o Options, deadline time.Time) (*bolt.DB, error) {
	bo := &bolt.Options{
		// Our own lock is held, so bbolt's polling lock is free unless a
		// program other than otpkit has the file open.
		Timeout:      max(time.Until(deadline), time.Nanosecond),
		FreelistType: bolt.FreelistMapType,
		NoSync:       o.NoSync,
	}
	fresh := true
	info, err := os.Lstat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("filestore: %w", err)
	case info.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("%s %w: %w", s.path, errSymlink, ErrInsecure)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", s.path)
	case info.Size() > 0:
		if err := checkPages(s.path, info.Size()); err != nil {
			return nil, err
		}
		if fresh, err = s.inspect(bo, info.Size()); err != nil {
			return nil, err
		}
	}
	db, err := s.boltOpen(bo)
	if err != nil {
		return nil, err
	}
	if fresh {
		err := s.guard(func() error {
			return db.Update(func(tx *bolt.Tx) error {
				if fresh, err := s.verify(tx); err != nil || !fresh {
					return err
				}
				meta, err := tx.CreateBucket(metaBucket)
				if err != nil {
					return err
				}
				if _, err := tx.CreateBucket(recordsBucket); err != nil {
					return err
				}
				return meta.Put(formatKey, []byte(formatV1))
			})
		})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: initialize: %w", s.path, err)
		}
	}
	return db, nil
}

// inspect opens an existing file read-only and reports whether it is a
// fresh bbolt file (no buckets) or an error if it is not an otpkit store.
func (s *Store) inspect(bo *bolt.Options, size int64) (fresh bool, err error) {
	ro := *bo
	ro.ReadOnly = true
	db, err := s.boltOpen(&ro)
	if err != nil {
		return false, err
	}
	defer db.Close()
	err = s.guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if tx.Size() > size {
				return fmt.Errorf("%s: truncated (%d of %d bytes): %w", s.path, size, tx.Size(), store.ErrCorrupt)
			}
			fresh, err = s.verify(tx)
			return err
		})
	})
	return fresh, err
}

// verify reports whether tx sees a fresh file (no buckets at all), and
// returns an error wrapping store.ErrCorrupt unless it is that or an otpkit
// store of this format.
func (s *Store) verify(tx *bolt.Tx) (fresh bool, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", s.path, fmt.Sprintf(format, args...), store.ErrCorrupt)
	}
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		if k, _ := tx.Cursor().First(); k != nil {
			return false, bad("a bbolt database of another program (no otpkit format marker)")
		}
		return true, nil
	}
	switch format := string(meta.Get(formatKey)); {
	case format == formatV1:
	case strings.HasPrefix(format, formatPrefix):
		return false, bad("format %q is newer than this otpkit understands (%q)", format, formatV1)
	default:
		return false, bad("unknown format marker %q", format)
	}
	if tx.Bucket(recordsBucket) == nil {
		return false, bad("records bucket missing")
	}
	return false, nil
}

// boltOpen is bolt.Open, guarded: if bbolt panics half-way through, the
// file it opened (and locked) is closed.
func (s *Store) boltOpen(bo *bolt.Options) (db *bolt.DB, err error) {
	var file *os.File
	o := *bo
	o.OpenFile = func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := openNoFollow(name, flag, mode)
		file = f
		return f, err
	}
	if err := s.guard(func() (err error) { db, err = bolt.Open(s.path, fileMode, &o); return err }); err != nil {
		if file != nil {
			file.Close() // a second Close is harmless
		}
		return nil, s.openError(err)
	}
	return db, nil
}

// openError classifies an error of bolt.Open: the file could not be opened
// or locked, or it is not a bbolt file.
func (s *Store) openError(err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return err
	case errors.Is(err, ErrInsecure):
		return err
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%s: %w (locked by a program other than otpkit)", s.path, ErrBusy)
	case errors.As(err, &pe):
		return fmt.Errorf("filestore: %w", err)
	}
	if errors.Is(err, berrors.ErrInvalid) {
		return fmt.Errorf("%s: not a bbolt database: %w", s.path, store.ErrCorrupt)
	}
	return fmt.Errorf("%s: not a bbolt database (%v): %w", s.path, err, store.ErrCorrupt)
}

// guard runs fn, turning a panic into an error wrapping store.ErrCorrupt:
// bbolt panics on some damaged pages, and a damaged page reference can make
// it read outside the mapped file, which SetPanicOnFault turns into a panic.
// bbolt rolls back a transaction that panics, so recovering here is safe.
func (s *Store) guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w (panic: %v)", s.path, store.ErrCorrupt, r)
		}
	}()
	return fn()
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// op is one read-modify-write of a record, run by the committer.
type op struct {
	ctx    context.Context
	number string
	fn     func(*store.Record) // applies a rule and keeps its result; safe to re-run
	// guard, when set instead of fn, is an UpdateGuard (guard.go).
	guard *guardOp
	// step and gfn, when set instead of fn, are a guarded Issue or Check
	// (guard.go): gfn changes the record and the step's entries and says
	// whether the entries are to be written; if it fails, nothing is.
	step *store.GuardStep
	gfn  func(*store.Record, []*store.GuardEntry) (bool, error)
	// doc, when set instead of fn, is a document write (docs.go).
	doc  *docOp
	err  error
	done chan struct{}
}

// do runs fn on the number's record in a write transaction, through the
// committer, and waits for its commit.
func (s *Store) do(ctx context.Context, number string, fn func(*store.Record)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if number == "" {
		return errors.New("filestore: empty number")
	}
	return s.submit(&op{ctx: ctx, number: number, fn: fn})
}

// submit queues o for the committer and waits for its commit.
func (s *Store) submit(o *op) error {
	o.done = make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	s.ops <- o
	s.mu.RUnlock()
	<-o.done
	return o.err
}

// commit is the committer goroutine: natural group commit. It waits for an
// operation, takes whatever else is already queued without waiting, and
// runs them all in one transaction, so a lone operation is not delayed and
// under load batches form while the previous commit syncs.
func (s *Store) commit() {
	defer close(s.done)
	batch := make([]*op, 0, maxBatch)
	for first := range s.ops {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.run(batch)
		for _, o := range batch {
			close(o.done)
		}
	}
}

// run applies a batch in one transaction. If that transaction fails, each
// operation is run again in its own, so one bad record (or a write error on
// one page) fails only the operations that touch it.
func (s *Store) run(batch []*op) {
	if len(batch) > 1 && s.guard(func() error { return s.apply(batch) }) == nil {
		return
	}
	for i, o := range batch {
		if err := s.guard(func() error { return s.apply(batch[i : i+1]) }); err != nil {
			o.err = err
		}
	}
}

// apply runs ops in one write transaction. An operation on an undecodable
// record gets an error and changes nothing, without failing the others; an
// error of the transaction itself is returned. A transaction that changed
// nothing is rolled back, saving the fsync.
func (s *Store) apply(ops []*op) error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	b := tx.Bucket(recordsBucket)
	changed := false
	gt := s.gtx.begin(s, tx)
	for _, o := range ops {
		if o.err = o.ctx.Err(); o.err != nil {
			continue
		}
		if o.guard != nil {
			s.applyGuard(gt, o)
			continue
		}
		if o.doc != nil {
			c, err := applyDoc(tx, o)
			if err != nil {
				return err
			}
			changed = changed || c
			continue
		}
		key := []byte(o.number)
		old := b.Get(key)
		var rec store.Record
		if old != nil {
			if err := unmarshalRecord(old, &rec); err != nil {
				o.err = fmt.Errorf("%s: number %s: %w", s.path, o.number, err)
				continue
			}
		}
		if o.gfn != nil {
			entries, err := gt.load(o.step.Now, o.step.Keys)
			if err != nil {
				o.err = err
				continue
			}
			write, err := o.gfn(&rec, entries)
			if err != nil {
				o.err = err
				continue
			}
			if write {
				gt.keep(o.step.Now, o.step.Keys, entries)
			}
		} else {
			o.fn(&rec)
		}
		if rec.Empty() {
			if old != nil {
				if err := b.Delete(key); err != nil {
					return err
				}
				changed = true
			}
			continue
		}
		val := marshalRecord(&rec)
		if !bytes.Equal(val, old) {
			if err := b.Put(key, val); err != nil {
				return err
			}
			changed = true
		}
	}
	c, err := gt.flush()
	if err != nil {
		gt.settle(false)
		return err
	}
	if !changed && !c {
		gt.settle(true)
		return nil
	}
	err = tx.Commit()
	gt.settle(err == nil)
	return err
}

// Issue implements [store.Store].
func (s *Store) Issue(ctx context.Context, req store.IssueRequest) (res store.IssueResult, err error) {
	err = s.do(ctx, req.Number, func(r *store.Record) { res = r.Issue(req) })
	return res, err
}

// Check implements [store.Store].
func (s *Store) Check(ctx context.Context, req store.CheckRequest) (res store.CheckResult, err error) {
	err = s.do(ctx, req.Number, func(r *store.Record) { res = r.Check(req) })
	return res, err
}

// Cancel implements [store.Store].
func (s *Store) Cancel(ctx context.Context, req store.CancelRequest) error {
	return s.do(ctx, req.Number, func(r *store.Record) { r.Cancel(req) })
}

// Get implements [store.Store]. It is a read-only transaction, which runs
// alongside writes.
func (s *Store) Get(ctx context.Context, number string) (rec store.Record, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Record{}, false, store.ErrClosed
	}
	err = s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(recordsBucket).Get([]byte(number))
			if v == nil {
				return nil
			}
			if err := unmarshalRecord(v, &rec); err != nil {
				return fmt.Errorf("%s: number %s: %w", s.path, number, err)
			}
			ok = true
			return nil
		})
	})
	if err != nil {
		return store.Record{}, false, err
	}
	return rec, ok, nil
}

// Purge implements [store.Store]. It walks the records in chunks, one write
// transaction each, so its memory is bounded and other operations get turns
// between chunks. A damaged record is left in place: Purge carries on with
// the others and then returns their count with an error wrapping
// [store.ErrCorrupt]. If ctx is cancelled, it returns the count so far.
func (s *Store) Purge(ctx context.Context, req store.PurgeRequest) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, store.ErrClosed
	}
	total, damaged := 0, 0
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var c purgeChunkResult
		if err := s.guard(func() (err error) { c, err = s.purgeChunk(req, after); return err }); err != nil {
			return total, err
		}
		total += c.purged
		damaged += c.damaged
		if c.last == nil {
			break
		}
		after = c.last
	}
	if damaged > 0 {
		return total, fmt.Errorf("%s: purge left %d damaged records in place: %w", s.path, damaged, store.ErrCorrupt)
	}
	return total, nil
}

type purgeChunkResult struct {
	purged, damaged int
	last            []byte // the last key visited, or nil at the end of the records
}

// purgeChunk purges up to purgeChunk records after the key after (from the
// first if nil) in one write transaction.
func (s *Store) purgeChunk(req store.PurgeRequest, after []byte) (res purgeChunkResult, err error) {
	tx, err := s.db.Begin(true)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	b := tx.Bucket(recordsBucket)
	type change struct{ key, val []byte } // val nil: delete
	var changes []change
	c := b.Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for n := 0; k != nil && n < purgeChunk; k, v = c.Next() {
		n++
		res.last = append(res.last[:0], k...)
		var rec store.Record
		if unmarshalRecord(v, &rec) != nil {
			res.damaged++
			continue
		}
		sends, locked := len(rec.Sends), rec.LockedUntil
		cleared, empty := rec.Purge(req)
		switch {
		case empty:
			changes = append(changes, change{bytes.Clone(k), nil})
		case cleared || len(rec.Sends) != sends || !rec.LockedUntil.Equal(locked): // all that Purge changes
			val := marshalRecord(&rec)
			changes = append(changes, change{bytes.Clone(k), val})
		}
		if cleared || empty {
			res.purged++
		}
	}
	if k == nil {
		res.last = nil
	}
	// Change after the walk: a bbolt cursor can skip keys if changes are
	// made while it walks. Deleting through one re-seeked cursor does what
	// Bucket.Delete does without making a cursor per key.
	for _, ch := range changes {
		if ch.val != nil {
			err = b.Put(ch.key, ch.val)
		} else if k, _ := c.Seek(ch.key); bytes.Equal(k, ch.key) {
			err = c.Delete()
		}
		if err != nil {
			return purgeChunkResult{}, err
		}
	}
	if len(changes) == 0 {
		return res, nil
	}
	if err := tx.Commit(); err != nil {
		return purgeChunkResult{}, err
	}
	return res, nil
}

// Close implements [store.Store]: it waits for operations in flight,
// closes the file and releases the lock, so another process can open the
// store. Calling Close again does nothing and returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.ops)
	<-s.done
	err := s.db.Close()
	unlockFile(s.lock)
	if err != nil {
		return fmt.Errorf("%s: close: %w", s.path, err)
	}
	return nil
}
