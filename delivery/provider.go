package delivery

import (
	"fmt"
	"io"
	"reflect"
	"time"
)

// Provider describes a provider to programs that choose one by name and
// fill its settings from a configuration file and the environment, as the
// otp command does. Each provider package exports one, built with
// [NewProvider]; a program lists the ones it links.
//
// A provider's settings are the fields of its configuration struct that
// carry a `toml:"key"` tag: the key in the provider's [delivery.NAME]
// section. An `env:"VARIABLE"` tag names an environment variable that
// overrides the file, `secret:"true"` marks a value that must never be
// shown (credentials), and `path:"true"` a file path that is relative to
// the configuration file.
type Provider struct {
	name      string
	doc       string
	typ       reflect.Type
	newConfig func() any
	build     func(cfg any, env Env) (Sender, error)
}

// Env is what building a sender takes from the program around it.
type Env struct {
	Now    func() time.Time // the program's clock; nil means time.Now
	Stderr io.Writer        // where a provider that prints writes
	// Dir is where a provider keeps files it is given no path for (the
	// outbox beside the store).
	Dir string
}

// NewProvider describes a provider named name whose settings are the
// tagged fields of C (see [Provider]). doc is one line for help texts,
// about what the settings mean beyond their names. build makes the sender
// from a filled configuration.
func NewProvider[C any](name, doc string, build func(cfg C, env Env) (Sender, error)) Provider {
	typ := reflect.TypeFor[C]()
	if typ.Kind() != reflect.Struct {
		panic(fmt.Sprintf("delivery.NewProvider(%q): the configuration must be a struct, not %v", name, typ))
	}
	return Provider{
		name: name, doc: doc, typ: typ,
		newConfig: func() any { return new(C) },
		build: func(cfg any, env Env) (Sender, error) {
			c, ok := cfg.(*C)
			if !ok {
				return nil, fmt.Errorf("%w: %s: configuration of type %T, want *%v", ErrConfig, name, cfg, typ)
			}
			return build(*c, env)
		},
	}
}

// Name returns the provider's name in configuration ("twilio").
func (p Provider) Name() string { return p.name }

// Doc returns the provider's line for help texts.
func (p Provider) Doc() string { return p.doc }

// ConfigType returns the provider's configuration struct type, whose tags
// describe its settings.
func (p Provider) ConfigType() reflect.Type { return p.typ }

// NewConfig returns a pointer to a new configuration with every field zero,
// to be filled and passed to [Provider.Build].
func (p Provider) NewConfig() any { return p.newConfig() }

// Build makes the sender from cfg, a value NewConfig returned. Errors for
// bad or missing settings are [*ConfigError].
func (p Provider) Build(cfg any, env Env) (Sender, error) { return p.build(cfg, env) }

// VoiceChecker is implemented by senders that can tell, before anything is
// sent, whether their configuration lets them make calls. CheckVoice
// returns nil if it does, a [*ConfigError] naming the setting calls need
// and the configuration lacks, or an error wrapping [ErrUnsupported] if the
// provider cannot call at all.
type VoiceChecker interface {
	CheckVoice() error
}
