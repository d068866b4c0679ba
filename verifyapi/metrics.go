package verifyapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics counts otp serve's traffic for Prometheus, in its own registry
// (with the Go runtime's and the process's collectors), served by
// [Metrics.Handler]:
//
//   - otp_serve_verifications_created_total{channel}: new verifications
//     (a 201 answer whose send_code_attempts holds one send), by the
//     channel that carried the code (sms, call);
//   - otp_serve_verification_checks_total{outcome}: answers to
//     VerificationCheck: approved, rejected (a wrong code), max_attempts
//     (60202), not_found (20404), invalid (400), unauthorized, error (5xx);
//   - otp_serve_deliveries_total{provider,outcome}: each provider's part in
//     each send: accepted, failed, or unknown (cut off after the request
//     was written);
//   - otp_serve_request_duration_seconds{route}: request latency by route
//     ([Route]: the method and the path template).
//
// A nil *Metrics counts nothing. Safe for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	created    *prometheus.CounterVec
	checks     *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// NewMetrics returns a Metrics with every counter registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		created: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otp_serve_verifications_created_total", Help: "Verifications created, by the channel that carried the code.",
		}, []string{"channel"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otp_serve_verification_checks_total", Help: "Verification checks, by outcome.",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otp_serve_deliveries_total", Help: "Deliveries handed to a provider, by provider and outcome.",
		}, []string{"provider", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "otp_serve_request_duration_seconds", Help: "Request latency, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.created, m.checks, m.deliveries, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveSend counts the deliveries of one otp.Service.Send: each
// provider that failed before the one that accepted the code, and that
// one; or, when every route failed, each failure. A send the limits
// refused reached no provider and counts nothing.
func (m *Metrics) ObserveSend(res otp.SendResult, err error) {
	if m == nil {
		return
	}
	var de *otp.DeliveryError
	switch {
	case err == nil:
		for _, a := range res.Attempts {
			m.delivery(a)
		}
		m.deliveries.WithLabelValues(provider(res.Provider), "accepted").Inc()
	case errors.As(err, &de):
		for _, a := range de.Attempts {
			m.delivery(a)
		}
	}
}

func (m *Metrics) delivery(a delivery.Attempt) {
	outcome := "failed"
	if delivery.OutcomeUnknown(a.Err) {
		outcome = "unknown"
	}
	m.deliveries.WithLabelValues(provider(a.Provider), outcome).Inc()
}

func provider(name string) string {
	if name == "" {
		return "unknown"
	}
	return name
}

const (
	routeCreate = "POST /v2/Services/{ServiceSid}/Verifications"
	routeCheck  = "POST /v2/Services/{ServiceSid}/VerificationCheck"
)

// wantsBody reports whether observe reads the answer of route.
func (m *Metrics) wantsBody(route string) bool {
	return m != nil && (route == routeCreate || route == routeCheck)
}

// observe counts one answer: its latency, and for creating a
// verification and checking one, what the answer (Twilio's wire format)
// says happened.
//
// The handler notes what it answered (a); without a note, the answer is
// read from body.
func (m *Metrics) observe(route string, status int, d time.Duration, a *answer, body []byte) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(route).Observe(d.Seconds())
	read := func() answer {
		if a != nil {
			return *a
		}
		var v struct {
			Channel  string            `json:"channel"`
			Status   string            `json:"status"`
			Attempts []json.RawMessage `json:"send_code_attempts"`
		}
		if json.Unmarshal(body, &v) != nil {
			return answer{attempts: -1}
		}
		return answer{channel: v.Channel, status: v.Status, attempts: len(v.Attempts)}
	}
	switch route {
	case routeCreate:
		if status != http.StatusCreated {
			break
		}
		if v := read(); v.attempts >= 0 && v.attempts <= 1 {
			m.created.WithLabelValues(label(v.channel)).Inc()
		}
	case routeCheck:
		var outcome string
		switch {
		case status == http.StatusOK || status == http.StatusCreated:
			v := read()
			switch v.status {
			case "approved":
				outcome = "approved"
			case "pending":
				outcome = "rejected"
			default:
				outcome = label(v.status)
			}
		case status == http.StatusTooManyRequests:
			outcome = "max_attempts"
		case status == http.StatusNotFound:
			outcome = "not_found"
		case status == http.StatusUnauthorized:
			outcome = "unauthorized"
		case status >= 500:
			outcome = "error"
		default:
			outcome = "invalid"
		}
		m.checks.WithLabelValues(outcome).Inc()
	}
}

// label keeps a value from an answer as a label only if it is one of
// Twilio's channels or statuses, so labels stay few.
func label(s string) string {
	switch s {
	case "sms", "call", "email", "whatsapp", "sna", "auto",
		"pending", "approved", "canceled", "max_attempts_reached", "deleted", "failed", "expired":
		return s
	}
	return "other"
}
