package fakeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// sdkFixture reads a response fixture of an official SDK, kept with the
// provider's package (delivery/NAME/testdata/sdk, see its README).
func sdkFixture(t *testing.T, provider, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "delivery", provider, "testdata", "sdk", file))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// call makes one request to a fake and decodes its JSON answer.
func call(t *testing.T, method, url string, header http.Header, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

// sameShape checks that every field of the fake's answer is in the SDK's
// fixture with the same JSON type (null matches any), objects and the
// first element of arrays included.
func sameShape(t *testing.T, at string, fake, fixture any) {
	t.Helper()
	if fake == nil || fixture == nil {
		return
	}
	if kind(fake) != kind(fixture) {
		t.Errorf("%s: the fake answers a %s, the SDK fixture has a %s", at, kind(fake), kind(fixture))
		return
	}
	switch f := fake.(type) {
	case map[string]any:
		x := fixture.(map[string]any)
		for k, v := range f {
			xv, ok := x[k]
			if !ok {
				t.Errorf("%s.%s: the fake answers a field the SDK fixture lacks", at, k)
				continue
			}
			sameShape(t, at+"."+k, v, xv)
		}
	case []any:
		if x := fixture.([]any); len(f) > 0 && len(x) > 0 {
			sameShape(t, at+"[0]", f[0], x[0])
		}
	}
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// sameTime checks that the fake's time field has the layout of the SDK
// fixture's.
func sameTime(t *testing.T, field string, fake, fixture map[string]any, layout string) {
	t.Helper()
	if x, _ := fixture[field].(string); x != "" {
		if _, err := time.Parse(layout, x); err != nil {
			t.Fatalf("fixture %s: %v", field, err)
		}
	}
	if f, _ := fake[field].(string); f == "" {
		t.Errorf("the fake answers no %s", field)
	} else if _, err := time.Parse(layout, f); err != nil {
		t.Errorf("the fake's %s %q is not in the SDK fixture's layout: %v", field, f, err)
	}
}

// TestPlivoSDKShapes: the fake's answers have the shapes of plivo-go's
// fixtures.
func TestPlivoSDKShapes(t *testing.T) {
	t.Parallel()
	f := NewPlivo()
	t.Cleanup(f.Close)
	h := http.Header{"Content-Type": {"application/json"}}
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(f.AuthID, f.AuthToken)
	h.Set("Authorization", req.Header.Get("Authorization"))
	base := f.URL() + "/v1/Account/" + f.AuthID + "/Message/"

	status, sent := call(t, http.MethodPost, base, h, `{"src": "`+From+`", "dst": "+12015550123", "text": "hello", "type": "sms"}`)
	if status != http.StatusAccepted {
		t.Fatalf("send: HTTP %d %v", status, sent)
	}
	sameShape(t, "send", sent, sdkFixture(t, "plivo", "messageSendResponse.json"))
	id := sent["message_uuid"].([]any)[0].(string)

	fixture := sdkFixture(t, "plivo", "messageGetResponse.json")
	_, got := call(t, http.MethodGet, base+id+"/", h, "")
	sameShape(t, "get", got, fixture)
	sameTime(t, "message_time", got, fixture, plivoTime)
	if got["message_state"] != "sent" || got["error_code"] != nil {
		t.Errorf("sent message: message_state %v error_code %#v, want sent and null (as the SDK fixture)", got["message_state"], got["error_code"])
	}
	if _, got = call(t, http.MethodGet, base+id+"/", h, ""); got["message_state"] != "delivered" || got["error_code"] != "000" {
		t.Errorf("delivered message: message_state %v error_code %#v, want delivered and \"000\"", got["message_state"], got["error_code"])
	}

	_, refused := call(t, http.MethodPost, base, h, `{"src": "`+From+`", "dst": "12345", "text": "hello"}`)
	sameShape(t, "error", refused, sdkFixture(t, "plivo", "profileDeleteResponse.json"))
	f.MessageErrors = true
	_, refused = call(t, http.MethodPost, base, h, `{"src": "`+From+`", "dst": "12345", "text": "hello"}`)
	sameShape(t, "error (error_code, message)", refused, sdkFixture(t, "plivo", "lookupGetError.json"))
}
