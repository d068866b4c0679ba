package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/otpkit/otpkit/delivery"
)

// chromiumPath returns the Chromium to drive: $OTP_CHROMIUM if set, else
// /usr/bin/chromium or chromium on PATH. Where there is none it skips the
// test, or fails it when CI=true (CI installs Chromium with .ci/chromium.sh).
func chromiumPath(t *testing.T) string {
	t.Helper()
	want := "/usr/bin/chromium"
	if p := os.Getenv("OTP_CHROMIUM"); p != "" {
		want = p
		if _, err := os.Stat(p); err == nil {
			return p
		}
	} else {
		if _, err := os.Stat(want); err == nil {
			return want
		}
		if p, err := exec.LookPath("chromium"); err == nil {
			return p
		}
	}
	msg := "no Chromium at " + want + ": install the Debian packages chromium and chromium-driver (sh .ci/chromium.sh) to run the browser test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// screenshotDir is where the test writes its screenshots: $OTP_TEST_OUT/webverify,
// or testout/webverify at the root of the repository (ignored by git).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testout", "webverify")
	if base := os.Getenv("OTP_TEST_OUT"); base != "" {
		dir = filepath.Join(base, "webverify")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// tab is one browser tab with its own cookies.
type tab struct {
	t    *testing.T
	ctx  context.Context
	f    *fixture
	shot string // screenshot directory
}

func (f *fixture) tab(t *testing.T, browser context.Context, shots string, js bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, ctx: ctx, f: f, shot: shots}
	b.do(chromedp.EmulateViewport(390, 844))
	if !js {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a page of the app.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.f.srv.URL + path))
}

// click clicks a button that submits a form and waits for the next page.
func (b *tab) click(id string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("click #%s: %v", id, err)
	}
	if resp.Status != 200 && resp.Status != 403 {
		b.t.Fatalf("click #%s: status %d", id, resp.Status)
	}
}

// typeIn types text into an input.
func (b *tab) typeIn(id, text string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), text))
}

