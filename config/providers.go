package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// This file turns the providers' sections of the configuration into
// senders. Everything about one provider comes from its delivery.Provider
// (registry.go): the keys of its section and their environment variables
// are the tags of its Config.

// lookupProvider returns the registered provider named name.
func lookupProvider(name string) (delivery.Provider, bool) {
	for _, p := range providers {
		if p.Name() == name {
			return p, true
		}
	}
	return delivery.Provider{}, false
}

// providerNames lists the registered providers' names, for errors and help.
func providerNames() []string {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.Name()
	}
	return names
}

// Setting is one key of a provider's section, as its Config's tags say.
type Setting struct {
	Key    string // the key in [delivery.NAME]
	Env    string // the environment variable that overrides the file, or ""
	Secret bool   // a credential: never shown
	Path   bool   // a file path, relative to the configuration file
	field  reflect.StructField
}

// Settings returns the settings of a provider's section, in the order of
// its Config's fields.
func Settings(p delivery.Provider) []Setting {
	var out []Setting
	t := p.ConfigType()
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		out = append(out, Setting{Key: key, Env: f.Tag.Get("env"), Secret: f.Tag.Get("secret") == "true", Path: f.Tag.Get("path") == "true", field: f})
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// sectionType is the type a provider's section is decoded into: its
// Config's settings, with durations written as strings ("30s").
func sectionType(p delivery.Provider) reflect.Type {
	var fields []reflect.StructField
	for _, s := range Settings(p) {
		ft := s.field.Type
		if ft == durationType {
			ft = reflect.TypeFor[*Duration]()
		}
		fields = append(fields, reflect.StructField{Name: s.field.Name, Type: ft, Tag: reflect.StructTag(`toml:"` + s.Key + `"`)})
	}
	return reflect.StructOf(fields)
}

// fileTypes is the type a configuration file is decoded into: Config's
// sections, with [delivery] holding one more section per registered
// provider. It is made once, from the registry.
var fileTypes = sync.OnceValues(func() (file, deliverySection reflect.Type) {
	var dfields []reflect.StructField
	dt := reflect.TypeFor[DeliverySection]()
	for i := range dt.NumField() {
		if f := dt.Field(i); f.IsExported() && f.Tag.Get("toml") != "" {
			f.Index, f.Offset = nil, 0
			dfields = append(dfields, f)
		}
	}
	for i, p := range providers {
		dfields = append(dfields, reflect.StructField{
			Name: fmt.Sprintf("Provider%d", i), Type: reflect.PointerTo(sectionType(p)),
			Tag: reflect.StructTag(`toml:"` + p.Name() + `"`),
		})
	}
	deliverySection = reflect.StructOf(dfields)
	var fields []reflect.StructField
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		if !f.IsExported() || f.Tag.Get("toml") == "" {
			continue
		}
		f.Index, f.Offset = nil, 0
		if f.Name == "Delivery" {
			f.Type = deliverySection
		}
		fields = append(fields, f)
	}
	return reflect.StructOf(fields), deliverySection
})

// fromFile copies a decoded file (a pointer to fileTypes' file type) into c.
func (c *Config) fromFile(v reflect.Value) {
	v = v.Elem()
	cv := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name != "Delivery" {
			cv.FieldByName(f.Name).Set(v.Field(i))
			continue
		}
		d, dv := v.Field(i), cv.FieldByName("Delivery")
		c.sections = map[string]reflect.Value{}
		for j := range d.NumField() {
			df := d.Type().Field(j)
			if k, ok := strings.CutPrefix(df.Name, "Provider"); ok && df.Type.Kind() == reflect.Pointer {
				var n int
				fmt.Sscan(k, &n)
				if !d.Field(j).IsNil() {
					c.sections[providers[n].Name()] = d.Field(j).Elem()
				}
				continue
			}
			dv.FieldByName(df.Name).Set(d.Field(j))
		}
	}
}

// ProviderConfig returns the named provider's configuration as the file
// and the environment give it: a pointer to its Config, ready for
// delivery.Provider.Build.
func (c *Config) ProviderConfig(name string, env Env) (any, error) {
	p, ok := lookupProvider(name)
	if !ok {
		return nil, fmt.Errorf("%w: [delivery] provider %q is not known (want %s)", ErrConfig, name, strings.Join(providerNames(), ", "))
	}
	cfg := p.NewConfig()
	cv := reflect.ValueOf(cfg).Elem()
	sec, hasSection := c.sections[name]
	for _, s := range Settings(p) {
		dst := cv.FieldByIndex(s.field.Index)
		if hasSection {
			src := sec.FieldByName(s.field.Name)
			if d, ok := src.Interface().(*Duration); ok {
				dst.SetInt(int64(d.value()))
			} else {
				dst.Set(src)
			}
		}
		if s.Env != "" && dst.Kind() == reflect.String {
			dst.SetString(env.override(s.Env, dst.String()))
		}
		if s.Path && dst.Kind() == reflect.String {
			dst.SetString(c.resolve(dst.String()))
		}
	}
	return cfg, nil
}

