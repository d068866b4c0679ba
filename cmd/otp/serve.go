package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otpkit/otpkit/verifyapi"
	"github.com/spf13/cobra"
)

// newServeCmd is `otp serve`: a Twilio Verify v2-compatible API.
func newServeCmd(a *app, g *globalFlags) *cobra.Command {
	addr := "127.0.0.1:8080"
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a Twilio Verify v2-compatible API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd, g, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "address to listen on")
	return cmd
}

func (a *app) runServe(cmd *cobra.Command, g *globalFlags, addr string) error {
	sid, token := a.getenv("OTP_SERVE_ACCOUNT_SID"), a.getenv("OTP_SERVE_AUTH_TOKEN")
	if !verifyapi.ValidSid("AC", sid) {
		return usageErrorf("serve: OTP_SERVE_ACCOUNT_SID must be AC followed by 32 hex digits")
	}
	if token == "" {
		return usageErrorf("serve: OTP_SERVE_AUTH_TOKEN is not set")
	}
	e, err := a.load(g)
	if err != nil {
		return err
	}
	if err := e.open(cmd.Context(), a, g, &sendPlan{channel: "auto"}); err != nil {
		return err
	}
	defer e.close()
	m := verifyapi.NewMetrics()
	h, err := verifyapi.New(verifyapi.Config{AccountSID: sid, AuthToken: token, OTP: e.svc, Now: a.now, Metrics: m})
	if err != nil {
		return usageErrorf("serve: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(a.stderr, nil))
	srv := newHTTPServer(verifyapi.NewHTTPHandler(verifyapi.HTTPConfig{API: h, Store: e.store, Metrics: m, Logger: log}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, srv, ln, shutdownGrace)
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
	go func() { errc <- srv.Serve(ln) }()
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