// eval returns the value of a JavaScript expression.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// text returns the text of the element with the id, or "" if there is none
// or it is hidden.
func (b *tab) text(id string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(function(e){ return e && !e.closest('[hidden]') ? e.textContent.trim() : '' })(document.getElementById(%q))`, id))
}

// expect checks the page's path and flash message.
func (b *tab) expect(path, flash string) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	if got := b.text("flash"); u.Path != path || got != flash {
		b.t.Fatalf("at %s with flash %q; want %s with flash %q", u.Path, got, path, flash)
	}
}

// screenshot saves the whole page as name.png.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowser runs the flow in a real headless Chromium: JavaScript on and
// off, a phone-sized screen, screenshots of every page.
func TestBrowser(t *testing.T) {
	exe := chromiumPath(t)
	shots := screenshotDir(t)
	f := newFixture(t, appConfig{})

	var chromeOut bytes.Buffer
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
		chromedp.CombinedOutput(&chromeOut),
	)
	defer cancel()
	// A hard limit for the whole test; it takes a few seconds.
	alloc, cancelT := context.WithTimeout(alloc, 50*time.Second)
	defer cancelT()
	browser, cancelB := chromedp.NewContext(alloc)
	defer cancelB()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v\n%s", exe, err, chromeOut.String())
	}
	t.Logf("screenshots in %s", shots)

	t.Run("verify", func(t *testing.T) {
		b := f.tab(t, browser, shots, true)
		b.open("/")
		b.expect("/", "")
		if sel := eval[string](b, `document.getElementById('region').value`); sel != "US" {
			t.Errorf("region %q selected, want US", sel)
		}
		b.typeIn("phone", "201 555 0123")
		b.screenshot("1-phone")
		b.click("send")
		b.expect("/verify", "")
		if got := b.text("number"); got != numAShow {
			t.Errorf("number %q", got)
		}
		if got := b.text("tries"); got != "5 tries left" {
			t.Errorf("tries %q", got)
		}
		// The code field asks for the keypad and for autofill.
		attrs := eval[string](b, `(function(e){ return [e.autocomplete, e.inputMode, e.pattern, document.activeElement === e].join(' ') })(document.getElementById('code'))`)
		if attrs != "one-time-code numeric [0-9]{6} true" {
			t.Errorf("code field: %q", attrs)
		}
		// The script counts down to expiry and holds the resend buttons
		// until the cooldown is over.
		if got := b.text("expires"); got != "10:00" && got != "9:59" {
			t.Errorf("expires %q", got)
		}
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`/^9:5\d$/.test(document.getElementById('expires').textContent)`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Errorf("countdown does not tick: %v (shows %q)", err, b.text("expires"))
		}
		if !eval[bool](b, `document.getElementById('resend').disabled && document.getElementById('other-channel').disabled`) {
			t.Error("resend buttons are enabled during the cooldown")
		}
		if got := b.text("resend-wait"); !strings.HasPrefix(got, "You can ask for a new code in ") {
			t.Errorf("cooldown hint %q", got)
		}
		b.screenshot("2-code")
		b.do(chromedp.EmulateViewport(1280, 720))
		b.screenshot("2-code-desktop")
		b.do(chromedp.EmulateViewport(390, 844))

		code := f.lastCode(t, numA)
		b.typeIn("code", wrongCode(code))
		b.click("verify")
		b.expect("/verify", "Wrong code. 4 tries left.")
		if got := b.text("tries"); got != "4 tries left" {
			t.Errorf("tries %q", got)
		}
		b.screenshot("3-wrong-code")

		b.typeIn("code", code)
		b.click("verify")
		b.expect("/done", "")
		if got := b.text("verified"); got != numAShow+" is verified. Thank you!" {
			t.Errorf("success page says %q", got)
		}
		b.screenshot("4-done")
		b.do(chromedp.EmulateViewport(1280, 720))
		b.screenshot("4-done-desktop")
	})

	t.Run("lockout", func(t *testing.T) {
		b := f.tab(t, browser, shots, true)
		b.open("/")
		b.typeIn("phone", "(201) 555-0124")
		b.click("send")
		b.expect("/verify", "")
		code := f.lastCode(t, numB)
		for left := 4; left >= 1; left-- {
			b.typeIn("code", wrongCode(code))
			b.click("verify")
			b.expect("/verify", fmt.Sprintf("Wrong code. %s left.", plural(left, "try", "tries")))
		}
		b.typeIn("code", wrongCode(code))
		b.click("verify")
		b.expect("/", "Too many tries. Try again in 10 minutes.")
		if got := eval[string](b, `document.getElementById('phone').value`); got != "+1 201-555-0124" {
			t.Errorf("phone field %q", got)
		}
		b.screenshot("5-locked")
		// Asking again does not help.
		b.click("send")
		b.expect("/", "Too many tries. Try again in 10 minutes.")
	})

	t.Run("cooldown without JavaScript", func(t *testing.T) {
		b := f.tab(t, browser, shots, false)
		const num, show = "+12015550125", "+1 201-555-0125"
		b.open("/")
		b.typeIn("phone", show)
		b.click("send")
		b.expect("/verify", "")
		// Without the script the buttons work and the page says when.
		if eval[bool](b, `document.getElementById('resend').disabled`) {
			t.Error("resend disabled without JavaScript")
		}
		if got := b.text("resend-wait"); got != "You can ask for a new code in 30s." {
			t.Errorf("cooldown hint %q", got)
		}
		f.clock.Advance(5 * time.Second)
		b.click("resend")
		b.expect("/verify", "Please wait 25s before asking for a new code.")
		b.screenshot("6-cooldown")

		// After the cooldown: call me instead.
		f.clock.Advance(25 * time.Second)
		b.open("/verify")
		if got := b.text("resend-wait"); got != "" {
			t.Errorf("cooldown hint %q after the cooldown", got)
		}
		b.click("other-channel")
		b.expect("/verify", "We're calling you now with a new code.")
		es := f.entries(t)
		if last := es[len(es)-1]; last.To != num || last.Channel != delivery.Voice {
			t.Fatalf("last message %+v, want a call to %s", last, num)
		}
		b.screenshot("7-call-me")
		b.typeIn("code", f.lastCode(t, num))
		b.click("verify")
		b.expect("/done", "")
	})

	t.Run("forged form", func(t *testing.T) {
		b := f.tab(t, browser, shots, true)
		b.open("/")
		b.do(chromedp.SetValue(chromedp.CSS(`#phone-form input[name=csrf]`), "forged"))
		b.typeIn("phone", "201 555 0126")
		b.click("send")
		if got := b.text("message"); !strings.Contains(got, "did not come from this site") {
			t.Errorf("403 page says %q", got)
		}
		b.screenshot("8-forbidden")
		for _, e := range f.entries(t) {
			if e.To == "+12015550126" {
				t.Error("a forged form sent a code")
			}
		}
	})
}
