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
type fakeServer = fakeapi.Server

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
//	fake start NAME [OPTION=VALUE...]  start the fake of provider NAME (fakeapi.Names)
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
// Each fake reads its own options, documented at its register call in
// internal/fakeapi (e.g. twilio trial=NUMBER invalid=NUMBER
// undeliverable=NUMBER:CODE); an option the fake does not read fails the
// script.
// Probe scripts use owned=NUMBER[:ROUTE] and smsurl=URL (twilio, telnyx):
// see fakeapi.ParseRoute for the routes.
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

// startFake starts the fake of provider name from package fakeapi's
// registry, with the script's options.
func startFake(ts *testscript.TestScript, name string, opts []string) fakeServer {
	f, err := fakeapi.Start(name, opts)
	if err != nil {
		ts.Fatalf("fake start: %v", err)
	}
	if name == "telnyx" {
		ts.Setenv("TELNYX_WEBHOOK_KEY", fakeapi.TelnyxWebhookPublicKey) // checks its signed message.received events
	}
	return f
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
