package main

import (
	"context"
	"errors"
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
	h, err := verifyapi.New(verifyapi.Config{AccountSID: sid, AuthToken: token, OTP: e.svc, Now: a.now})
	if err != nil {
		return usageErrorf("serve: %v", err)
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
