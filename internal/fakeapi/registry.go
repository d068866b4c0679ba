package fakeapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Server is what a test drives of a fake started by name with [Start].
type Server interface {
	URL() string
	Close()
	Fail(...Fault)
	Requests() []Request
}

// Options are the KEY=VALUE settings a fake is started with, in order
// (the test scripts' "fake start twilio trial=+12015550101 ..."). A fake
// reads the keys it knows; [Start] refuses a key the fake did not read.
type Options struct {
	pairs [][2]string
	read  map[string]bool
}

// Strings returns every value given for key, in order (nil for none).
func (o *Options) Strings(key string) []string {
	o.read[key] = true
	var out []string
	for _, p := range o.pairs {
		if p[0] == key {
			out = append(out, p[1])
		}
	}
	return out
}

// last returns the last value given for key, or "".
func (o *Options) last(key string) string {
	v := o.Strings(key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// String returns the last value given for key, or "".
func (o *Options) String(key string) string { return o.last(key) }

// Bool reports whether the last value given for key is "true".
func (o *Options) Bool(key string) bool { return o.last(key) == "true" }

// Int returns the last value given for key as an integer (0 for none).
func (o *Options) Int(key string) (int, error) {
	v := o.last(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("option %s: %w", key, err)
	}
	return n, nil
}

// Codes returns the values given for key as NUMBER:CODE pairs, by number
// (an empty map for none).
func (o *Options) Codes(key string) map[string]string {
	out := map[string]string{}
	for _, v := range o.Strings(key) {
		n, code, _ := strings.Cut(v, ":")
		out[n] = code
	}
	return out
}

// routes returns the values given for key as NUMBER[:ROUTE] (owned numbers
// and how messages reach them; the route defaults to honest).
func (o *Options) routes(key string) (map[string]Route, error) {
	out := map[string]Route{}
	for _, v := range o.Strings(key) {
		n, name, _ := strings.Cut(v, ":")
		r := RouteHonest
		if name != "" {
			var err error
			if r, err = ParseRoute(name); err != nil {
				return nil, err
			}
		}
		out[n] = r
	}
	return out, nil
}

// starters are the fakes [Start] knows, by provider name; each fake's file
// registers its own with register.
var starters = map[string]func(*Options) (Server, error){}

// register makes a fake startable by [Start] under the provider's name.
func register(name string, start func(*Options) (Server, error)) {
	if starters[name] != nil {
		panic("fakeapi: fake " + name + " registered twice")
	}
	starters[name] = start
}

// Names returns the provider names [Start] knows, sorted.
func Names() []string {
	var out []string
	for n := range starters {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Start starts the fake of the named provider with options "KEY=VALUE".
// It refuses an unknown provider, an option not of that form and an
// option the fake does not use.
func Start(name string, opts []string) (Server, error) {
	start := starters[name]
	if start == nil {
		return nil, fmt.Errorf("unknown provider %q", name)
	}
	o := &Options{read: map[string]bool{}}
	for _, kv := range opts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("option %q is not KEY=VALUE", kv)
		}
		o.pairs = append(o.pairs, [2]string{k, v})
	}
	s, err := start(o)
	if err != nil {
		return nil, err
	}
	for _, p := range o.pairs {
		if !o.read[p[0]] {
			s.Close()
			return nil, fmt.Errorf("unknown option %q", p[0])
		}
	}
	return s, nil
}
