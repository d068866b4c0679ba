package messagebird

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/sendertest"
)

// answer is one canned response: a fixture of testdata/sdk (see its
// README) with an HTTP status.
type answer struct {
	status int
	file   string
}

// TestSDKFixtures replays the response fixtures of MessageBird's Go SDK
// (messagebird/go-rest-api */testdata), with the HTTP status its tests
// answer them with, to the real Sender.
func TestSDKFixtures(t *testing.T) {
	t.Parallel()
	const (
		smsID   = "6fe65f90454aa61536e6a88b88972670"
		voiceID = "430c44a0354aab7ac9553f7a49907463"
	)
	notFound := answer{http.StatusNotFound, "messageNotFound.json"}
	tests := []struct {
		name    string
		channel delivery.Channel // Send on this channel, or
		lookup  string           // Status of this id
		answers map[string]answer

		wantID, wantReceipt string          // Send: the receipt's id and status
		wantStatus          delivery.Report // Status
		wantErr             string          // the whole error, "" for none
		wantHTTP            int
	}{
		{name: "message create", channel: delivery.SMS,
			answers: map[string]answer{"POST /messages": {http.StatusOK, "messageObject.json"}},
			wantID:  smsID, wantReceipt: "sent"},
		{name: "voice message create", channel: delivery.Voice,
			answers: map[string]answer{"POST /voicemessages": {http.StatusOK, "voiceMessageObject.json"}},
			wantID:  voiceID, wantReceipt: "calling"},
		{name: "voice message create, scheduled", channel: delivery.Voice,
			answers: map[string]answer{"POST /voicemessages": {http.StatusOK, "voiceMessageObjectWithCreatedDatetime.json"}},
			wantID:  voiceID, wantReceipt: "scheduled"},
		{name: "message get, sent, statusErrorCode null", lookup: smsID,
			answers:    map[string]answer{"GET /messages/" + smsID: {http.StatusOK, "readMessageObject.json"}},
			wantStatus: delivery.Report{State: delivery.StatePending, Raw: "sent"}},
		{name: "voice message get, after the message 404", lookup: voiceID,
			answers: map[string]answer{"GET /messages/" + voiceID: notFound,
				"GET /voicemessages/" + voiceID: {http.StatusOK, "voiceMessageObject.json"}},
			wantStatus: delivery.Report{State: delivery.StatePending, Raw: "calling"}},
		{name: "message not found", lookup: smsID,
			answers: map[string]answer{"GET /messages/" + smsID: notFound, "GET /voicemessages/" + smsID: notFound},
			wantErr: "messagebird 20: not found; check the message id and base_url", wantHTTP: 404},
		{name: "access key refused", channel: delivery.SMS,
			answers: map[string]answer{"POST /messages": {http.StatusUnauthorized, "accessKeyError.json"}},
			wantErr: "messagebird 2: request not allowed; check the access key", wantHTTP: 401},
		{name: "access key refused, voice", channel: delivery.Voice,
			answers: map[string]answer{"POST /voicemessages": {http.StatusUnauthorized, "accessKeyError.json"}},
			wantErr: "messagebird 2: request not allowed; check the access key", wantHTTP: 401},
		// The voice calling API's error shape (code and message, no
		// description); the SDK reads it without a status, served here with 400.
		{name: "error with a message", channel: delivery.Voice,
			answers: map[string]answer{"POST /voicemessages": {http.StatusBadRequest, "error.json"}},
			wantErr: "messagebird 13: some-error", wantHTTP: 400},
		{name: "errors with messages", channel: delivery.SMS,
			answers: map[string]answer{"POST /messages": {http.StatusBadRequest, "errors.json"}},
			wantErr: "messagebird 11: some-error", wantHTTP: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bodies := map[string][]byte{}
			for _, a := range tt.answers {
				b, err := os.ReadFile(filepath.Join("testdata", "sdk", a.file))
				if err != nil {
					t.Fatal(err)
				}
				bodies[a.file] = b
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a, ok := tt.answers[r.Method+" "+r.URL.Path]
				if !ok || r.Header.Get("Authorization") != "AccessKey "+sdkAccessKey {
					t.Errorf("unexpected request %s %s (%q)", r.Method, r.URL.Path, r.Header.Get("Authorization"))
					w.WriteHeader(http.StatusTeapot)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(a.status)
				w.Write(bodies[a.file])
			}))
			t.Cleanup(srv.Close)
			s := sender(t, Config{AccessKey: sdkAccessKey, Originator: "otpkit", BaseURL: srv.URL, Timeout: 5 * time.Second,
				Retry: delivery.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})

			var err error
			if tt.lookup == "" {
				var rc delivery.Receipt
				rc, err = s.Send(context.Background(), delivery.Message{To: to, Channel: tt.channel, Body: body, Code: code})
				if err == nil && (rc.Provider != Name || rc.ID != tt.wantID || rc.Status != tt.wantReceipt) {
					t.Errorf("receipt = %+v, want id %s, %s", rc, tt.wantID, tt.wantReceipt)
				}
			} else {
				var st delivery.Report
				st, err = s.Status(context.Background(), tt.lookup)
				if err == nil && st != tt.wantStatus {
					t.Errorf("status = %+v\nwant     %+v", st, tt.wantStatus)
				}
			}
			sendertest.CheckRefusal(t, err, tt.wantErr, tt.wantHTTP)
		})
	}
}

// sdkAccessKey is the access key of the fixture replays.
const sdkAccessKey = "test_SDKfixtures0123456789"
