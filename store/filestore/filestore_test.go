package filestore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestMain(m *testing.M) {
	// With no umask, the modes the tests see are exactly the ones the
	// store asks for.
	syscall.Umask(0)
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	code := m.Run()
	cleanupFixtures()
	os.Exit(code)
}

var (
	ctx    = context.Background()
	base   = testclock.Base().Truncate(time.Millisecond)
	policy = store.Policy{MaxAttempts: 5, Lockout: 10 * time.Minute, ResendAfter: 30 * time.Second, MaxSends: 5, SendWindow: time.Hour}
)

const (
	num1 = "+12015550101"
	num2 = "+12015550102"
)

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func issueReq(number, code string, now time.Time) store.IssueRequest {
	return store.IssueRequest{Number: number, Hash: hash(code), Now: now, ExpiresAt: now.Add(10 * time.Minute), Policy: policy}
}

func checkReq(number, code string, now time.Time) store.CheckRequest {
	return store.CheckRequest{Number: number, Hash: hash(code), Now: now, Policy: policy}
}

func open(t testing.TB, path string, opts *filestore.Options) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := filestore.Open(filepath.Join(t.TempDir(), "otp.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPersistsAcrossOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	s := open(t, path, nil)
	if res, err := s.Issue(ctx, issueReq(num1, "123456", base)); err != nil || res.Outcome != store.Issued {
		t.Fatalf("Issue = %v, %v", res.Outcome, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, nil)
	if res, err := s.Check(ctx, checkReq(num1, "123456", base.Add(time.Second))); err != nil || res.Outcome != store.Approved {
		t.Fatalf("Check after reopen = %v, %v; want Approved", res.Outcome, err)
	}
	if s.Path() != path {
		t.Fatalf("Path() = %q, want %q", s.Path(), path)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "otpkit")
	path := filepath.Join(dir, "otp.db")
	s := open(t, path, nil)
	if _, err := s.Secret(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Dir(dir), os.ModeDir | 0o700},
		{dir, os.ModeDir | 0o700},
		{path, 0o600},
		{path + ".lock", 0o600},
		{path + ".key", 0o600},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, fi.Mode(), tc.mode)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("HOME", "/home/ann")
	for _, tc := range []struct{ xdg, want string }{
		{"/var/state", "/var/state/otpkit/otp.db"},
		{"", "/home/ann/.local/state/otpkit/otp.db"},
		{"relative/dir", "/home/ann/.local/state/otpkit/otp.db"}, // the XDG spec says ignore it
	} {
		t.Setenv("XDG_STATE_HOME", tc.xdg)
		if got, err := filestore.DefaultPath(); err != nil || got != tc.want {
			t.Errorf("XDG_STATE_HOME=%q: DefaultPath() = %q, %v; want %q", tc.xdg, got, err, tc.want)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "otp.db"), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if _, err := s.Secret(ctx); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Secret after Close = %v, want ErrClosed", err)
	}
	if err := s.Cancel(ctx, store.CancelRequest{Number: num1}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Cancel after Close = %v, want ErrClosed", err)
	}
}

// TestCloseWaitsForOperations closes the store while many operations are in
// flight: each either completes or reports ErrClosed, and the completed ones
// are in the file.
func TestCloseWaitsForOperations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	s := open(t, path, nil)
	var wg sync.WaitGroup
	issued := make([]bool, 200)
	for i := range issued {
		wg.Go(func() {
			_, err := s.Issue(ctx, issueReq(fmt.Sprintf("+1201555%04d", i), "1", base))
			switch {
			case err == nil:
				issued[i] = true
			case !errors.Is(err, store.ErrClosed):
				t.Error(err)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s = open(t, path, nil)
	for i, ok := range issued {
		if _, found, err := s.Get(ctx, fmt.Sprintf("+1201555%04d", i)); err != nil || found != ok {
			t.Fatalf("number %d: issued %v, but after reopen found %v (err %v)", i, ok, found, err)
		}
	}
}

func TestLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	holder := open(t, path, nil)

	for _, wait := range []time.Duration{-1, 20 * time.Millisecond} {
		_, err := filestore.Open(path, &filestore.Options{LockTimeout: wait})
		if !errors.Is(err, filestore.ErrBusy) {
			t.Fatalf("Open with LockTimeout %v while another holds the store: err %v, want ErrBusy", wait, err)
		}
	}
	// A waiter is let in as soon as the holder closes.
	opened := make(chan error)
	go func() {
		s, err := filestore.Open(path, &filestore.Options{LockTimeout: 10 * time.Second})
		if err == nil {
			err = s.Close()
		}
		opened <- err
	}()
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open waiting for the holder: %v", err)
	}
	// The Open that timed out above left a goroutine waiting for the lock;
	// it must have released the lock when it got it, or this blocks and
	// fails with ErrBusy.
	s, err := filestore.Open(path, &filestore.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open after the timed-out waiter got the lock: %v", err)
	}
	s.Close()
}

// TestLockFile: the store holds an exclusive flock on "<path>.lock" from
// Open to Close, and takes it before it touches the data file, so the
// waiting happens on that blocking lock and never in bbolt's polling one.
func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	// Someone else holds the lock: Open waits, and has not created the file.
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := filestore.Open(path, &filestore.Options{LockTimeout: 20 * time.Millisecond}); !errors.Is(err, filestore.ErrBusy) {
		t.Fatalf("Open while the lock file is locked: err %v, want ErrBusy", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open touched the data file without holding the lock: %v", err)
	}
	t.Run("held from Open to Close", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "otp.db")
		s := open(t, p, nil)
		f, err := os.OpenFile(p+".lock", os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Fatalf("lock file while the store is open: flock = %v, want EWOULDBLOCK", err)
		}
		s.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Fatalf("lock file after Close: flock = %v, want it free", err)
		}
	})
}

