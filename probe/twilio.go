package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// oneLine keeps the first 200 printable characters of an API's message.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}

// TwilioReceiver reads inbound messages from Twilio's Messages list
// (GET /2010-04-01/Accounts/{AccountSid}/Messages.json with To and
// DateSent>=), following next_page_uri, keeping direction "inbound".
type TwilioReceiver struct {
	AccountSID string
	AuthToken  string
	BaseURL    string       // default https://api.twilio.com
	Client     *http.Client // default http.DefaultClient
}

type twilioPage struct {
	Messages []struct {
		SID         string `json:"sid"`
		From        string `json:"from"`
		To          string `json:"to"`
		Body        string `json:"body"`
		Direction   string `json:"direction"`
		DateCreated string `json:"date_created"`
		DateSent    string `json:"date_sent"`
	} `json:"messages"`
	NextPageURI string `json:"next_page_uri"`
}

// Inbound implements [Receiver].
func (t *TwilioReceiver) Inbound(ctx context.Context, to string, since time.Time) ([]Inbound, error) {
	base := strings.TrimRight(t.BaseURL, "/")
	if base == "" {
		base = "https://api.twilio.com"
	}
	c := t.Client
	if c == nil {
		c = http.DefaultClient
	}
	q := url.Values{"To": {to}, "DateSent>": {since.UTC().Format("2006-01-02")}, "PageSize": {"50"}}
	next := "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json?" + q.Encode()
	var out []Inbound
	for pages := 0; next != "" && pages < 20; pages++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+next, nil)
		if err != nil {
			return nil, fmt.Errorf("twilio inbound: %w", err)
		}
		req.SetBasicAuth(t.AccountSID, t.AuthToken)
		resp, err := c.Do(req)
		if err != nil {
			return nil, Retryable(fmt.Errorf("twilio inbound: %w", err))
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("twilio inbound: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			err := fmt.Errorf("twilio inbound: HTTP %d", resp.StatusCode)
			if json.Unmarshal(body, &e) == nil && e.Code != 0 {
				err = fmt.Errorf("twilio inbound: HTTP %d: twilio %d: %s", resp.StatusCode, e.Code, oneLine(e.Message))
			}
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
				err = Retryable(err)
			}
			return nil, err
		}
		var p twilioPage
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("twilio inbound: %w", err)
		}
		for _, m := range p.Messages {
			if m.Direction != "inbound" || m.To != to {
				continue
			}
			ts := m.DateSent
			if ts == "" {
				ts = m.DateCreated
			}
			at, err := time.Parse(time.RFC1123Z, ts)
			if err != nil || at.Before(since) {
				continue
			}
			out = append(out, Inbound{ID: m.SID, From: m.From, To: m.To, Body: m.Body, At: at})
		}
		next = p.NextPageURI
	}
	// Twilio lists newest first; callers want oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
