package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/pelletier/go-toml/v2"
)

// config is the TOML configuration file (see config.example.toml). Pointer
// fields tell "not set" (the default) from an explicit zero (limit off).
type config struct {
	AppName  string         `toml:"app_name"`
	Code     codeConfig     `toml:"code"`
	Limits   limitsConfig   `toml:"limits"`
	Store    storeConfig    `toml:"store"`
	Phone    phoneConfig    `toml:"phone"`
	Delivery deliveryConfig `toml:"delivery"`

	// dir is the directory of the file, for relative paths; "" for defaults.
	dir string
	// file is the path the configuration was read from; "" for defaults.
	file string
}

type codeConfig struct {
	Format string    `toml:"format"`
	Length int       `toml:"length"`
	TTL    *duration `toml:"ttl"`
	Secret string    `toml:"secret"`
}

type limitsConfig struct {
	MaxAttempts *int      `toml:"max_attempts"`
	Lockout     *duration `toml:"lockout"`
	ResendAfter *duration `toml:"resend_after"`
	MaxSends    *int      `toml:"max_sends"`
	SendWindow  *duration `toml:"send_window"`
}

type storeConfig struct {
	Driver string `toml:"driver"`
	Path   string `toml:"path"`
}

type phoneConfig struct {
	DefaultRegion string `toml:"default_region"`
}

type deliveryConfig struct {
	Provider      string   `toml:"provider"`
	Providers     []string `toml:"providers"`
	Channel       string   `toml:"channel"`
	Fallback      []string `toml:"fallback"`
	SMSTemplate   string   `toml:"sms_template"`
	VoiceTemplate string   `toml:"voice_template"`

	// The providers' sections; see providers.go.
	Outbox      outboxConfig      `toml:"outbox"`
	Twilio      twilioConfig      `toml:"twilio"`
	Telnyx      telnyxConfig      `toml:"telnyx"`
	Plivo       plivoConfig       `toml:"plivo"`
	MessageBird messageBirdConfig `toml:"messagebird"`
	Webhook     webhookConfig     `toml:"webhook"`
}

// duration is a time.Duration written as a string: "10m", "30s", "1h30m".
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q (want e.g. \"30s\", \"10m\", \"1h\")", b)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	d.Duration = v
	return nil
}

// configPath finds the configuration file: the --config flag, else
// $OTP_CONFIG, else $XDG_CONFIG_HOME/otpkit/config.toml (~/.config/...) if it
// exists. It returns "" for none (built-in defaults).
func (a *app) configPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := a.getenv("OTP_CONFIG"); p != "" {
		return p
	}
	dir := a.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := a.getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	p := filepath.Join(dir, "otpkit", "config.toml")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// maxConfigSize bounds the configuration file; real ones take a few
// hundred bytes.
const maxConfigSize = 64 << 10

// loadConfig reads the configuration file at path ("" for the defaults).
// Unknown keys are errors, so a typo never passes silently.
func loadConfig(path string) (*config, error) {
	cfg := &config{}
	if path == "" {
		return cfg, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: no such file", errConfig, path)
		}
		return nil, fmt.Errorf("%w: %w", errConfig, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errConfig, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%w: %s: larger than %d KiB, too large for a configuration file", errConfig, path, maxConfigSize>>10)
	}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", errConfig, path, tomlError(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errConfig, err)
	}
	cfg.file, cfg.dir = path, filepath.Dir(abs)
	return cfg, nil
}

// tomlError makes one line of a go-toml error, with the line and the key.
func tomlError(err error) string {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		keys := make([]string, len(strict.Errors))
		for i, e := range strict.Errors {
			keys[i] = keyString(e.Key())
		}
		row, _ := strict.Errors[0].Position()
		return fmt.Sprintf("line %d: unknown setting %s", row, strings.Join(keys, ", "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := de.Error()
		if k := de.Key(); len(k) > 0 {
			return fmt.Sprintf("line %d: %s: %s", row, keyString(k), msg)
		}
		return fmt.Sprintf("line %d: %s", row, msg)
	}
	return err.Error()
}

// keyString writes a TOML key as the file would: dotted, with parts that
// are not bare keys quoted, so a key holding a newline or a control
// character is still one printable line.
func keyString(key []string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		bare := k != ""
		for _, r := range k {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				bare = false
				break
			}
		}
		parts[i] = k
		if !bare {
			parts[i] = strconv.Quote(k)
		}
	}
	return strings.Join(parts, ".")
}

