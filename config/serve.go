package config

import (
	"fmt"
	"strings"
)

// ServeSection is [serve]: the Twilio Verify v2-compatible API of otp serve.
type ServeSection struct {
	Addr       string `toml:"addr"`
	AccountSID string `toml:"account_sid"`
	AuthToken  string `toml:"auth_token"`
	TLSCert    string `toml:"tls_cert"`
	TLSKey     string `toml:"tls_key"`
}

// DefaultServeAddr is where otp serve listens unless [serve] addr,
// $OTP_SERVE_ADDR or --addr says otherwise.
const DefaultServeAddr = "127.0.0.1:8080"

// ServeSettings are the checked settings of otp serve.
type ServeSettings struct {
	Addr       string // host:port to listen on
	AccountSID string // AC + 32 hex: the HTTP Basic user clients send
	AuthToken  string // the HTTP Basic password
	TLSCert    string // PEM certificate file; TLS is on when it and TLSKey are set
	TLSKey     string // PEM key file
}

// ServeSettings returns the [serve] settings: $OTP_SERVE_ACCOUNT_SID,
// $OTP_SERVE_AUTH_TOKEN and $OTP_SERVE_ADDR override the file, and addr (the
// --addr flag, "" for none) overrides both. The account sid must be AC and
// 32 hex digits, as Twilio's SDKs require; the token must be set; tls_cert
// and tls_key go together (paths relative to the file).
func (c *Config) ServeSettings(env Env, addr string) (ServeSettings, error) {
	s := ServeSettings{
		Addr:       env.override("OTP_SERVE_ADDR", c.Serve.Addr),
		AccountSID: env.override("OTP_SERVE_ACCOUNT_SID", c.Serve.AccountSID),
		AuthToken:  env.override("OTP_SERVE_AUTH_TOKEN", c.Serve.AuthToken),
		TLSCert:    c.resolve(c.Serve.TLSCert),
		TLSKey:     c.resolve(c.Serve.TLSKey),
	}
	if addr != "" {
		s.Addr = addr
	}
	if s.Addr == "" {
		s.Addr = DefaultServeAddr
	}
	if s.AccountSID == "" {
		return s, fmt.Errorf("%w: [serve] account_sid is required (or set OTP_SERVE_ACCOUNT_SID)", ErrConfig)
	}
	if !validAccountSID(s.AccountSID) {
		return s, fmt.Errorf("%w: [serve] account_sid (or OTP_SERVE_ACCOUNT_SID) must be AC followed by 32 lower-case hex digits", ErrConfig)
	}
	if s.AuthToken == "" {
		return s, fmt.Errorf("%w: [serve] auth_token is required (or set OTP_SERVE_AUTH_TOKEN)", ErrConfig)
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return s, fmt.Errorf("%w: [serve] tls_cert and tls_key go together: set both or neither", ErrConfig)
	}
	return s, nil
}

// validAccountSID reports whether s is AC followed by 32 lower-case hex digits.
func validAccountSID(s string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, "AC") {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