// TestReadsDoNotWrite: Get, and operations that change no record, leave
// the file as it was (no commit, no fsync).
func TestReadsDoNotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	s := open(t, path, nil)
	if _, err := s.Issue(ctx, issueReq(num1, "1", base)); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)
	for range 3 {
		if _, ok, err := s.Get(ctx, num1); err != nil || !ok {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		if res, err := s.Check(ctx, checkReq(num2, "1", base)); err != nil || res.Outcome != store.NoCode {
			t.Fatalf("Check of an unknown number = %v, %v", res.Outcome, err)
		}
		if err := s.Cancel(ctx, store.CancelRequest{Number: num1, Hash: hash("other"), SentAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	if fileHash(t, path) != before {
		t.Fatal("reads changed the file")
	}
}

// TestForeignLockOnDataFile: a program other than otpkit holding bbolt's
// own lock on the file makes Open fail with ErrBusy after LockTimeout
// instead of waiting forever.
func TestForeignLockOnDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	open(t, path, nil).Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := filestore.Open(path, &filestore.Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, filestore.ErrBusy) {
		t.Fatalf("Open while bbolt holds the file: err %v, want ErrBusy", err)
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "otp.db")
	s := open(t, path, nil)
	k1, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
		t.Fatalf("Secret = %d bytes %x, want 32 random bytes", len(k1), k1)
	}
	file, err := os.ReadFile(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x\n", k1); string(file) != want {
		t.Fatalf("key file holds %q, want the key in hex and a newline", file)
	}
	k1[0] ^= 0xff // the caller's copy
	s.Close()
	s = open(t, path, nil)
	k2, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k1[0] ^= 0xff; !bytes.Equal(k1, k2) {
		t.Fatal("Secret changed across Open")
	}
	other := open(t, filepath.Join(dir, "other.db"), nil)
	if k3, err := other.Secret(ctx); err != nil || bytes.Equal(k3, k2) {
		t.Fatalf("another store's Secret = %x, %v; want a different key", k3, err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(entries) > 0 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestSecretBadKeyFile(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"short", strings.Repeat("ab", 31) + "\n"},
		{"long", strings.Repeat("ab", 33) + "\n"},
		{"not hex", strings.Repeat("zz", 32) + "\n"},
		{"raw bytes", strings.Repeat("\x01", 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "otp.db")
			if err := os.WriteFile(path+".key", []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := open(t, path, nil)
			if _, err := s.Secret(ctx); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Secret with key file %q: err %v, want ErrCorrupt", tc.content, err)
			}
			if got, _ := os.ReadFile(path + ".key"); string(got) != tc.content {
				t.Fatalf("key file changed to %q", got)
			}
		})
	}
}

// fileHash is the SHA-256 of the file at path.
func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// writeBolt makes a bbolt file at path and runs fn in a write transaction.
func writeBolt(t *testing.T, path string, opts *bolt.Options, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// makeStore makes an otpkit store at path with n pending codes.
func makeStore(t *testing.T, path string, n int) {
	t.Helper()
	s := open(t, path, nil)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.Issue(ctx, issueReq(fmt.Sprintf("+1201555%04d", i), "1", base)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func setFormat(format string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte(format)) }
}

func TestDamagedOrForeignFile(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string // in the error message
	}{
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			rand.Read(b)
			os.WriteFile(path, b, 0o600)
		}, "not a bbolt database"},
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("milk\neggs\nbread\n"), 0o644)
		}, "not a bbolt database"},
		{"truncated store", func(t *testing.T, path string) {
			makeStore(t, path, 2000)
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"store with both meta pages overwritten", func(t *testing.T, path string) {
			makeStore(t, path, 10)
			f, _ := os.OpenFile(path, os.O_WRONLY, 0)
			defer f.Close()
			f.WriteAt(bytes.Repeat([]byte{0xa5}, 8192), 0)
		}, "not a bbolt database"},
		{"bbolt file of another program", func(t *testing.T, path string) {
			writeBolt(t, path, nil, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("sprocket"), []byte("42"))
			})
		}, "another program"},
		{"bbolt file of another program without a synced freelist", func(t *testing.T, path string) {
			// Opening this read-write would rewrite its freelist.
			writeBolt(t, path, &bolt.Options{NoFreelistSync: true}, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("widgets"))
				return err
			})
		}, "another program"},
		{"store from a newer format", func(t *testing.T, path string) {
			makeStore(t, path, 1)
			writeBolt(t, path, nil, setFormat("otpkit-store-v2"))
		}, `format "otpkit-store-v2" is newer`},
		{"unknown format marker", func(t *testing.T, path string) {
			makeStore(t, path, 1)
			writeBolt(t, path, nil, setFormat("something"))
		}, "unknown format"},
		{"records bucket missing", func(t *testing.T, path string) {
			makeStore(t, path, 1)
			writeBolt(t, path, nil, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("records")) })
		}, "records bucket missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "otp.db")
			tc.make(t, path)
			before := fileHash(t, path)
			s, err := filestore.Open(path, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(msg, path) || !strings.Contains(strings.ReplaceAll(msg, path, ""), tc.want) {
				t.Fatalf("Open: %v\nwant an error wrapping ErrCorrupt naming the file and saying %q", err, tc.want)
			}
			if fileHash(t, path) != before {
				t.Fatal("the failed Open changed the file")
			}
			if _, err := os.Stat(path + ".key"); err == nil {
				t.Fatal("the failed Open made a key file")
			}
			// The failed Open released its lock.
			if _, err := filestore.Open(path, &filestore.Options{LockTimeout: -1}); errors.Is(err, filestore.ErrBusy) {
				t.Fatalf("second Open: %v", err)
			}
		})
	}
}

