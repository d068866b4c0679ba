// Command image builds and checks the `otp serve` container image without a
// Docker daemon or a registry on the network (.ci/image.sh runs it):
//
//	image build -ko KO -out FILE -version V -platform linux/amd64
//	image check FILE
//	image smoke FILE
//
// build makes the base image itself (only /etc/passwd and /etc/group with the
// nonroot user, uid 65532, the CA bundle of the build machine, /tmp, the
// nonroot home and /var/lib/otpkit), serves it from an in-memory registry on
// loopback, runs `ko build --push=false --tarball` on ./cmd/otp against it,
// and writes the result, with the entry point `otp serve --addr :8080` that
// ko cannot set, as a `docker load` tarball tagged otpkit/otp:VERSION.
// check reads such a tarball and fails unless its configuration and files
// are what docs/release.md promises. smoke runs the image's files in a chroot
// (smoke.go).
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed facts, checked by check.
const (
	uid      = 65532
	user     = "65532:65532"
	storeDir = "/var/lib/otpkit"
	home     = "/home/nonroot"
	port     = "8080/tcp"
	appPath  = "/ko-app/otp"
)

var (
	entrypoint = []string{appPath, "serve"}
	cmdArgs    = []string{"--addr", "0.0.0.0:8080"}
	// env is the base's environment: the file store lands in
	// $XDG_STATE_HOME/otpkit/otp.db, that is /var/lib/otpkit/otp.db.
	env = []string{
		"HOME=" + home,
		"XDG_STATE_HOME=/var/lib",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	}
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("image: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: image build|check|smoke ...")
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "check":
		err = check(os.Args[2:])
	case "smoke":
		err = smoke(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want build, check or smoke)", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	ko := fs.String("ko", "ko", "the ko binary")
	out := fs.String("out", "", "the docker-load tarball to write")
	version := fs.String("version", "dev", "the image tag and otp's version")
	platform := fs.String("platform", "linux/amd64", "os/arch of the image")
	certs := fs.String("certs", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to put in the image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("build: -out is required")
	}
	p, err := v1.ParsePlatform(*platform)
	if err != nil {
		return fmt.Errorf("build: -platform: %w", err)
	}
	base, err := baseImage(*certs, *p)
	if err != nil {
		return fmt.Errorf("build: base image: %w", err)
	}

	// An in-memory registry on loopback, for ko to take the base from.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	ref, err := name.ParseReference(ln.Addr().String() + "/otpkit/base:latest")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := remote.Write(ref, base); err != nil {
		return fmt.Errorf("build: pushing the base to the loopback registry: %w", err)
	}

	tmp, err := os.MkdirTemp("", "otp-image-")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)
	koTar := filepath.Join(tmp, "ko.tar")
	cmd := exec.Command(*ko, "build", "--push=false", "--tarball="+koTar, "--platform="+*platform,
		"--bare", "--tags="+*version, "--sbom=none", "./cmd/otp")
	cmd.Env = append(os.Environ(),
		"KO_DEFAULTBASEIMAGE="+ref.String(), // overrides .ko.yaml's defaultBaseImage
		"KO_DOCKER_REPO=otpkit/otp",
		"OTP_VERSION="+*version,
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build: ko build: %w", err)
	}

	img, err := tarball.ImageFromPath(koTar, nil)
	if err != nil {
		return fmt.Errorf("build: reading ko's tarball: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	cf = cf.DeepCopy()
	if !slices.Equal(cf.Config.Entrypoint, []string{appPath}) {
		return fmt.Errorf("build: ko's entry point is %q, want [%s]", cf.Config.Entrypoint, appPath)
	}
	cf.Config.Entrypoint = entrypoint
	cf.Config.Cmd = cmdArgs
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	tag, err := name.NewTag("otpkit/otp:" + strings.ReplaceAll(*version, "+", "-"))
	if err != nil {
		return fmt.Errorf("build: tag: %w", err)
	}
	if err := tarball.WriteToFile(*out, tag, img); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	fmt.Printf("%s %s %s\n", *out, tag, d)
	return nil
}

// baseImage is the whole base: one layer of files, the user, the volume,
// the environment.
func baseImage(certsPath string, p v1.Platform) (v1.Image, error) {
	certs, err := os.ReadFile(certsPath)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(certs, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("%s holds no certificate", certsPath)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	dir := func(name string, mode int64, owner int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: epoch})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	steps := []error{
		dir("etc", 0o755, 0),
		file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")),
		file("etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")),
		dir("etc/ssl", 0o755, 0),
		dir("etc/ssl/certs", 0o755, 0),
		file("etc/ssl/certs/ca-certificates.crt", 0o644, certs),
		dir("tmp", 0o1777, 0),
		dir("home", 0o755, 0),
		dir("home/nonroot", 0o700, uid),
		dir("var", 0o755, 0),
		dir("var/lib", 0o755, 0),
		dir("var/lib/otpkit", 0o700, uid),
		tw.Close(),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: epoch}
	cf.Config.User = user
	cf.Config.WorkingDir = home
	cf.Config.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, env...)
	cf.Config.Volumes = map[string]struct{}{storeDir: {}}
	cf.Config.ExposedPorts = map[string]struct{}{port: {}}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "otp serve",
		"org.opencontainers.image.source":      "https://github.com/otpkit/otpkit",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.description": "otpkit's Twilio Verify v2-compatible API",
	}
	return mutate.ConfigFile(img, cf)
}

