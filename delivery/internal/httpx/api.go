package httpx

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/otpkit/otpkit/delivery"
)

// API is what a provider's Sender keeps to call its REST API: the
// [Caller], the base URL requests go to and the time one Send or Status
// may take, retries included.
type API struct {
	*Caller
	base    *url.URL
	timeout time.Duration
}

// APIConfig is what [NewAPI] builds an API from: the settings every HTTP
// provider's Config has, and how the provider authenticates and reads its
// errors (see [Caller]).
type APIConfig struct {
	Provider                string
	BaseURL, DefaultBaseURL string // the setting and the API's origin
	Timeout                 time.Duration
	Retry                   delivery.RetryPolicy
	Transport               http.RoundTripper
	Prepare                 func(req *http.Request, body []byte)
	ParseError              func(status int, body []byte) *delivery.ProviderError
	Secrets                 []string
}

// NewAPI checks the base URL (a [*delivery.ConfigError] naming BaseURL)
// and returns the API.
func NewAPI(c APIConfig) (*API, error) {
	base, err := BaseURL(c.Provider, "BaseURL", c.BaseURL, c.DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &API{
		Caller: &Caller{Provider: c.Provider, Client: NewClient(c.Retry, c.Transport),
			Prepare: c.Prepare, ParseError: c.ParseError, Secrets: c.Secrets},
		base:    base,
		timeout: Timeout(c.Timeout),
	}, nil
}

// URL returns the URL of path under the base URL (see [Join]).
func (a *API) URL(path string) string { return Join(a.base, path) }

// Bound returns ctx bounded by the time one Send or Status may take.
func (a *API) Bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.timeout)
}
