package verifyapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/internal/redistest"
	"github.com/otpkit/otpkit/internal/testclock"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/filestore"
	"github.com/otpkit/otpkit/store/redisstore"
	"github.com/otpkit/otpkit/verifyapi"
)

// twoServers starts two handlers, each with its own connection to one Redis
// store (one prefix), as two otp serve processes would be.
func twoServers(t *testing.T, open func() docStore) ([2]string, *capture) {
	t.Helper()
	clk := testclock.New()
	snd := &capture{}
	var urls [2]string
	for i := range urls {
		st := open()
		t.Cleanup(func() { st.Close() })
		svc, err := otp.New(context.Background(), st, snd, otp.Options{Secret: []byte("0123456789abcdef0123"), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		h, err := verifyapi.New(verifyapi.Config{AccountSID: acct, AuthToken: token, OTP: svc, Docs: st, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	return urls, snd
}

func post(t *testing.T, u string, form url.Values) (int, map[string]any) {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(acct, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// race posts form n times at once, alternating between the servers, and
// counts the answers by status and code.
func race(t *testing.T, urls [2]string, path string, form url.Values, n int) map[string]int {
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, out := post(t, urls[i%2]+path, form)
			key := http.StatusText(st)
			if c, ok := out["code"].(float64); ok {
				key += fmt.Sprintf(" %d", int(c))
			} else if s, ok := out["status"].(string); ok {
				key += " " + s
			}
			mu.Lock()
			got[key]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// TestTwoServersOneRedis: two handlers on one Redis are one service: a
// service made on one is used on the other; 50 checks of one code racing
// across both approve it exactly once; of 30 wrong checks racing, at most
// 5 are judged (4 answer "pending", the one that used the last try and all
// later ones 429 60202).
func TestTwoServersOneRedis(t *testing.T) {
	redistest.Need(t)
	prefix := redistest.Prefix(t)
	testTwoServers(t, func() docStore {
		st, err := redisstore.Open(context.Background(), redisstore.Options{URL: redistest.URL(), Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestTwoServersOneFile: the same on one store file, opened per call as
// otp serve does, so two processes on one machine share it.
func TestTwoServersOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "otp.db")
	testTwoServers(t, func() docStore { return filestore.NewPerCall(path, nil) })
}

// docStore is a store that keeps documents too.
type docStore interface {
	store.Store
	store.DocStore
}

func testTwoServers(t *testing.T, open func() docStore) {
	urls, snd := twoServers(t, open)
	st, s := post(t, urls[0]+"/v2/Services", url.Values{"FriendlyName": {"Acme"}})
	if st != 201 {
		t.Fatalf("create service: %d %v", st, s)
	}
	svc := s["sid"].(string)
	st, v := post(t, urls[1]+"/v2/Services/"+svc+"/Verifications", url.Values{"To": {to}, "Channel": {"sms"}})
	if st != 201 {
		t.Fatalf("send on the other server: %d %v", st, v)
	}
	right := snd.last
	got := race(t, urls, "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {to}, "Code": {right}}, 50)
	if got["OK approved"] != 1 || got["Not Found 20404"] != 49 {
		t.Fatalf("50 racing right checks: %v; want 1 approved, 49 404", got)
	}

	const other = "+12015550124"
	st, v = post(t, urls[0]+"/v2/Services/"+svc+"/Verifications", url.Values{"To": {other}, "Channel": {"sms"}})
	if st != 201 {
		t.Fatalf("send: %d %v", st, v)
	}
	wrong := "000000"
	if snd.last == wrong {
		wrong = "111111"
	}
	got = race(t, urls, "/v2/Services/"+svc+"/VerificationCheck", url.Values{"To": {other}, "Code": {wrong}}, 30)
	judged := got["OK pending"]
	if judged > 4 || got["Too Many Requests 60202"] < 1 || judged+got["Too Many Requests 60202"]+got["Not Found 20404"] != 30 {
		t.Fatalf("30 racing wrong checks: %v; want at most 4 pending, then 429 60202 or 404", got)
	}
	if judged != 4 {
		t.Fatalf("30 racing wrong checks: %d judged pending, want exactly 4 (no try lost): %v", judged, got)
	}
	req, _ := http.NewRequest("GET", urls[1]+"/v2/Services/"+svc+"/Verifications/"+v["sid"].(string), nil)
	req.SetBasicAuth(acct, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f map[string]any
	json.NewDecoder(resp.Body).Decode(&f)
	if f["status"] != "max_attempts_reached" {
		t.Fatalf("after the race: %v", f)
	}
}
