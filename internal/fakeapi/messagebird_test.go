package fakeapi

import (
	"net/http"
	"testing"
)

// TestMessageBirdSDKShapes: the fake's answers have the shapes of
// go-rest-api's fixtures.
func TestMessageBirdSDKShapes(t *testing.T) {
	t.Parallel()
	f := NewMessageBird()
	t.Cleanup(f.Close)
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"AccessKey " + f.AccessKey}}
	times := func(at string, got, fixture map[string]any) {
		t.Helper()
		sameTime(t, "createdDatetime", got, fixture, mbTime)
		item := func(m map[string]any) map[string]any {
			items, _ := m["recipients"].(map[string]any)["items"].([]any)
			if len(items) == 0 {
				t.Fatalf("%s: no recipients.items", at)
			}
			return items[0].(map[string]any)
		}
		sameTime(t, "statusDatetime", item(got), item(fixture), mbTime)
	}

	for _, tt := range []struct{ kind, body, create, view string }{
		{"messages", `{"originator": "otpkit", "recipients": ["12015550123"], "body": "hello"}`, "messageObject.json", "readMessageObject.json"},
		{"voicemessages", `{"recipients": ["12015550123"], "body": "hello", "language": "en-gb", "voice": "female", "repeat": 2, "ifMachine": "continue"}`,
			"voiceMessageObject.json", "voiceMessageObject.json"},
	} {
		status, created := call(t, http.MethodPost, f.URL()+"/"+tt.kind, h, tt.body)
		if status != http.StatusCreated {
			t.Fatalf("create %s: HTTP %d %v", tt.kind, status, created)
		}
		fixture := sdkFixture(t, "messagebird", tt.create)
		sameShape(t, tt.kind+" create", created, fixture)
		times(tt.kind+" create", created, fixture)
		_, got := call(t, http.MethodGet, f.URL()+"/"+tt.kind+"/"+created["id"].(string), h, "")
		fixture = sdkFixture(t, "messagebird", tt.view)
		sameShape(t, tt.kind+" view", got, fixture)
		times(tt.kind+" view", got, fixture)
	}
	status, missing := call(t, http.MethodGet, f.URL()+"/messages/6fe65f90454aa61536e6a88b88972670", h, "")
	if status != http.StatusNotFound {
		t.Errorf("unknown message: HTTP %d", status)
	}
	sameShape(t, "not found", missing, sdkFixture(t, "messagebird", "messageNotFound.json"))
	h.Set("Authorization", "AccessKey wrong")
	_, refused := call(t, http.MethodPost, f.URL()+"/messages", h, "{}")
	sameShape(t, "access key", refused, sdkFixture(t, "messagebird", "accessKeyError.json"))
}
