package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// smoke runs the image as a container runtime would, without one: it
// unpacks the image's files into a temporary root, starts the entry point
// and cmd chrooted there as the image's user, with the image's environment
// and working directory (plus the two serve credentials, and --addr moved to
// a free loopback port), then starts a verification, reads the code the
// console provider prints, checks it, and stops the server with SIGTERM.
// It needs root (chroot, setuid) and a linux/amd64-runnable image.
func smoke(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: image smoke FILE")
	}
	img, err := tarball.ImageFromPath(args[0], nil)
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	root, err := os.MkdirTemp("", "otp-rootfs-")
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o755); err != nil { // "/" for the user
		return fmt.Errorf("smoke: %w", err)
	}
	if err := unpack(img, root); err != nil {
		return fmt.Errorf("smoke: unpacking: %w", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	argv := append(append(append([]string{}, cf.Config.Entrypoint...), cf.Config.Cmd...), "--addr", addr)
	sid, token := "AC0123456789abcdef0123456789abcdef", "smoke-token"
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append([]string{}, cf.Config.Env...), "OTP_SERVE_ACCOUNT_SID="+sid, "OTP_SERVE_AUTH_TOKEN="+token)
	cmd.Dir = cf.Config.WorkingDir
	var uid, gid uint32
	if _, err := fmt.Sscanf(cf.Config.User, "%d:%d", &uid, &gid); err != nil {
		return fmt.Errorf("smoke: user %q is not uid:gid", cf.Config.User)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	var stderr syncBuffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("smoke: starting %q in the image's root: %w", argv, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()

	base := "http://" + addr
	c := &http.Client{Timeout: 5 * time.Second}
	up := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r, err := c.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			up = r.StatusCode == http.StatusOK
			break
		}
	}
	if !up {
		return fmt.Errorf("smoke: otp serve did not answer /healthz: %s", stderr.String())
	}
	post := func(p string, form url.Values, want int) (map[string]any, error) {
		req, _ := http.NewRequest(http.MethodPost, base+p, strings.NewReader(form.Encode()))
		req.SetBasicAuth(sid, token)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer r.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != want {
			return nil, fmt.Errorf("POST %s: %d %s (want %d); server: %s", p, r.StatusCode, b, want, stderr.String())
		}
		return m, json.Unmarshal(b, &m)
	}
	to := "+12015550123"
	svc, err := post("/v2/Services", url.Values{"FriendlyName": {"smoke"}}, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	svcSid, _ := svc["sid"].(string)
	if _, err := post("/v2/Services/"+svcSid+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}}, http.StatusCreated); err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	m := regexp.MustCompile(`\[console\] sms to \+12015550123: .*\b(\d{6})\b`).FindStringSubmatch(stderr.String())
	if m == nil {
		return fmt.Errorf("smoke: no code on the console: %s", stderr.String())
	}
	v, err := post("/v2/Services/"+svcSid+"/VerificationCheck", url.Values{"To": {to}, "Code": {m[1]}}, http.StatusOK)
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	if v["status"] != "approved" {
		return fmt.Errorf("smoke: the check's status is %v, want approved", v["status"])
	}
	db := filepath.Join(root, storeDir, "otp.db")
	st, err := os.Stat(db)
	if err != nil {
		return fmt.Errorf("smoke: the store is not in the volume: %w", err)
	}
	if s, ok := st.Sys().(*syscall.Stat_t); !ok || s.Uid != uid {
		return fmt.Errorf("smoke: %s is not owned by uid %d", db, uid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("smoke: otp serve after SIGTERM: %w: %s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		return errors.New("smoke: otp serve did not stop within 15s of SIGTERM")
	}
	fmt.Printf("%s: otp serve ran as %s in the image's root: healthz, a verification approved, store %s, clean stop on SIGTERM\n",
		args[0], cf.Config.User, filepath.Join(storeDir, "otp.db"))
	return nil
}

// unpack writes the image's flattened files under root, with their owners
// and modes (it runs as root).
func unpack(img v1.Image, root string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(root, filepath.Clean("/"+h.Name))
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
			continue
		default:
			continue
		}
		if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
			return err
		}
		if err := os.Chmod(p, mode|stickyOf(h.Mode)); err != nil {
			return err
		}
	}
}

// stickyOf maps tar's sticky bit (01000) to Go's.
func stickyOf(m int64) os.FileMode {
	if m&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

// syncBuffer is the server's output, written by the process's copier and
// read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
