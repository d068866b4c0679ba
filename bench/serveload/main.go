// Command serveload is the load generator of bench/serve.sh: concurrent
// clients that each repeat a create+check pair against a Twilio Verify v2 API
// (otp serve, or a mock such as Prism) over HTTP, and one line of figures:
// pairs per second and the p50 and p99 latency of a pair.
//
//	serveload -url http://127.0.0.1:8080 -account AC... -token ... -outbox outbox.jsonl
//
// A pair is POST /v2/Services/{sid}/Verifications (To, Channel=sms) then
// POST /v2/Services/{sid}/VerificationCheck (To, Code); the check must answer
// "status": "approved", else the pair is an error. With -outbox the code is
// read back from otp serve's outbox file (the line is written before the
// create answers); without it every check sends -code, which a stateless
// mock approves. Client i uses the number +1 201 555 01ii, so at most 100
// clients. Only pairs that start after the warm-up and end before the
// deadline are counted. It exits 1 if any pair failed.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of the Verify API")
	account := flag.String("account", os.Getenv("TWILIO_ACCOUNT_SID"), "account sid (Basic-auth user); default $TWILIO_ACCOUNT_SID")
	token := flag.String("token", os.Getenv("TWILIO_AUTH_TOKEN"), "auth token (Basic-auth password); default $TWILIO_AUTH_TOKEN")
	service := flag.String("service", "", "service sid; empty: create one")
	box := flag.String("outbox", "", "otp serve's outbox file, to read the codes from; empty: send -code")
	fixed := flag.String("code", "123456", "the code every check sends without -outbox")
	clients := flag.Int("clients", 64, "concurrent clients (at most 100)")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 2*time.Second, "time before measuring")
	label := flag.String("label", "", "a name printed at the start of the line")
	flag.Parse()
	if *clients < 1 || *clients > 100 {
		fail(errors.New("-clients must be 1 to 100"))
	}
	u, err := url.Parse(strings.TrimRight(*base, "/"))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		fail(fmt.Errorf("-url %q: want http://host:port", *base))
	}
	l := &load{host: u.Host, path: u.EscapedPath(), fixed: *fixed,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(*account+":"+*token))}
	if *box != "" {
		l.box = &tail{path: *box, last: map[string]string{}}
	}
	sid := *service
	if sid == "" {
		var s struct{ Sid string }
		if err := l.post(&conn{}, "/v2/Services", url.Values{"FriendlyName": {"bench"}}, &s); err != nil {
			fail(fmt.Errorf("create service: %w", err))
		}
		sid = s.Sid
	}
	l.svc = "/v2/Services/" + url.PathEscape(sid)

	start := time.Now()
	from, until := start.Add(*warmup), start.Add(*warmup+*duration)
	lat := make([][]time.Duration, *clients)
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := fmt.Sprintf("+12015550%d", 100+i)
			c := &conn{}
			for {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				err := l.pair(c, to)
				t1 := time.Now()
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				if !t0.Before(from) && !t1.After(until) {
					lat[i] = append(lat[i], t1.Sub(t0))
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	secs := duration.Seconds()
	fmt.Printf("%spairs %d seconds %.2f pairs/s %.1f p50_ms %.2f p99_ms %.2f errors %d clients %d\n",
		prefix(*label), len(all), secs, float64(len(all))/secs, ms(quantile(all, 0.50)), ms(quantile(all, 0.99)), errs.Load(), *clients)
	if n := errs.Load(); n > 0 {
		fail(fmt.Errorf("%d pairs failed; the first: %v", n, firstErr.Load()))
	}
}

func prefix(label string) string {
	if label == "" {
		return ""
	}
	return label + " "
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "serveload:", err)
	os.Exit(1)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantile returns the q-quantile of sorted (nearest rank), or 0.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

type load struct {
	host, path, auth, fixed, svc string
	box                          *tail
}

// pair creates a verification for to and checks its code.
func (l *load) pair(c *conn, to string) error {
	if err := l.post(c, l.svc+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}}, nil); err != nil {
		return fmt.Errorf("create verification: %w", err)
	}
	code := l.fixed
	if l.box != nil {
		var err error
		if code, err = l.box.code(to); err != nil {
			return err
		}
	}
	var ans struct{ Status string }
	if err := l.post(c, l.svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {code}}, &ans); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if ans.Status != "approved" {
		return fmt.Errorf("check: status %q, want approved", ans.Status)
	}
	return nil
}

// post sends a form and decodes a 2xx JSON answer into out (nil: discard),
// over the calling client's own keep-alive connection.
func (l *load) post(c *conn, path string, form url.Values, out any) error {
	body, status, err := c.post(l, path, form.Encode())
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("%d: %s", status, bytes.TrimSpace(body))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// conn is one keep-alive HTTP/1.1 connection. The load speaks HTTP itself,
// a request written in one call and the answer read with
// http.ReadResponse, rather than through http.Client, whose transport
// machinery took as much CPU as the server under test: on a 2-CPU machine
// every cycle the load spends is one the server does not get.
type conn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

func (c *conn) post(l *load, path, form string) ([]byte, int, error) {
	for try := 0; ; try++ {
		if c.c == nil {
			nc, err := net.DialTimeout("tcp", l.host, 10*time.Second)
			if err != nil {
				return nil, 0, err
			}
			c.c, c.r = nc, bufio.NewReaderSize(nc, 16<<10)
		}
		c.buf = append(c.buf[:0], "POST "...)
		c.buf = append(c.buf, l.path+path...)
		c.buf = append(c.buf, " HTTP/1.1\r\nHost: "...)
		c.buf = append(c.buf, l.host...)
		c.buf = append(c.buf, "\r\nAuthorization: "...)
		c.buf = append(c.buf, l.auth...)
		c.buf = append(c.buf, "\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: "...)
		c.buf = strconv.AppendInt(c.buf, int64(len(form)), 10)
		c.buf = append(c.buf, "\r\n\r\n"...)
		c.buf = append(c.buf, form...)
		c.c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err := c.c.Write(c.buf)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(c.r, nil)
		}
		if err != nil {
			// A connection the server closed while idle: dial again, once.
			c.c.Close()
			c.c = nil
			if try == 0 {
				continue
			}
			return nil, 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.Close {
			c.c.Close()
			c.c = nil
		}
		return body, resp.StatusCode, err
	}
}

// tail reads an outbox file as it grows and keeps the newest code per number.
type tail struct {
	mu   sync.Mutex
	path string
	r    *bufio.Reader
	part []byte // the start of a line not yet ended
	last map[string]string
}

// code returns the newest code in the outbox for to, reading what was
// appended since the last call.
func (t *tail) code(to string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.r == nil {
		f, err := os.Open(t.path)
		if err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
		t.r = bufio.NewReaderSize(f, 1<<20)
	}
	for {
		line, err := t.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			t.part = append(t.part, line...)
			continue
		}
		if err != nil { // io.EOF: the rest is a line still being written
			t.part = append(t.part, line...)
			break
		}
		if len(t.part) > 0 {
			line = append(t.part, line...)
			t.part = t.part[:0]
		}
		var e struct{ To, Code string }
		if err := json.Unmarshal(line, &e); err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
		t.last[e.To] = e.Code
	}
	c, ok := t.last[to]
	if !ok {
		return "", fmt.Errorf("outbox: no code for %s", to)
	}
	return c, nil
}
