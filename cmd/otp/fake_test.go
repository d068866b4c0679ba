package main

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/otpkit/otpkit/config"

	"github.com/otpkit/otpkit/internal/fakeapi"
	"github.com/rogpeppe/go-internal/testscript"
)

// providerEnv returns the environment variables otp reads provider
// settings from, as the registry gives them; scripts start with them empty.
func providerEnv() []string {
	var out []string
	for _, p := range config.Registered() {
		for _, s := range config.Settings(p) {
			if s.Env != "" {
				out = append(out, s.Env)
			}
		}
	}
	return out
}

// fakeServer is what the scripts use of a fake provider API.
type fakeServer interface {
	URL() string
	Close()
	Fail(...fakeapi.Fault)
	Requests() []fakeapi.Request
}

// fakesKey holds a script's fakes in its testscript values.
type fakesKey struct{}

// scriptFakes are the fakes of one script, by name.
type scriptFakes struct {
	servers map[string]fakeServer
	checked map[string]int // requests already checked by "fake requests"
}

func newScriptFakes() *scriptFakes {
	return &scriptFakes{servers: map[string]fakeServer{}, checked: map[string]int{}}
}

func (s *scriptFakes) close() {
	for _, f := range s.servers {
		f.Close()
	}
}

// cmdFake drives the fake provider APIs of package internal/fakeapi, which
// run in the test process on loopback for the length of the script:
//
//	fake start NAME [OPTION=VALUE...]  start twilio, telnyx, plivo, messagebird or webhook
//	                                   and set $NAME_URL (e.g. $TWILIO_URL) to its base URL
//	fake fail NAME STATUS [RETRY-AFTER [BODY]]
//	                                   answer the next request with an HTTP error ('' for no
//	                                   Retry-After; BODY instead of the API's own error body)
//	fake requests NAME [REGEXP...]     check the requests since the last "fake requests NAME":
//	                                   one whose "METHOD /path" matches each REGEXP, in order
//	fake code NAME VAR [N]             put the code the last N (default 1) requests that
//	                                   carried one carried into $VAR; fail if they differ
//	fake port VAR                      put a free loopback port into $VAR (for a listener)
//	fake sent NAME FILE                write the text of the last message NAME was asked to
//	                                   send (its Body field) into FILE
//
// Options: trial=NUMBER (the account may only send to these numbers),
// invalid=NUMBER (refused as not valid), undeliverable=NUMBER:CODE (the
// delivery status fails), landline=NUMBER (twilio: SMS refused, calls
// go through), nobalance=true (messagebird), callsids=true (telnyx: calls
// answer with a call_sid, the older shape), unconfirmed=NUMBER (telnyx:
// ends in delivery_unconfirmed), lag=N (telnyx: the first N lookups of a
// message answer 404), owned=NUMBER[:ROUTE] (twilio: the account owns the
// number, and messages sent to it arrive in its Messages list by the route
// honest (the default), lost (nothing arrives; the receipt still says
// delivered), shortcode (from fakeapi.TwilioShortCode), altered (the text
// changed) or slow (fakeapi.TwilioSlowLatency after the send); the arrival
// times count from the test clock's base, as OTP_TEST_NOW=+0s does),
// smsurl=URL (twilio: arrivals are also posted there, signed, as the
// owned numbers' messaging webhook). Telnyx takes owned= and smsurl= too:
// its arrivals go only to smsurl, as signed message.received events, and
// "fake start telnyx" sets $TELNYX_WEBHOOK_KEY to the key that checks them.
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fake start|fail|requests|code NAME ...")
	}
	fakes := ts.Value(fakesKey{}).(*scriptFakes)
	verb, name, rest := args[0], args[1], args[2:]
	if verb == "port" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		ts.Setenv(name, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		ln.Close()
		return
	}
	if verb == "start" {
		if fakes.servers[name] != nil {
			ts.Fatalf("fake %s is already running", name)
		}
		f := startFake(ts, name, rest)
		fakes.servers[name] = f
		ts.Setenv(strings.ToUpper(name)+"_URL", f.URL())
		return
	}
	f := fakes.servers[name]
	if f == nil {
		ts.Fatalf("fake %s is not running", name)
	}
	switch verb {
	case "fail":
		if len(rest) < 1 {
			ts.Fatalf("usage: fake fail NAME STATUS [RETRY-AFTER [BODY]]")
		}
		status, err := strconv.Atoi(rest[0])
		ts.Check(err)
		fault := fakeapi.Fault{Status: status}
		if len(rest) > 1 {
			fault.RetryAfter = rest[1]
		}
		if len(rest) > 2 {
			fault.Body = rest[2]
		}
		f.Fail(fault)
	case "requests":
		reqs := f.Requests()
		from := fakes.checked[name]
		fakes.checked[name] = len(reqs)
		var got []string
		for _, r := range reqs[from:] {
			got = append(got, r.Method+" "+r.Path)
		}
		ok := len(got) == len(rest)
		for i := 0; ok && i < len(got); i++ {
			ok = regexp.MustCompile(rest[i]).MatchString(got[i])
		}
		if !ok {
			ts.Fatalf("%s got the requests\n\t%s\nwant\n\t%s", name, strings.Join(got, "\n\t"), strings.Join(rest, "\n\t"))
		}
	case "sent":
		if len(rest) != 1 {
			ts.Fatalf("usage: fake sent NAME FILE")
		}
		reqs, text := f.Requests(), ""
		for i := len(reqs) - 1; i >= 0 && text == ""; i-- {
			if reqs[i].Method == "POST" {
				text = reqs[i].Form.Get("Body")
			}
		}
		if text == "" {
			ts.Fatalf("%s was asked to send no text", name)
		}
		ts.Check(os.WriteFile(ts.MkAbs(rest[0]), []byte(text+"\n"), 0o600))
	case "code":
		if len(rest) != 1 && len(rest) != 2 {
			ts.Fatalf("usage: fake code NAME VAR [N]")
		}
		n := 1
		if len(rest) == 2 {
			var err error
			n, err = strconv.Atoi(rest[1])
			ts.Check(err)
		}
		code, reqs := "", f.Requests()
		for i := len(reqs) - 1; i >= 0 && n > 0; i-- {
			r := reqs[i]
			body, err := url.QueryUnescape(string(r.Body))
			if err != nil {
				body = string(r.Body)
			}
			m := consoleCode.FindStringSubmatch(body)
			if m == nil {
				continue
			}
			c := strings.ReplaceAll(m[1], ", ", "")
			if code != "" && c != code {
				ts.Fatalf("%s got two codes: %s and %s", name, code, c)
			}
			code = c
			n--
		}
		if n > 0 {
			ts.Fatalf("%s got fewer requests with a code than asked for", name)
		}
		if code == "" {
			ts.Fatalf("%s got no code", name)
		}
		ts.Setenv(rest[0], code)
	default:
		ts.Fatalf("fake: unknown verb %q", verb)
	}
}