// resolve makes a path from the configuration file relative to the file's
// directory.
func (c *config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// options turns the configuration into the library's options.
func (c *config) options(a *app) (otp.Options, error) {
	o := otp.Options{
		Length:        c.Code.Length,
		DefaultRegion: c.Phone.DefaultRegion,
		AppName:       c.AppName,
		SMSTemplate:   c.Delivery.SMSTemplate,
		VoiceTemplate: c.Delivery.VoiceTemplate,
		Now:           a.now,
	}
	if c.Code.Format != "" {
		f, err := otp.ParseFormat(c.Code.Format)
		if err != nil {
			return o, fmt.Errorf("[code] format: %w", err)
		}
		o.Format = f
	}
	if c.Code.Length != 0 && (c.Code.Length < otp.MinLength || c.Code.Length > otp.MaxLength) {
		return o, fmt.Errorf("%w: [code] length %d is not within %d-%d", errConfig, c.Code.Length, otp.MinLength, otp.MaxLength)
	}
	if c.Code.TTL != nil {
		if c.Code.TTL.Duration < time.Second {
			return o, fmt.Errorf("%w: [code] ttl must be at least 1s", errConfig)
		}
		o.TTL = c.Code.TTL.Duration
	}
	// In the file, 0 turns a limit off; in the library that is a negative value.
	offIfZero := func(v *int) int {
		if v == nil {
			return 0
		}
		if *v <= 0 {
			return -1
		}
		return *v
	}
	offIfZeroD := func(v *duration) time.Duration {
		if v == nil {
			return 0
		}
		if v.Duration == 0 {
			return -1
		}
		return v.Duration
	}
	if c.Limits.MaxAttempts != nil && *c.Limits.MaxAttempts < 0 || c.Limits.MaxSends != nil && *c.Limits.MaxSends < 0 {
		return o, fmt.Errorf("%w: [limits] max_attempts and max_sends must be 0 (off) or more", errConfig)
	}
	o.MaxAttempts = offIfZero(c.Limits.MaxAttempts)
	o.MaxSends = offIfZero(c.Limits.MaxSends)
	o.Lockout = offIfZeroD(c.Limits.Lockout)
	o.ResendAfter = offIfZeroD(c.Limits.ResendAfter)
	if c.Limits.SendWindow != nil {
		if c.Limits.SendWindow.Duration == 0 && o.MaxSends >= 0 {
			return o, fmt.Errorf("%w: [limits] send_window must be positive while max_sends is on", errConfig)
		}
		o.SendWindow = c.Limits.SendWindow.Duration
	}
	for _, name := range c.Delivery.Fallback {
		ch, err := delivery.ParseChannel(name)
		if err != nil {
			return o, fmt.Errorf("%w: [delivery] fallback: %w", errConfig, err)
		}
		o.Fallback = append(o.Fallback, ch)
	}
	secret := c.Code.Secret
	if s := a.getenv("OTP_SECRET"); s != "" {
		secret = s
	}
	if secret != "" {
		if len(secret) < otp.MinSecretLength {
			return o, fmt.Errorf("%w: the secret (OTP_SECRET or [code] secret) must be at least %d characters", errConfig, otp.MinSecretLength)
		}
		o.Secret = []byte(secret)
	}
	return o, nil
}

// channel returns the channel to send on: the flag, else [delivery]
// channel, else sms. It may be otp.Auto.
func (c *config) channel(flag string) (delivery.Channel, error) {
	name := flag
	if name == "" {
		name = c.Delivery.Channel
	}
	if name == "" {
		return delivery.SMS, nil
	}
	ch, err := otp.ParseChannel(name)
	if err != nil {
		if flag == "" {
			return "", fmt.Errorf("%w: [delivery] channel: %w", errConfig, err)
		}
		return "", usageErrorf("--channel: %v", err)
	}
	return ch, nil
}
