// Package config reads otpkit's TOML configuration file, the one the otp
// command reads, and builds what it describes: the otp.Options, the store
// and the delivery providers. Programs that embed otpkit use it to share
// one configuration file with the command (examples/webverify does); the
// library packages themselves take typed options and never read files.
//
// It is the one place that turns names in a configuration ("twilio",
// "redis") into implementations. Providers are registered in one list
// ([Registered]); each provider's section, [delivery.NAME], is made from
// the tags of its package's Config (see delivery.Provider), so a new
// provider is its package and one line here.
package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/pelletier/go-toml/v2"
)

// ErrConfig is wrapped by every error about the configuration: an unknown
// key, a bad value, a missing setting. It matches otp.ErrInvalidOptions
// too (errors.Is), so it has that error's kind and exit code.
var ErrConfig error = configError{}

type configError struct{}

func (configError) Error() string        { return "config" }
func (configError) Is(target error) bool { return target == otp.ErrInvalidOptions }

// Env is what building from a configuration takes from the outside world.
type Env struct {
	Getenv func(string) string // environment variables (secrets override the file)
	Now    func() time.Time    // the clock of the service and the outbox
	Stderr io.Writer           // where the console provider writes
}

// override returns the environment variable name if it is set, else v.
func (env Env) override(name, v string) string {
	if e := env.Getenv(name); e != "" {
		return e
	}
	return v
}

// Config is the TOML configuration file (see config.example.toml). Pointer
// fields tell "not set" (the default) from an explicit zero (limit off).
type Config struct {
	AppName  string          `toml:"app_name"`
	Code     CodeSection     `toml:"code"`
	Limits   LimitsSection   `toml:"limits"`
	Store    StoreSection    `toml:"store"`
	Phone    PhoneSection    `toml:"phone"`
	Delivery DeliverySection `toml:"delivery"`
	Guard    GuardSection    `toml:"guard"`
	Probe    ProbeSection    `toml:"probe"` // otp probe; see probe.go
	Serve    ServeSection    `toml:"serve"` // otp serve (serve.go)

	// sections holds the providers' sections, by provider name, as decoded
	// (see providers.go); a provider without a section is absent.
	sections map[string]reflect.Value

	// dir is the directory of the file, for relative paths; "" for defaults.
	dir string
	// file is the path the configuration was read from; "" for defaults.
	file string
}

// CodeSection is [code]: the codes and their hash key (see config.example.toml).
type CodeSection struct {
	Format string    `toml:"format"`
	Length int       `toml:"length"`
	TTL    *Duration `toml:"ttl"`
	Secret string    `toml:"secret"`
}

// LimitsSection is [limits]; a nil field is the default, 0 turns a limit off.
type LimitsSection struct {
	MaxAttempts *int      `toml:"max_attempts"`
	Lockout     *Duration `toml:"lockout"`
	ResendAfter *Duration `toml:"resend_after"`
	MaxSends    *int      `toml:"max_sends"`
	SendWindow  *Duration `toml:"send_window"`
}

// GuardSection is the guard table: the abuse guard against SMS pumping (see
// otp.GuardOptions); 0 or empty turns a rule off.
type GuardSection struct {
	Mode               string    `toml:"mode"`
	AllowCountries     []string  `toml:"allow_countries"`
	DenyCountries      []string  `toml:"deny_countries"`
	DenyTypes          *[]string `toml:"deny_types"` // nil: the default
	PrefixDigits       int       `toml:"prefix_digits"`
	PrefixMaxSends     int       `toml:"prefix_max_sends"`
	CountryMaxSends    int       `toml:"country_max_sends"`
	MaxSends           int       `toml:"max_sends"`
	Window             *Duration `toml:"window"`
	ClientMaxSends     int       `toml:"client_max_sends"`
	ClientMaxCountries int       `toml:"client_max_countries"`
	MinConversion      float64   `toml:"min_conversion"`
	MinSample          int       `toml:"min_sample"`
	BlockFor           *Duration `toml:"block_for"`
}