func startFake(ts *testscript.TestScript, name string, opts []string) fakeServer {
	var (
		trial, invalid, landline []string
		undeliverable            = map[string]string{}
		noBalance, callSIDs      bool
		unconfirmed              []string
		lag                      int
		answer, smsURL           string
		owned                    = map[string]fakeapi.Route{}
	)
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			ts.Fatalf("fake start: option %q is not KEY=VALUE", o)
		}
		switch k {
		case "trial":
			trial = append(trial, v)
		case "invalid":
			invalid = append(invalid, v)
		case "landline":
			landline = append(landline, v)
		case "undeliverable":
			n, code, _ := strings.Cut(v, ":")
			undeliverable[n] = code
		case "nobalance":
			noBalance = v == "true"
		case "callsids":
			callSIDs = v == "true"
		case "unconfirmed":
			unconfirmed = append(unconfirmed, v)
		case "lag":
			n, err := strconv.Atoi(v)
			ts.Check(err)
			lag = n
		case "answer":
			answer = v
		case "owned":
			n, route, _ := strings.Cut(v, ":")
			r := fakeapi.RouteHonest
			if route != "" {
				var err error
				r, err = fakeapi.ParseRoute(route)
				ts.Check(err)
			}
			owned[n] = r
		case "smsurl":
			smsURL = v
		default:
			ts.Fatalf("fake start: unknown option %q", k)
		}
	}
	switch name {
	case "twilio":
		f := fakeapi.NewTwilio()
		f.Verified, f.Invalid, f.Landlines, f.Undeliverable = trial, invalid, landline, undeliverable
		f.Owned, f.SMSURL = owned, smsURL
		return f
	case "telnyx":
		f := fakeapi.NewTelnyx()
		f.Verified, f.Invalid, f.Undeliverable = trial, invalid, undeliverable
		f.CallSIDs, f.Unconfirmed, f.Lag = callSIDs, unconfirmed, lag
		f.Owned, f.WebhookURL = owned, smsURL
		ts.Setenv("TELNYX_WEBHOOK_KEY", fakeapi.TelnyxWebhookPublicKey)
		return f
	case "plivo":
		f := fakeapi.NewPlivo()
		f.Verified, f.Invalid, f.Undeliverable = trial, invalid, undeliverable
		return f
	case "messagebird":
		f := fakeapi.NewMessageBird()
		f.Invalid, f.Undeliverable, f.NoBalance = invalid, undeliverable, noBalance
		return f
	case "webhook":
		f := fakeapi.NewWebhook()
		f.Answer = answer
		return f
	}
	ts.Fatalf("fake start: unknown provider %q", name)
	return nil
}

// cmdExpand FILE... replaces $VAR and ${VAR} in files with the script's
// environment, so configuration files can hold the fakes' URLs.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: expand FILE...")
	}
	for _, name := range args {
		p := ts.MkAbs(name)
		data, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, []byte(os.Expand(string(data), ts.Getenv)), 0o600))
	}
}
