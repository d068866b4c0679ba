// Command verifyserve is an app that verifies phone numbers with Twilio
// Verify through the official twilio-go SDK, and runs unchanged against
// otp serve: only the Verify base URL differs.
//
//	# against otp serve (see docs/serve.md), with its credentials
//	export TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=...
//	go run ./verifyserve -verify-url http://127.0.0.1:8080 -to '+12015550123'
//
// It creates a Verify service (or uses -service), sends a code by SMS,
// reads the code typed on stdin and checks it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/twilio/twilio-go/client"
	verify "github.com/twilio/twilio-go/rest/verify/v2"
)

func main() {
	fs := flag.NewFlagSet("verifyserve", flag.ContinueOnError)
	verifyURL := fs.String("verify-url", "https://verify.twilio.com", "the Verify API's origin: Twilio's, or otp serve's")
	to := fs.String("to", "", "the phone number to verify, in E.164 (required)")
	service := fs.String("service", "", "the Verify service sid (default: create one)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	cfg := config{VerifyURL: *verifyURL, To: *to, Service: *service,
		AccountSID: os.Getenv("TWILIO_ACCOUNT_SID"), AuthToken: os.Getenv("TWILIO_AUTH_TOKEN")}
	if err := run(context.Background(), cfg, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "verifyserve:", err)
		os.Exit(1)
	}
}

type config struct {
	VerifyURL, To, Service, AccountSID, AuthToken string
}

// toOrigin sends the SDK's requests for verify.twilio.com to another
// origin: twilio-go has no base-URL setting, so this is the one change a
// Go app makes to use otp serve.
type toOrigin struct{ u *url.URL }

func (t toOrigin) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.u.Scheme, t.u.Host, t.u.Host
	return http.DefaultTransport.RoundTrip(r)
}

// newVerify returns the SDK's Verify v2 API for cfg.
func newVerify(cfg config) (*verify.ApiService, error) {
	u, err := url.Parse(cfg.VerifyURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-verify-url %q is not a URL", cfg.VerifyURL)
	}
	c := &client.Client{Credentials: client.NewCredentials(cfg.AccountSID, cfg.AuthToken)}
	if u.Host != "verify.twilio.com" {
		c.HTTPClient = &http.Client{Transport: toOrigin{u}}
	}
	c.SetAccountSid(cfg.AccountSID)
	return verify.NewApiService(client.NewRequestHandler(c)), nil
}

// run sends a code to cfg.To, reads what the person types from in and
// checks it, reporting on out.
func run(ctx context.Context, cfg config, in io.Reader, out io.Writer) error {
	if cfg.To == "" || cfg.AccountSID == "" || cfg.AuthToken == "" {
		return errors.New("-to, $TWILIO_ACCOUNT_SID and $TWILIO_AUTH_TOKEN are required")
	}
	api, err := newVerify(cfg)
	if err != nil {
		return err
	}
	svc := cfg.Service
	if svc == "" {
		s, err := api.CreateService((&verify.CreateServiceParams{}).SetFriendlyName("Verifyserve"))
		if err != nil {
			return fmt.Errorf("create service: %w", err)
		}
		svc = *s.Sid
	}
	v, err := api.CreateVerification(svc, (&verify.CreateVerificationParams{}).SetTo(cfg.To).SetChannel("sms"))
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	fmt.Fprintf(out, "sent a code to %s (verification %s); type it: ", *v.To, *v.Sid)
	code, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && code == "" {
		return fmt.Errorf("read the code: %w", err)
	}
	c, err := api.CreateVerificationCheck(svc, (&verify.CreateVerificationCheckParams{}).SetTo(cfg.To).SetCode(strings.TrimSpace(code)))
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	fmt.Fprintf(out, "\n%s\n", *c.Status)
	if *c.Status != "approved" {
		return errors.New("the code was not approved")
	}
	return nil
}