// options returns the guard's options.
func (g GuardSection) options() otp.GuardOptions {
	o := otp.GuardOptions{
		Mode: otp.GuardMode(g.Mode), AllowCountries: g.AllowCountries, DenyCountries: g.DenyCountries,
		PrefixDigits: g.PrefixDigits, PrefixMaxSends: g.PrefixMaxSends, CountryMaxSends: g.CountryMaxSends,
		MaxSends: g.MaxSends, ClientMaxSends: g.ClientMaxSends, ClientMaxCountries: g.ClientMaxCountries,
		MinConversion: g.MinConversion, MinSample: g.MinSample,
	}
	if g.DenyTypes != nil {
		o.DenyTypes = append([]string{}, *g.DenyTypes...)
	}
	if g.Window != nil {
		o.Window = g.Window.Duration
	}
	if g.BlockFor != nil {
		o.BlockFor = g.BlockFor.Duration
	}
	return o
}

// StoreSection is the store table: which store, and where.
type StoreSection struct {
	Driver string `toml:"driver"`
	Path   string `toml:"path"`
	URL    string `toml:"url"`
	Prefix string `toml:"prefix"`
}

// PhoneSection is [phone]: how numbers are read.
type PhoneSection struct {
	DefaultRegion string `toml:"default_region"`
}

// DeliverySection is the delivery table: providers, channels and templates. The
// providers' own sections are kept apart, by name (see [Config.ProviderConfig]).
type DeliverySection struct {
	Provider      string   `toml:"provider"`
	Providers     []string `toml:"providers"`
	Channel       string   `toml:"channel"`
	Fallback      []string `toml:"fallback"`
	SMSTemplate   string   `toml:"sms_template"`
	VoiceTemplate string   `toml:"voice_template"`
	// Locales are the [delivery.locales.TAG] tables, by BCP 47 tag; the
	// key tag names the table Keys lists ([delivery.locales.fr]).
	Locales map[string]LocaleSection `toml:"locales" key:"fr"`

	// Each registered provider has a section [delivery.NAME] too, made
	// from its Config's tags; see providers.go.
}

// LocaleSection is [delivery.locales.TAG]: the templates of one locale
// (otp.Templates), for sends that ask for it (otp send --locale, the
// Locale of otp serve). An empty key keeps the built-in template of the
// locale, or the [delivery] one.
type LocaleSection struct {
	SMSTemplate   string `toml:"sms_template"`
	VoiceTemplate string `toml:"voice_template"`
}

// Duration is a time.Duration written as a string: "10m", "30s", "1h30m".
type Duration struct{ time.Duration }

