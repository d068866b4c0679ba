// Command webverify is a small web app that verifies a phone number with
// otpkit: a page asks for the number and SMS or a call, a second page takes
// the code (with a countdown, the tries left, "resend" and "call me
// instead"), and a third says it worked. It uses only net/http and
// html/template.
//
// Run it with:
//
//	go run ./examples/webverify
//
// and open the URL it prints. By default codes go to an outbox file (a JSON
// line per message, path printed at start), so no provider account is needed;
// -provider console prints them instead.
//
// The handlers live in [newApp], which takes an [otp.Service]: a program that
// sends real messages builds the service with a real provider (say
// delivery/twilio) and passes it in; nothing else changes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	otpconfig "github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/console"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/memstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var usage usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "webverify:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "webverify:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	Addr     string // listen address
	Provider string // "outbox" or "console"
	Outbox   string // outbox file; empty: outbox.jsonl in a new temporary directory
	Store    string // file store path; empty: in memory
	Region   string // default country of the phone page and of numbers without +
	AppName  string // the name in the messages
	WebOTP   string // host for a WebOTP line in the SMS; empty: none
	Config   string // an otp configuration file; replaces Provider, Outbox and Store
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("webverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:0", "listen `address` (port 0: any free port)")
	fs.StringVar(&c.Provider, "provider", "outbox", "deliver codes to the outbox file or the console (stderr): outbox or console")
	fs.StringVar(&c.Outbox, "outbox", "", "outbox `file` (default: outbox.jsonl in a new temporary directory)")
	fs.StringVar(&c.Store, "store", "", "keep pending codes and limits in a file store at `file`, so they survive a restart (default: in memory)")
	fs.StringVar(&c.Region, "region", "US", "default `country` (ISO 3166 code) for numbers written without +")
	fs.StringVar(&c.AppName, "app-name", "Webverify", "the app's `name` in messages")
	fs.StringVar(&c.WebOTP, "webotp", "", "end each SMS with a WebOTP line for `host` (the site's host name) so browsers can fill the code in")
	fs.StringVar(&c.Config, "config", "", "use the otp command's configuration `file`: its providers (Twilio, Telnyx, ...), store, limits and templates")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: webverify [flags]\n\nServes a phone verification web app on 127.0.0.1 and prints its URL.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.Config != "" && (set["provider"] || set["outbox"] || set["store"]) {
		return c, errors.New("-config sets the provider and the store: leave out -provider, -outbox and -store")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Provider != "outbox" && c.Provider != "console" {
		return c, fmt.Errorf("unknown -provider %q (want outbox or console)", c.Provider)
	}
	if c.WebOTP != "" && !hostRE.MatchString(c.WebOTP) {
		return c, fmt.Errorf("-webotp %q is not a host name", c.WebOTP)
	}
	return c, nil
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// smsTemplate returns the SMS template, with a WebOTP last line
// ("@example.com #123456") when host is set.
func smsTemplate(base, host string) string {
	if base == "" {
		base = otp.DefaultSMSTemplate
	}
	if host == "" {
		return base
	}
	return base + "\n\n@" + host + " #{{.Code}}"
}

// newService builds the otp.Service from the configuration: this is the
// seam where a program picks a real store and provider. It returns the
// store as well, for the caller to close.
func newService(ctx context.Context, c config, stderr io.Writer) (*otp.Service, store.Store, error) {
	if c.Config != "" {
		return serviceFromConfig(ctx, c, stderr)
	}
	var sender delivery.Sender
	switch c.Provider {
	case "console":
		sender = console.New(stderr)
	default:
		sender = outbox.New(c.Outbox, nil)
	}
	var st store.Store = memstore.New()
	if c.Store != "" {
		// The app keeps the store open while it runs: if another process
		// has it, say so at once rather than wait.
		fst, err := filestore.Open(c.Store, &filestore.Options{LockTimeout: -1})
		if err != nil {
			return nil, nil, err
		}
		st = fst
	}
	svc, err := otp.New(context.Background(), st, sender, otp.Options{
		AppName:       c.AppName,
		DefaultRegion: c.Region,
		SMSTemplate:   smsTemplate("", c.WebOTP),
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st, nil
}

// serviceFromConfig builds the service as the otp command does from its
// configuration file: any provider (with the voice settings checked, since
// the app offers calls), the file or Redis store, the limits and templates.
func serviceFromConfig(ctx context.Context, c config, stderr io.Writer) (*otp.Service, store.Store, error) {
	cfg, err := otpconfig.Load(c.Config)
	if err != nil {
		return nil, nil, err
	}
	env := otpconfig.Env{Getenv: os.Getenv, Now: time.Now, Stderr: stderr}
	opts, err := cfg.Options(env)
	if err != nil {
		return nil, nil, err
	}
	opts.SMSTemplate = smsTemplate(opts.SMSTemplate, c.WebOTP)
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = c.Region
	}
	path, err := cfg.StorePath("", env)
	if err != nil {
		return nil, nil, err
	}
	routes, err := cfg.Routes(env, path, delivery.Auto)
	if err != nil {
		return nil, nil, err
	}
	st, err := cfg.OpenStore(ctx, env, path, false)
	if err != nil {
		return nil, nil, err
	}
	svc, err := otp.New(context.Background(), st, delivery.NewFailover(routes...), opts)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st, nil
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return usageError{err}
	}
	if c.Config == "" && c.Provider == "outbox" && c.Outbox == "" {
		dir, err := os.MkdirTemp("", "webverify-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.Outbox = filepath.Join(dir, "outbox.jsonl")
	}
	svc, st, err := newService(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "webverify: ", 0)
	srv := &http.Server{
		Handler:           newApp(svc, appConfig{Region: c.Region, Log: logger}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	if c.Store != "" {
		fmt.Fprintf(stderr, "webverify: pending codes are kept in %s\n", c.Store)
	}
	switch {
	case c.Config != "":
		fmt.Fprintf(stderr, "webverify: codes are sent as %s configures\n", c.Config)
	case c.Provider == "outbox":
		fmt.Fprintf(stderr, "webverify: codes go to %s (tail -f it to read them)\n", c.Outbox)
	default:
		fmt.Fprintln(stderr, "webverify: codes are printed here")
	}
	fmt.Fprintf(stderr, "webverify: open this URL in a browser; Ctrl-C stops\n")
	fmt.Fprintf(stdout, "http://%s/\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
