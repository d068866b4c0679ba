package tests

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/store/filestore"
	bolt "go.etcd.io/bbolt"
)

// long is set by OTPKIT_LONG=1 for bigger runs than the default ones.
var long = os.Getenv("OTPKIT_LONG") != ""

var binDir string // where otpBinary builds the otp command

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("tests: the reliability tests are skipped with -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "otpkit-reliability")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var build struct {
	once sync.Once
	path string
	err  error
}

// otpBinary returns the otp command, built on first use with go build, as
// a user would build it but with the otptestclock tag (its clock is
// $OTP_TEST_NOW, which otpCmd sets to the test clock's base) (without -race: the processes are many, and their
// concurrency is between processes, not goroutines). It reads the module's
// Go files, so that go test's cache knows this package's results depend on
// them: the test binary itself does not link cmd/otp.
func otpBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			build.err = err
			return
		}
		if build.err = readSources(root); build.err != nil {
			return
		}
		gocmd, err := exec.LookPath("go")
		if err != nil {
			build.err = fmt.Errorf("the reliability tests build the otp command and need go on PATH: %w", err)
			return
		}
		path := filepath.Join(binDir, "otp")
		cmd := exec.Command(gocmd, "build", "-tags", "otptestclock", "-o", path, "./cmd/otp")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/otp: %v\n%s", err, out)
			return
		}
		build.path = path
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// readSources reads go.mod, go.sum and every non-test Go file of the module.
func readSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root:
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"), d.Name() == "go.mod", d.Name() == "go.sum":
			_, err := os.ReadFile(path)
			return err
		}
		return nil
	})
}

// result is how one otp process ended.
type result struct {
	code           int // exit code; -1 if killed by a signal
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// otpCmd returns an otp command run in dir, with an environment that
// points nothing at the user's own files.
func otpCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(otpBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"OTP_TEST_NOW=+0s", // the test clock's base: see cmd/otp/clock_testbuild.go
		testclock.EnvBase + "=" + testclock.Base().Format(time.RFC3339Nano),
	}
	return cmd
}

// runOtp runs otp with args in dir, with stdin if it is not nil.
func runOtp(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	cmd := otpCmd(t, dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("otp %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// checkBolt runs bbolt's own consistency check on the store file at path
// and checks that the file store opens it.
func checkBolt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("bbolt cannot open the store: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := filestore.Open(path, nil)
	if err != nil {
		t.Fatalf("the file store does not open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