// UnmarshalText reads a duration such as "30s"; negative ones are refused.
func (d *Duration) UnmarshalText(b []byte) error {
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

// Find finds the configuration file: flag (the --config flag), else
// $OTP_CONFIG, else $XDG_CONFIG_HOME/otpkit/config.toml (~/.config/...) if it
// exists. It returns "" for none (built-in defaults).
func Find(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if p := getenv("OTP_CONFIG"); p != "" {
		return p
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
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

// Load reads the configuration file at path ("" for the defaults).
// Unknown keys are errors, so a typo never passes silently.
func Load(path string) (*Config, error) {
	cfg := &Config{}
	if path == "" {
		return cfg, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: no such file", ErrConfig, path)
		}
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%w: %s: larger than %d KiB, too large for a configuration file", ErrConfig, path, maxConfigSize>>10)
	}
	file, _ := fileTypes()
	v := reflect.New(file)
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrConfig, path, tomlError(err))
	}
	cfg.fromFile(v)
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
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
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// Options turns the configuration into the library's options.
func (c *Config) Options(env Env) (otp.Options, error) {
	o := otp.Options{
		Length:        c.Code.Length,
		DefaultRegion: c.Phone.DefaultRegion,
		AppName:       c.AppName,
		SMSTemplate:   c.Delivery.SMSTemplate,
		VoiceTemplate: c.Delivery.VoiceTemplate,
		Now:           env.Now,
	}
	if c.Code.Format != "" {
		f, err := otp.ParseFormat(c.Code.Format)
		if err != nil {
			// One prefix: the key, not the library's "invalid options" too.
			return o, fmt.Errorf("%w: [code] format: unknown code format %q (want numeric or hex)", ErrConfig, c.Code.Format)
		}
		o.Format = f
	}
	if c.Phone.DefaultRegion != "" && !otp.ValidRegion(c.Phone.DefaultRegion) {
		return o, fmt.Errorf("%w: [phone] default_region: unknown region %q (want an ISO 3166 code such as US)", ErrConfig, c.Phone.DefaultRegion)
	}
	if c.Code.Length != 0 && (c.Code.Length < otp.MinLength || c.Code.Length > otp.MaxLength) {
		return o, fmt.Errorf("%w: [code] length %d is not within %d-%d", ErrConfig, c.Code.Length, otp.MinLength, otp.MaxLength)
	}
	if c.Code.TTL != nil {
		if c.Code.TTL.Duration < time.Second {
			return o, fmt.Errorf("%w: [code] ttl must be at least 1s", ErrConfig)
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
	offIfZeroD := func(v *Duration) time.Duration {
		if v == nil {
			return 0
		}
		if v.Duration == 0 {
			return -1
		}
		return v.Duration
	}
	if c.Limits.MaxAttempts != nil && *c.Limits.MaxAttempts < 0 || c.Limits.MaxSends != nil && *c.Limits.MaxSends < 0 {
		return o, fmt.Errorf("%w: [limits] max_attempts and max_sends must be 0 (off) or more", ErrConfig)
	}
	o.MaxAttempts = offIfZero(c.Limits.MaxAttempts)
	o.MaxSends = offIfZero(c.Limits.MaxSends)
	o.Lockout = offIfZeroD(c.Limits.Lockout)
	o.ResendAfter = offIfZeroD(c.Limits.ResendAfter)
	if c.Limits.SendWindow != nil {
		if c.Limits.SendWindow.Duration == 0 && o.MaxSends >= 0 {
			return o, fmt.Errorf("%w: [limits] send_window must be positive while max_sends is on", ErrConfig)
		}
		o.SendWindow = c.Limits.SendWindow.Duration
	}
	for tag, l := range c.Delivery.Locales {
		if !otp.ValidLocale(tag) {
			return o, fmt.Errorf("%w: [%s]: %q is not a BCP 47 language tag (want e.g. fr or pt-BR)", ErrConfig, keyString([]string{"delivery", "locales", tag}), tag)
		}
		if o.Locales == nil {
			o.Locales = map[string]otp.Templates{}
		}
		o.Locales[tag] = otp.Templates{SMS: l.SMSTemplate, Voice: l.VoiceTemplate}
	}
	for _, name := range c.Delivery.Fallback {
		ch, err := delivery.ParseChannel(name)
		if err != nil || ch == delivery.Auto {
			return o, fmt.Errorf("%w: [delivery] fallback: %w %q (want sms or voice)", ErrConfig, delivery.ErrUnknownChannel, name)
		}
		o.Fallback = append(o.Fallback, ch)
	}
	o.Guard = c.Guard.options()
	secret := c.Code.Secret
	if s := env.Getenv("OTP_SECRET"); s != "" {
		secret = s
	}
	if secret != "" {
		if len(secret) < otp.MinSecretLength {
			return o, fmt.Errorf("%w: the secret (OTP_SECRET or [code] secret) must be at least %d characters", ErrConfig, otp.MinSecretLength)
		}
		o.Secret = []byte(secret)
	}
	if err := c.checkStore(env, o.Secret); err != nil {
		return o, err
	}
	return o, nil
}

// Channel returns the delivery table's channel, or sms when it is not set. It may be
// delivery.Auto.
func (c *Config) Channel() (delivery.Channel, error) {
	if c.Delivery.Channel == "" {
		return delivery.SMS, nil
	}
	ch, err := delivery.ParseChannel(c.Delivery.Channel)
	if err != nil {
		return "", fmt.Errorf("%w: [delivery] channel: %w", ErrConfig, err)
	}
	return ch, nil
}

// StorePath returns the file store's path: flag (the --store flag), else
// the store table's path, else $XDG_STATE_HOME/otpkit/otp.db (~/.local/state/...).
func (c *Config) StorePath(flag string, env Env) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case c.Store.Path != "":
		return c.resolve(c.Store.Path), nil
	}
	dir := env.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home := env.Getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("%w: neither XDG_STATE_HOME nor HOME is set: give --store or [store] path", ErrConfig)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "otpkit", "otp.db"), nil
}