func check(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: image check FILE")
	}
	img, err := tarball.ImageFromPath(args[0], nil)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	c := cf.Config
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if !slices.Equal(c.Entrypoint, entrypoint) {
		bad("entry point %q, want %q", c.Entrypoint, entrypoint)
	}
	if !slices.Equal(c.Cmd, cmdArgs) {
		bad("cmd %q, want %q", c.Cmd, cmdArgs)
	}
	if u, _, _ := strings.Cut(c.User, ":"); u == "" || u == "0" || u == "root" {
		bad("user %q runs as root", c.User)
	} else if c.User != user {
		bad("user %q, want %q", c.User, user)
	}
	if _, ok := c.Volumes[storeDir]; !ok || len(c.Volumes) != 1 {
		bad("volumes %v, want only %s", c.Volumes, storeDir)
	}
	if _, ok := c.ExposedPorts[port]; !ok {
		bad("exposed ports %v, want %s", c.ExposedPorts, port)
	}
	for _, e := range env {
		if !slices.Contains(c.Env, e) {
			bad("environment %q lacks %s", c.Env, e)
		}
	}
	if cf.OS != "linux" {
		bad("os %q, want linux", cf.OS)
	}

	// The files: the binary, no shell, and the store directory owned by
	// the user, as the store refuses a directory it does not own.
	files := map[string]*tar.Header{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("check: reading the image's files: %w", err)
		}
		files[path.Clean("/"+h.Name)] = h
	}
	if h, ok := files[appPath]; !ok || h.Typeflag != tar.TypeReg || h.Mode&0o111 == 0 {
		bad("no executable %s", appPath)
	}
	for _, sh := range []string{"/bin/sh", "/bin/bash", "/usr/bin/sh", "/bin/busybox"} {
		if _, ok := files[sh]; ok {
			bad("%s is in the image: it should hold no shell", sh)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "/bin/") || strings.HasPrefix(f, "/usr/") || strings.HasPrefix(f, "/sbin/") {
			bad("%s is in the image: it should hold only otp and its data", f)
		}
	}
	if h, ok := files[storeDir]; !ok || h.Typeflag != tar.TypeDir || h.Uid != uid || h.Mode&0o077 != 0 {
		bad("%s is not a directory of uid %d with mode 0700", storeDir, uid)
	}
	if h, ok := files["/tmp"]; !ok || h.Mode&0o1777 != 0o1777 {
		bad("no /tmp with mode 1777")
	}
	if _, ok := files["/etc/ssl/certs/ca-certificates.crt"]; !ok {
		bad("no CA bundle")
	}
	if _, ok := files["/etc/passwd"]; !ok {
		bad("no /etc/passwd")
	}
	if len(problems) > 0 {
		return fmt.Errorf("check: %s: %s", args[0], strings.Join(problems, "; "))
	}
	fmt.Printf("%s: entry point %q %q, user %s, volume %s, port %s, %d files, no shell\n",
		args[0], c.Entrypoint, c.Cmd, c.User, storeDir, port, len(files))
	return nil
}
