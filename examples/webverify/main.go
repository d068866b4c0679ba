// Command webverify is a small web app that verifies a phone number with
// otpkit: a page asks for the number and SMS or a call, a second page takes
// the code (with a countdown, the tries left, "resend" and "call me
// instead"), and a third says it worked. It uses only net/http and
// html/template.
//
// Run it with:
//
//	cd examples && go run ./webverify
//
// and open the URL it prints. By default codes go to an outbox file (a JSON
// line per message, path printed at start), so no provider account is needed;
// -provider console prints them instead.
//
// It limits the codes one browser session and one client address may send
// in an hour (-session-sends, -client-sends) and answers 429 past them.
// Those budgets are in memory and are only a stopgap: a public deployment
// needs an abuse guard in front (see README.md).
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
	"net/netip"
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

	SessionSends   int           // sends per session in SendWindow; 0: no limit
	ClientSends    int           // sends per client address in SendWindow; 0: no limit
	SendWindow     time.Duration // the budgets' sliding window
	TrustedProxies string        // comma-separated proxies whose X-Forwarded-For is believed
	proxies        []netip.Prefix
}

// envDefaults are the environment variables that set a flag's default.
var envDefaults = map[string]string{
	"session-sends":   "WEBVERIFY_SESSION_SENDS",
	"client-sends":    "WEBVERIFY_CLIENT_SENDS",
	"send-window":     "WEBVERIFY_SEND_WINDOW",
	"trusted-proxies": "WEBVERIFY_TRUSTED_PROXIES",
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
	fs.IntVar(&c.SessionSends, "session-sends", 5, "at most `n` codes per browser session in -send-window, to any numbers (0: no limit; env WEBVERIFY_SESSION_SENDS)")
	fs.IntVar(&c.ClientSends, "client-sends", 20, "at most `n` codes per client address (IPv6: per /64) in -send-window (0: no limit; env WEBVERIFY_CLIENT_SENDS)")
	fs.DurationVar(&c.SendWindow, "send-window", time.Hour, "the sliding `window` of -session-sends and -client-sends (env WEBVERIFY_SEND_WINDOW)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "believe X-Forwarded-For only from these reverse proxies: comma-separated `addresses` or prefixes (env WEBVERIFY_TRUSTED_PROXIES; default none: the header is ignored)")
	for name, env := range envDefaults {
		if v, ok := os.LookupEnv(env); ok {
			if err := fs.Set(name, v); err != nil {
				return c, fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: webverify [flags]\n\nServes a phone verification web app on 127.0.0.1 and prints its URL.\n\nFlags:")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	if err != nil {
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
	if c.SessionSends < 0 || c.ClientSends < 0 {
		return c, errors.New("-session-sends and -client-sends must be 0 (no limit) or more")
	}
	if c.SendWindow <= 0 {
		return c, fmt.Errorf("-send-window %v must be positive", c.SendWindow)
	}
	if c.proxies, err = parseProxies(c.TrustedProxies); err != nil {
		return c, fmt.Errorf("-trusted-proxies: %w", err)
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
	st, err := cfg.OpenStore(ctx, env, path, otpconfig.StoreServer)
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

// serverLimits bound what one connection may hold of the server.
type serverLimits struct {
	ReadHeader     time.Duration // to read a request's header
	Read           time.Duration // to read a whole request, body included
	Write          time.Duration // from the end of the header to the end of the response
	Idle           time.Duration // a kept-alive connection waiting for its next request
	MaxHeaderBytes int           // a larger header is answered 431
}

// sendTimeout bounds a send (appConfig.SendTimeout); it fits in
// defaultLimits.Write, so the visitor normally sees the answer.
const sendTimeout = 20 * time.Second

// defaultLimits are the server's limits: a client that sends a header and
// then no body (or only part of it) is cut off after Read, not kept.
var defaultLimits = serverLimits{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          sendTimeout + 10*time.Second,
	Idle:           60 * time.Second,
	MaxHeaderBytes: 16 << 10,
}

// newServer returns the HTTP server for h with the limits l. (The app
// limits the bodies it reads to maxBody.)
func newServer(h http.Handler, l serverLimits, logger *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          logger,
	}
}

// noLimit turns a flag's 0 (no limit) into appConfig's -1.
func noLimit(n int) int {
	if n == 0 {
		return -1
	}
	return n
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
	srv := newServer(newApp(svc, appConfig{
		Region: c.Region, Log: logger,
		SessionSends: noLimit(c.SessionSends), ClientSends: noLimit(c.ClientSends), SendWindow: c.SendWindow,
		TrustedProxies: c.proxies, SendTimeout: sendTimeout,
	}), defaultLimits, logger)
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