// redisURL returns $OTP_REDIS_URL, else [store] url.
func (c *Config) redisURL(env Env) string { return env.override("OTP_REDIS_URL", c.Store.URL) }

// driver returns the [store] driver.
func (c *Config) driver() (store.Driver, error) {
	name := c.Store.Driver
	if name == "" {
		name = "file"
	}
	var names []string
	for _, d := range storeDrivers {
		if d.Name == name {
			return d, nil
		}
		names = append(names, d.Name)
	}
	return store.Driver{}, fmt.Errorf("%w: [store] driver %q is not known (want %s)", ErrConfig, c.Store.Driver, strings.Join(names, " or "))
}

func (c *Config) driverSettings(env Env, path string, perCall bool, secret bool) store.DriverSettings {
	return store.DriverSettings{Path: path, URL: c.redisURL(env), Prefix: c.Store.Prefix, PerCall: perCall, HasSecret: secret}
}

// checkStore checks the [store] settings without opening anything.
func (c *Config) checkStore(env Env, secret []byte) error {
	d, err := c.driver()
	if err != nil {
		return err
	}
	if err := d.Check(c.driverSettings(env, "", false, len(secret) > 0)); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// StoreMode says who uses a store [Config.OpenStore] opens.
type StoreMode int

// The modes of OpenStore.
const (
	// StoreCommand is a command: a few calls, then exit. The file store is
	// opened for each operation and closed after it (filestore.PerCall), so
	// the command's network calls do not hold the file.
	StoreCommand StoreMode = iota
	// StoreServer is a server: many calls at once, for long. The file store
	// stays open, and Redis sends the calls made at once together
	// (redisstore.Options.AutoPipeline).
	StoreServer
)

// OpenStore opens the configured store, the file store at path or Redis,
// for mode. Errors opening it wrap otp.ErrStore.
func (c *Config) OpenStore(ctx context.Context, env Env, path string, mode StoreMode) (store.Store, error) {
	d, err := c.driver()
	if err != nil {
		return nil, err
	}
	s := c.driverSettings(env, path, mode == StoreCommand, true)
	s.Concurrent = mode == StoreServer
	st, err := d.Open(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", otp.ErrStore, err)
	}
	return st, nil
}

// Keys lists every setting the file may have, as "[section] key" ("key"
// for the top level), so documentation can be checked against it. A table
// of tables such as [delivery.locales.TAG] is listed under its example
// name, [delivery.locales.fr].
func Keys() []string {
	file, _ := fileTypes()
	return tomlKeys(file, "")
}

func tomlKeys(t reflect.Type, section string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("toml")
		if tag == "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		sub := tag
		if section != "" {
			sub = section + "." + tag
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(Duration{}) {
			out = append(out, tomlKeys(ft, sub)...)
			continue
		}
		if ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct {
			// A table of tables: listed under its example key.
			out = append(out, tomlKeys(ft.Elem(), sub+"."+f.Tag.Get("key"))...)
			continue
		}
		key := tag
		if section != "" {
			key = "[" + section + "] " + tag
		}
		out = append(out, key)
	}
	return out
}
