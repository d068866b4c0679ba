package plivo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// sdkAuthID is the auth id of the SDK's fixtures (resource_uri).
const sdkAuthID = "MAXXXXXXXXXXXXXXXXXX"

// whole serves a fixture file as it is; other values of object serve
// objects[object] of a list fixture.
const whole = -1

// sdkFixture reads testdata/sdk/file (see testdata/sdk/README), or one
// object of the list it holds.
func sdkFixture(t *testing.T, file string, object int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdk", file))
	if err != nil {
		t.Fatal(err)
	}
	if object == whole {
		return b
	}
	var list struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(b, &list); err != nil || object >= len(list.Objects) {
		t.Fatalf("%s: no objects[%d] (%v)", file, object, err)
	}
	return list.Objects[object]
}

// TestSDKFixtures replays the response fixtures of Plivo's Go SDK
// (plivo/plivo-go fixtures/), with the HTTP status its tests answer them
// with, to the real Sender.
func TestSDKFixtures(t *testing.T) {
	t.Parallel()
	const sendPath = "/v1/Account/" + sdkAuthID + "/Message/"
	tests := []struct {
		name   string
		file   string
		object int
		status int
		lookup string // "": Send; else Status of this uuid

		wantID     string          // Send: the receipt's id
		wantStatus delivery.Report // Status
		wantErr    string          // the whole error, "" for none
	}{
		{name: "message create", file: "messageSendResponse.json", object: whole, status: http.StatusAccepted,
			wantID: "5b40a428-bfc7-4daf-9d06-726c558bf3b8"},
		{name: "message get, sent, error_code null", file: "messageGetResponse.json", object: whole, status: http.StatusOK,
			lookup:     "5b40a428-bfc7-4daf-9d06-726c558bf3b8",
			wantStatus: delivery.Report{State: delivery.StatePending, Raw: "sent"}},
		{name: "message list object: failed 450", file: "messageListResponse.json", object: 7, status: http.StatusOK,
			lookup: "937da994-4d07-4a85-9252-764d846cacf5",
			wantStatus: delivery.Report{State: delivery.StateFailed, Raw: "failed", ErrorCode: "450",
				Error: "the destination country is barred in the account's geo permissions"}},
		{name: "message list object: delivered 000", file: "messageListResponse.json", object: 8, status: http.StatusOK,
			lookup:     "0e4198f3-f04f-47d7-ae61-a152e4f4146a",
			wantStatus: delivery.Report{State: delivery.StateDelivered, Raw: "delivered"}},
		{name: "error answered with 200, to a send", file: "campaignNumberLinkUnlinkResponse.json", object: whole, status: http.StatusOK,
			wantErr: "plivo (HTTP 200): The number xxxxx is not a valid number"},
		{name: "error answered with 200, to a send (2)", file: "profileDeleteResponse.json", object: whole, status: http.StatusOK,
			wantErr: "plivo (HTTP 200): Profile not found."},
		{name: "error answered with 200, to a lookup", file: "profileDeleteResponse.json", object: whole, status: http.StatusOK,
			lookup:  "5b40a428-bfc7-4daf-9d06-726c558bf3b8",
			wantErr: "plivo (HTTP 200): Profile not found."},
		{name: "error_code and message, 404, to a send", file: "lookupGetError.json", object: whole, status: http.StatusNotFound,
			wantErr: "plivo (HTTP 404): not found; check the auth id, the message uuid and base_url"},
		{name: "error_code and message, 404, to a lookup", file: "lookupGetError.json", object: whole, status: http.StatusNotFound,
			lookup:  "5b40a428-bfc7-4daf-9d06-726c558bf3b8",
			wantErr: "plivo (HTTP 404): not found; check the auth id, the message uuid and base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			answer := sdkFixture(t, tt.file, tt.object)
			method, path := http.MethodPost, sendPath
			if tt.lookup != "" {
				method, path = http.MethodGet, sendPath+tt.lookup+"/"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user, pass, _ := r.BasicAuth()
				if r.Method != method || r.URL.Path != path || user != sdkAuthID || pass != fakeAuthToken {
					t.Errorf("request %s %s (auth %q), want %s %s", r.Method, r.URL.Path, user, method, path)
					w.WriteHeader(http.StatusTeapot)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write(answer)
			}))
			t.Cleanup(srv.Close)
			s := sender(t, Config{AuthID: sdkAuthID, AuthToken: fakeAuthToken, From: "+12015550100", BaseURL: srv.URL,
				Timeout: 5 * time.Second, Retry: delivery.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})

			var err error
			if tt.lookup == "" {
				var rc delivery.Receipt
				rc, err = s.Send(context.Background(), sms())
				if err == nil && (rc.Provider != Name || rc.ID != tt.wantID || rc.Status != "queued") {
					t.Errorf("receipt = %+v, want id %s, queued", rc, tt.wantID)
				}
			} else {
				var st delivery.Report
				st, err = s.Status(context.Background(), tt.lookup)
				if err == nil && st != tt.wantStatus {
					t.Errorf("status = %+v\nwant     %+v", st, tt.wantStatus)
				}
			}
			sendertest.CheckRefusal(t, err, tt.wantErr, tt.status)
		})
	}
}

// fakeAuthToken is the auth token of the fixture replays.
const fakeAuthToken = "c2RrZml4dHVyZXRva2VuMDAwMDAwMDAwMDAwMDAw"

// TestRefusalRedacted: the error of a success answer that holds only an
// error is redacted like any other provider text: the message text and the
// credentials.
func TestRefusalRedacted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"api_id": "e4fa5df0-0989-11ed-a350-0242ac110004", "error": "text ` + body + ` refused for ` + fakeAuthToken + `"}`))
	}))
	t.Cleanup(srv.Close)
	s := sender(t, Config{AuthID: sdkAuthID, AuthToken: fakeAuthToken, From: "+12015550100", BaseURL: srv.URL, Timeout: 5 * time.Second})
	_, err := s.Send(context.Background(), sms())
	want := "plivo (HTTP 200): text [redacted] refused for [redacted]"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}