// TestEmptyFileIsInitialized: a 0-byte file holds nothing to lose.
func TestEmptyFileIsInitialized(t *testing.T) {
	for _, name := range []string{"empty file", "bbolt file without buckets"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "otp.db")
			if name == "empty file" {
				os.WriteFile(path, nil, 0o600)
			} else {
				writeBolt(t, path, nil, func(tx *bolt.Tx) error { return nil })
			}
			s := open(t, path, nil)
			if _, err := s.Issue(ctx, issueReq(num1, "1", base)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNotARegularFile(t *testing.T) {
	path := t.TempDir() // a directory
	if _, err := filestore.Open(path, nil); err == nil || errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Open(a directory) = %v, want an error that is not ErrCorrupt", err)
	}
}

// TestDamagedRecord: a record that does not decode fails the operations on
// its number with ErrCorrupt, stays as it is, and does not affect others.
func TestDamagedRecord(t *testing.T) {
	const bad = "+12015550199"
	path := filepath.Join(t.TempDir(), "otp.db")
	makeStore(t, path, 0)
	writeBolt(t, path, nil, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("records")).Put([]byte(bad), []byte("not a record"))
	})
	s := open(t, path, nil)
	if _, err := s.Issue(ctx, issueReq(bad, "1", base)); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Issue on the damaged record: %v, want ErrCorrupt naming the number", err)
	}
	if _, err := s.Check(ctx, checkReq(bad, "1", base)); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Check on the damaged record: %v, want ErrCorrupt", err)
	}
	if err := s.Cancel(ctx, store.CancelRequest{Number: bad, Hash: hash("1"), SentAt: base}); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Cancel on the damaged record: %v, want ErrCorrupt", err)
	}
	if _, _, err := s.Get(ctx, bad); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Get of the damaged record: %v, want ErrCorrupt", err)
	}
	// Other numbers work, also when their operations share a commit with one on the damaged record.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			number := fmt.Sprintf("+1201555%04d", i)
			if _, err := s.Issue(ctx, issueReq(number, "1", base)); err != nil {
				t.Error(err)
			}
			if res, err := s.Check(ctx, checkReq(number, "1", base)); err != nil || res.Outcome != store.Approved {
				t.Errorf("Check(%s) = %v, %v", number, res.Outcome, err)
			}
		})
		wg.Go(func() {
			if _, err := s.Check(ctx, checkReq(bad, "1", base)); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Check on the damaged record: %v, want ErrCorrupt", err)
			}
		})
	}
	wg.Wait()
	// Purge clears the others and leaves the damaged one, saying so.
	n, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(2 * time.Hour), Policy: policy})
	if n != 50 || !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Purge = %d, %v; want 50 and ErrCorrupt", n, err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("records")).Get([]byte(bad)); string(v) != "not a record" {
			t.Errorf("damaged record is now %q, want it left alone", v)
		}
		if n := tx.Bucket([]byte("records")).Stats().KeyN; n != 1 {
			t.Errorf("%d records after purge, want only the damaged one", n)
		}
		return nil
	})
}

