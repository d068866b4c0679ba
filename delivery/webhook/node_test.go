package webhook_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verifyJS checks a request with npm standardwebhooks; the clock is the
// request's own timestamp plus 10 s (the test owns the clock).
const verifyJS = `
const { Webhook } = require("standardwebhooks");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
Date.now = () => (Number(input.headers["webhook-timestamp"]) + 10) * 1000;
try {
  new Webhook(input.secret).verify(input.body, input.headers);
  console.log("ok");
} catch (e) {
  console.log("refused: " + e.message);
}
`

// TestStandardNode: what the Sender puts on the wire passes the Node
// library's check (npm standardwebhooks, installed by .ci/node.sh). Skipped
// without node or the package, except in CI.
func TestStandardNode(t *testing.T) {
	modules, _ := filepath.Abs("../../.ci/node/node_modules")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(modules, "standardwebhooks")); err != nil || serr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or standardwebhooks missing (run .ci/node.sh): %v %v", err, serr)
		}
		t.Skip("node or .ci/node/node_modules/standardwebhooks missing; run .ci/node.sh")
	}
	f := fake(t)
	cfg := config(f)
	cfg.Secret, f.Secret = stdSecret, stdSecret
	if _, err := sender(t, cfg).Send(context.Background(), sms()); err != nil {
		t.Fatal(err)
	}
	r := f.Last()
	check := func(secret string, body []byte) string {
		headers := map[string]string{}
		for k := range r.Header {
			headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		in, _ := json.Marshal(map[string]any{"secret": secret, "headers": headers, "body": string(body)})
		cmd := exec.Command(node, "-e", verifyJS)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		cmd.Stdin = strings.NewReader(string(in))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := check(stdSecret, r.Body); got != "ok" {
		t.Errorf("node standardwebhooks: %s", got)
	}
	if got := check(stdSecret, append(r.Body, ' ')); got == "ok" {
		t.Errorf("node accepted a changed body")
	}
}