// value returns the duration, or 0 (the default) when it is not set.
func (d *Duration) value() time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

// Providers returns the configured providers in order: the delivery
// table's providers, else its provider, else console.
func (c *Config) Providers() ([]string, error) {
	d := c.Delivery
	if len(d.Providers) > 0 && d.Provider != "" {
		return nil, fmt.Errorf("%w: [delivery] set provider or providers, not both", ErrConfig)
	}
	names := d.Providers
	if len(names) == 0 {
		name := d.Provider
		if name == "" {
			name = "console"
		}
		if _, ok := lookupProvider(name); !ok {
			return nil, fmt.Errorf("%w: [delivery] provider %q is not known (want %s)", ErrConfig, name, strings.Join(providerNames(), ", "))
		}
		return []string{name}, nil
	}
	for i, name := range names {
		if _, ok := lookupProvider(name); !ok {
			return nil, fmt.Errorf("%w: [delivery] providers: %q is not known (want %s)", ErrConfig, name, strings.Join(providerNames(), ", "))
		}
		for _, prev := range names[:i] {
			if prev == name {
				return nil, fmt.Errorf("%w: [delivery] providers: %q is listed twice", ErrConfig, name)
			}
		}
	}
	return names, nil
}

// Routes builds the configured providers, to be tried in order with the
// same message (delivery.NewFailover). When the send may make calls (ch is
// voice or auto, or the delivery table's fallback has voice), each provider is asked
// whether its settings allow calls (delivery.VoiceChecker) before anything
// is sent.
func (c *Config) Routes(env Env, storePath string, ch delivery.Channel) ([]delivery.Route, error) {
	names, err := c.Providers()
	if err != nil {
		return nil, err
	}
	voice := ch == delivery.Voice || ch == delivery.Auto
	for _, f := range c.Delivery.Fallback {
		voice = voice || f == string(delivery.Voice)
	}
	denv := delivery.Env{Now: env.Now, Stderr: env.Stderr, Dir: filepath.Dir(storePath)}
	var routes []delivery.Route
	for _, name := range names {
		p, _ := lookupProvider(name)
		cfg, err := c.ProviderConfig(name, env)
		if err != nil {
			return nil, err
		}
		s, err := p.Build(cfg, denv)
		if err != nil {
			return nil, providerError(p, env, err)
		}
		if vc, ok := s.(delivery.VoiceChecker); ok && voice {
			if err := vc.CheckVoice(); err != nil {
				var ce *delivery.ConfigError
				switch {
				case errors.As(err, &ce):
					return nil, providerError(p, env, err)
				case ch == delivery.Voice && len(names) == 1:
					// The only route cannot call: say so now. With other
					// routes, or SMS first, failover skips it.
					return nil, fmt.Errorf("%w: channel voice: %w", ErrConfig, err)
				}
			}
		}
		routes = append(routes, delivery.Route{Provider: name, Sender: s})
	}
	return routes, nil
}

// providerError turns a provider's error from its Build into a
// configuration error that names the settings as the file spells them, and
// the environment variable that can hold them.
func providerError(p delivery.Provider, env Env, err error) error {
	var ce *delivery.ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%w: [delivery.%s] %w", ErrConfig, p.Name(), err)
	}
	settings := Settings(p)
	setting := func(field string) Setting {
		for _, s := range settings {
			if s.field.Name == field {
				return s
			}
		}
		return Setting{Key: field}
	}
	s := setting(ce.Field)
	keys := []string{s.Key}
	for _, f := range ce.Or {
		keys = append(keys, setting(f).Key)
	}
	msg := fmt.Sprintf("[delivery.%s] %s %s", p.Name(), strings.Join(keys, " or "), ce.Problem)
	switch {
	case s.Env != "" && env.Getenv(s.Env) != "":
		msg += " (from " + s.Env + ")"
	case s.Env != "":
		msg += " (or set " + s.Env + ")"
	}
	return fmt.Errorf("%w: %s", ErrConfig, msg)
}