// TestDamagedPage: a page that bbolt cannot read makes the operations that
// need it fail with ErrCorrupt rather than crash the program, and the rest
// of the store still works.
func TestDamagedPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	const n = 600
	makeStore(t, path, n)
	// Find a leaf page of the records, and overwrite it.
	var pageSize, leaf int
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		pageSize = db.Info().PageSize
		for id := 2; ; id++ {
			p, err := tx.Page(id)
			if err != nil || p == nil {
				t.Fatalf("no leaf page found: %v", err)
			}
			if p.Type == "leaf" && p.Count > 10 {
				leaf = id
				return nil
			}
		}
	})
	db.Close()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(bytes.Repeat([]byte{0xff}, pageSize), int64(leaf*pageSize))
	f.Close()

	s := open(t, path, nil)
	var broken, fine int
	for i := range n {
		number := fmt.Sprintf("+1201555%04d", i)
		_, _, gerr := s.Get(ctx, number)
		res, cerr := s.Check(ctx, checkReq(number, "1", base.Add(time.Second)))
		switch {
		case gerr == nil && cerr == nil && res.Outcome == store.Approved:
			fine++
		case errors.Is(gerr, store.ErrCorrupt) && errors.Is(cerr, store.ErrCorrupt):
			broken++
		default:
			t.Fatalf("%s: Get err %v, Check %v err %v", number, gerr, res.Outcome, cerr)
		}
	}
	if broken == 0 || fine == 0 {
		t.Fatalf("%d numbers broken, %d fine; want some of each", broken, fine)
	}
}
