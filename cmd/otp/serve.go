package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/verifyapi"
	"github.com/spf13/cobra"
)

// newServeCmd is `otp serve`: a Twilio Verify v2-compatible API.
func newServeCmd(a *app, g *globalFlags) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a Twilio Verify v2-compatible API",
		Long: `otp serve answers Twilio's Verify v2 REST API (services, verifications, verification
checks) with otpkit's codes, limits, store and providers, so apps using Twilio's SDKs
switch by changing one base URL. Its settings are the [serve] section (see "otp help
config"): the address, the account sid and auth token clients send as HTTP Basic
credentials, and optional TLS files. Several otp serve processes on one store (Redis,
or one file on one machine) are one service: services and verifications are kept in
the store. A new verification for a number with a pending one re-sends and answers the
same verification, but with a NEW code (the store keeps only a hash of each code), which
replaces the old one. It prints "otp serve: listening on ADDR"
to stderr once it accepts connections, and stops on SIGTERM or SIGINT, letting
requests in flight finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd, g, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "address to listen on (default [serve] addr, $OTP_SERVE_ADDR or 127.0.0.1:8080)")
	return cmd
}

func (a *app) runServe(cmd *cobra.Command, g *globalFlags, addr string) error {
	e, err := a.load(g)
	if err != nil {
		return err
	}
	ss, err := e.cfg.ServeSettings(a.configEnv(), addr)
	if err != nil {
		return err
	}
	e.server = true
	// Twilio's CustomCode may have letters: the checks read them back.
	e.opts.CustomCodeLetters = true
	if err := e.open(cmd.Context(), a, g, &sendPlan{channel: "auto"}); err != nil {
		return err
	}
	defer e.close()
	docs, ok := e.store.(store.DocStore)
	if !ok {
		return usageErrorf("serve: the %T store cannot keep services and verifications", e.store)
	}
	m := verifyapi.NewMetrics()
	h, err := verifyapi.New(verifyapi.Config{AccountSID: ss.AccountSID, AuthToken: ss.AuthToken, OTP: e.svc, Docs: docs, Now: a.now, Metrics: m})
	if err != nil {
		return usageErrorf("serve: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(a.stderr, nil))
	srv := newHTTPServer(verifyapi.NewHTTPHandler(verifyapi.HTTPConfig{API: h, Store: e.store, Metrics: m, Logger: log}))
	if ss.TLSCert != "" {
		// Load the pair now, so a bad file fails the start, not every handshake.
		cert, err := tls.LoadX509KeyPair(ss.TLSCert, ss.TLSKey)
		if err != nil {
			return usageErrorf("serve: [serve] tls_cert/tls_key: %v", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", ss.Addr)
	if err != nil {
		return usageErrorf("serve: %v", err)
	}
	// A server runs for long: undo the command's lazy garbage collection
	// (internal/lazygc) unless the environment chose a setting.
	if a.getenv("GOGC") == "" && a.getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(a.stderr, "otp serve: listening on %s\n", ln.Addr())
	go purgeEvery(ctx, time.Hour, func() { _, _ = e.svc.Purge(ctx); _, _ = verifyapi.Purge(ctx, docs, a.now()) })
	return serveUntil(ctx, srv, ln, shutdownGrace)
}

// purgeEvery runs purge every interval until ctx ends: a long-running
// server keeps its store small without a cron job.
func purgeEvery(ctx context.Context, interval time.Duration, purge func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			purge()
		}
	}
}

// shutdownGrace is how long in-flight requests get to finish after
// SIGTERM or SIGINT.
const shutdownGrace = 15 * time.Second

// newHTTPServer returns the server otp serve runs h with: bounded reads,
// writes, idle connections and headers.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// serveUntil serves on ln until ctx ends, then shuts srv down: the
// listener closes at once (new connections are refused) and requests in
// flight get up to grace to finish.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
