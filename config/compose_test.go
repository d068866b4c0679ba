package config

import (
	"errors"
	"testing"

	"github.com/otpkit/otpkit/internal/testclock"
)

// TestComposeConfig loads docs/compose.toml, the configuration the compose
// file's replicas mount, with the environment the compose file gives them:
// the Redis store and the shared secret come from it, and without
// OTP_SECRET the file is refused (every replica needs the same key).
func TestComposeConfig(t *testing.T) {
	cfg, err := Load("../docs/compose.toml")
	if err != nil {
		t.Fatalf("docs/compose.toml: %v", err)
	}
	if cfg.Store.Driver != "redis" || cfg.Delivery.Provider != "console" {
		t.Errorf("docs/compose.toml: store driver %q, provider %q; want redis and console", cfg.Store.Driver, cfg.Delivery.Provider)
	}
	env := map[string]string{"OTP_REDIS_URL": "redis://redis:6379/0", "OTP_SECRET": "0123456789abcdef0123456789abcdef"}
	getenv := func(k string) string { return env[k] }
	clock := testclock.New()
	o, err := cfg.Options(Env{Getenv: getenv, Now: clock.Now})
	if err != nil {
		t.Fatalf("docs/compose.toml with the compose environment: %v", err)
	}
	if string(o.Secret) != env["OTP_SECRET"] {
		t.Error("OTP_SECRET is not the hash key")
	}
	if got := cfg.redisURL(Env{Getenv: getenv}); got != env["OTP_REDIS_URL"] {
		t.Errorf("redis url %q, want OTP_REDIS_URL", got)
	}
	delete(env, "OTP_SECRET")
	if _, err := cfg.Options(Env{Getenv: getenv, Now: clock.Now}); !errors.Is(err, ErrConfig) {
		t.Errorf("without OTP_SECRET: %v, want a configuration error", err)
	}
}
