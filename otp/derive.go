package otp

import "fmt"

// Derive returns a Service that shares s's store, sender, key, limits and
// templates, but makes codes of length characters (0: s's length) and
// renders appName as {{.AppName}} ("": s's). A code sent by either is
// verified by either: the hash of a code does not depend on its length.
// Servers that host several applications on one store use it (otp serve
// gives each Verify service its own code length and name).
func (s *Service) Derive(length int, appName string) (*Service, error) {
	if length != 0 && (length < MinLength || length > MaxLength) {
		return nil, fmt.Errorf("%w: code length %d is not within %d-%d", ErrInvalidOptions, length, MinLength, MaxLength)
	}
	d := *s
	if length != 0 {
		d.opts.Length = length
	}
	if appName != "" {
		d.opts.AppName = appName
	}
	return &d, nil
}
