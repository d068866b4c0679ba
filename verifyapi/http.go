package verifyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/otpkit/otpkit/store"
)

// HTTPConfig is what [NewHTTPHandler] puts around the API.
type HTTPConfig struct {
	// API answers the Verify v2 paths (/v2/...): a [Handler].
	API http.Handler
	// Store is what GET /healthz asks; nil: /healthz is not served.
	Store store.Store
	// HealthTimeout bounds the store's answer to /healthz; default 2s.
	HealthTimeout time.Duration
	// Metrics counts the traffic and serves GET /metrics; nil: neither.
	Metrics *Metrics
	// Logger receives one access-log line per request; nil: no log.
	Logger *slog.Logger
	// MaxBody is the largest request body accepted, in bytes; default [MaxBody].
	MaxBody int64
	// Now measures request durations; default time.Now.
	Now func() time.Time
}

// Twilio publishes no error codes for an oversized body or a body that is
// not a form; otp serve answers 20000 plus the HTTP status, the pattern of
// Twilio's own 20404, 20429 and 20500.
const (
	codeNotFound      = 20404
	codeTooLarge      = 20413
	codeMediaType     = 20415
	codeInternal      = 20500
	codeBadRequest    = 20001
	formContentType   = "application/x-www-form-urlencoded"
	defaultHealthWait = 2 * time.Second
)

// NewHTTPHandler returns the whole HTTP surface of otp serve: the API under
// /v2/ behind a request-body limit and a Content-Type check, GET /healthz,
// GET /metrics, Twilio's 404 (code 20404) for every other path, every
// panic recovered into Twilio's 500 (code 20500, no stack trace), and an
// access log. Every error answer has Twilio's shape: {code, message,
// more_info, status}.
//
// The access log (JSON with log/slog) holds the method, the path (sids
// kept; any other segment keeps letters and only the last 4 digits), the
// route, the status and the duration: never a query string, a body, a
// header, a code or a credential.
func NewHTTPHandler(c HTTPConfig) http.Handler {
	if c.MaxBody <= 0 {
		c.MaxBody = MaxBody
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = defaultHealthWait
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	mux := http.NewServeMux()
	if c.Store != nil {
		mux.Handle("GET /healthz", Healthz(c.Store, c.HealthTimeout))
	}
	if c.Metrics != nil {
		mux.Handle("GET /metrics", c.Metrics.Handler())
	}
	mux.Handle("/v2/", limitBody(c.API, c.MaxBody))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, codeNotFound, "The requested resource "+maskPath(r.URL.Path)+" was not found")
	})
	return &logged{next: recovered(mux, c.Logger), c: c}
}

// limitBody reads a POST's body, at most max bytes, before next sees it:
// a longer one answers 413, a body that is not a form 415.
func limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			tooLarge(w, max)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		if err != nil {
			writeErr(w, http.StatusBadRequest, codeBadRequest, "The request body could not be read")
			return
		}
		if int64(len(body)) > max {
			tooLarge(w, max)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" || len(body) > 0 {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != formContentType {
				writeErr(w, http.StatusUnsupportedMediaType, codeMediaType, "The request body must be "+formContentType)
				return
			}
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	// The client may still be sending: close the connection rather than
	// read the rest.
	w.Header().Set("Connection", "close")
	writeErr(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("The request body is larger than %d bytes", max))
}

// recovered turns a panic in next into Twilio's 500, logging the stack
// for the operator (never the panic's value, which could hold anything).
func recovered(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if log != nil {
				log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("method", r.Method),
					slog.String("path", maskPath(r.URL.Path)), slog.String("type", fmt.Sprintf("%T", p)),
					slog.String("stack", string(debug.Stack())))
			}
			if rw, ok := w.(*statusWriter); ok && rw.status != 0 {
				// Too late for a clean answer: cut the connection.
				panic(http.ErrAbortHandler)
			}
			writeErr(w, http.StatusInternalServerError, codeInternal, "Internal server error")
		}()
		next.ServeHTTP(w, r)
	})
}

// logged writes the access log and feeds the metrics.
type logged struct {
	next http.Handler
	c    HTTPConfig
}

