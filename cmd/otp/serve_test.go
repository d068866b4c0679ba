package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otpkit/internal/testclock"
)

const (
	serveSID   = "AC0123456789abcdef0123456789abcdef"
	serveToken = "serve-test-token"
)

// startServe runs otp serve in this process with the configuration text
// and the extra arguments, and returns the address from its "listening"
// line. The server stops at the end of the test.
func startServe(t *testing.T, conf string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "otp.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir, "XDG_STATE_HOME": dir, "OTP_SECRET": "0123456789abcdef0123"}
	pr, pw := io.Pipe()
	a := newApp(nil, io.Discard, pw, func(k string) string { return env[k] }, testclock.New().Now)
	ctx, cancel := context.WithCancel(context.Background())
	root := newRootCmd(a)
	root.SetArgs(append([]string{"serve", "--config", path, "--store", filepath.Join(dir, "otp.db")}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("otp serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("otp serve did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "otp serve: listening on ")
	if err != nil || !ok {
		t.Fatalf("first stderr line %q (%v), want otp serve: listening on ADDR", line, err)
	}
	return addr
}

// serveConf is a [serve] section with the test credentials and more lines.
func serveConf(more string) string {
	return "[delivery]\nprovider = \"outbox\"\n[serve]\naccount_sid = \"" + serveSID + "\"\nauth_token = \"" + serveToken + "\"\n" + more
}

func createService(t *testing.T, c *http.Client, base string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v2/Services", strings.NewReader("FriendlyName=Acme"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(serveSID, serveToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestServeAddr: --addr overrides [serve] addr, and the line names the
// address actually bound.
func TestServeAddr(t *testing.T) {
	addr := startServe(t, serveConf("addr = \"127.0.0.1:1\"\n"), "--addr", "127.0.0.1:0")
	if _, port, _ := net.SplitHostPort(addr); port == "0" || port == "1" || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %q", addr)
	}
	if resp := createService(t, http.DefaultClient, "http://"+addr); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create service: %s", resp.Status)
	}
}

// TestServeTLS: with tls_cert and tls_key, otp serve speaks HTTPS only.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)
	addr := startServe(t, serveConf("addr = \"127.0.0.1:0\"\ntls_cert = \""+cert+"\"\ntls_key = \""+key+"\"\n"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Time: testclock.Base}}}
	if resp := createService(t, c, "https://"+addr); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create service over TLS: %s", resp.Status)
	}
	resp, err := http.Get("http://" + addr + "/v2/Services")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to a TLS server: %s", resp.Status)
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	base := testclock.Base()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "otp serve test"},
		NotBefore: base.Add(-time.Hour), NotAfter: base.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

// TestServeCustomCodeLocale: otp serve reads letters of a CustomCode back
// (it sets otp.Options.CustomCodeLetters) and sends in the Locale's
// language, from the configuration's templates.
func TestServeCustomCodeLocale(t *testing.T) {
	box := filepath.Join(t.TempDir(), "outbox.jsonl")
	addr := startServe(t, serveConf("addr = \"127.0.0.1:0\"\n[delivery.outbox]\npath = \""+box+"\"\n"))
	post := func(path, form string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(serveSID, serveToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %s %v %v", path, resp.Status, out, err)
		}
		return out
	}
	svc := post("/v2/Services", "FriendlyName=Acme&CustomCodeEnabled=true")["sid"].(string)
	post("/v2/Services/"+svc+"/Verifications", "To=%2B12015550123&Channel=sms&Locale=fr-FR&CustomCode=ab12Cd")
	sent, err := os.ReadFile(box)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"body":"Votre code Acme est AB12CD. Il expire dans 10 minutes.","code":"AB12CD"`; !strings.Contains(string(sent), want) {
		t.Fatalf("outbox %s, want %s", sent, want)
	}
	if out := post("/v2/Services/"+svc+"/VerificationCheck", "To=%2B12015550123&Code=ab-12-cd"); out["status"] != "approved" {
		t.Fatalf("check: %v", out)
	}
}