func (l *logged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := l.c.Now()
	rt := Route(r.Method, r.URL.Path)
	sw := &statusWriter{ResponseWriter: w}
	if l.c.Metrics != nil && l.c.Metrics.wantsBody(rt) {
		sw.keep = 4 << 10
	}
	defer func() {
		d := l.c.Now().Sub(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		if l.c.Metrics != nil {
			l.c.Metrics.observe(rt, status, d, sw.answer, sw.kept.Bytes())
		}
		if l.c.Logger != nil {
			l.c.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", maskPath(r.URL.Path)),
				slog.String("route", rt), slog.Int("status", status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.Int64("bytes", sw.bytes))
		}
	}()
	l.next.ServeHTTP(sw, r)
}

// statusWriter remembers the status, counts the bytes and, for the routes
// the metrics read, keeps the start of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	keep   int
	kept   bytes.Buffer
	answer *answer // what the handler said it answered, if it did
}

// answer is what the metrics read of a create's or a check's answer.
type answer struct {
	channel, status string
	attempts        int
}

// noteAnswer tells the metrics what an answer says, sparing them reading
// it back from the bytes (a second JSON decoding on every request).
func noteAnswer(w http.ResponseWriter, a answer) {
	if sw, ok := w.(*statusWriter); ok {
		sw.answer = &a
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if n := w.keep - w.kept.Len(); n > 0 {
		w.kept.Write(b[:min(n, len(b))])
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Route returns the route a request is counted under: the path template
// of Twilio's description ("/v2/Services/{ServiceSid}/Verifications/{Sid}")
// after the method, "/healthz" and "/metrics", or "other" for any other
// path, so that labels stay few.
func Route(method, path string) string {
	p := strings.Split(strings.Trim(path, "/"), "/")
	var t string
	switch {
	case len(p) == 1 && (p[0] == "healthz" || p[0] == "metrics"):
		t = "/" + p[0]
	case len(p) < 2 || p[0] != "v2" || p[1] != "Services":
		t = "other"
	case len(p) == 2:
		t = "/v2/Services"
	case len(p) == 3:
		t = "/v2/Services/{Sid}"
	case len(p) == 4 && (p[3] == "Verifications" || p[3] == "VerificationCheck"):
		t = "/v2/Services/{ServiceSid}/" + p[3]
	case len(p) == 5 && p[3] == "Verifications":
		t = "/v2/Services/{ServiceSid}/Verifications/{Sid}"
	default:
		t = "other"
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodOptions:
		return method + " " + t
	}
	return "OTHER " + t
}

// maskPath returns path fit for a log: each segment that is a Twilio sid
// (two capitals and 32 hex digits) or plain letters stays, any other
// keeps only its last 4 digits ("+12015550123" is "+xxxxxxx0123") and at
// most 64 characters, so a number a client put in a path never reaches
// the log in full.
func maskPath(path string) string {
	segs := strings.Split(path, "/")
	if len(segs) > 12 {
		segs = append(segs[:12], "...")
	}
	for i, s := range segs {
		if isSid(s) || isWord(s) {
			continue
		}
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		digits := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		b := []byte(s)
		for j := range b {
			if b[j] >= '0' && b[j] <= '9' {
				if digits > 4 {
					b[j] = 'x'
				}
				digits--
			}
		}
		segs[i] = string(b)
	}
	return strings.Join(segs, "/")
}

func isSid(s string) bool {
	return len(s) == 34 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && isHex(s[2:])
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isWord(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Healthz answers GET /healthz: 200 {"status":"ok"} when the store answers
// a read of a fixed key within timeout, else 503 in Twilio's error shape.
// The key is not a phone number, so the read finds nothing and changes
// nothing.
func Healthz(st store.Store, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			_, _, err := st.Get(ctx, healthKey)
			errc <- err
		}()
		var err error
		select {
		case err = <-errc:
		case <-ctx.Done():
			err = ctx.Err()
		}
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			writeErr(w, http.StatusServiceUnavailable, 20503, "The store is not answering")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
}

// healthKey is the record /healthz reads: not an E.164 number, so no
// number's record.
const healthKey = "otpkit-healthz"
