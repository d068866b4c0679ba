package main

import (
	"strings"

	"github.com/otpkit/otpkit/config"
)

// configHelp is the text of "otp help config": configHelpText with the
// providers' sections made from the registry (each provider's Config tags
// and its Doc line), so a new provider documents itself.
func configHelp() string {
	var b strings.Builder
	for _, p := range config.Registered() {
		settings := config.Settings(p)
		if len(settings) == 0 {
			continue
		}
		var words []string
		for _, s := range settings {
			w := s.Key
			if s.Env != "" {
				w += " ($" + s.Env + ")"
			}
			words = append(words, w)
		}
		text := strings.Join(words, ", ")
		if d := p.Doc(); d != "" {
			text += "; " + d
		}
		writeWrapped(&b, "  [delivery."+p.Name()+"]", text)
	}
	text := strings.Replace(configHelpText, "{{providers}}\n", b.String(), 1)
	return strings.Replace(text, "{{remote}}", remoteProviders(), 1)
}

// remoteProviders lists the registered providers but console and outbox,
// which the help text names itself with what they do: "twilio, ... or
// webhook".
func remoteProviders() string {
	var names []string
	for _, p := range config.Registered() {
		if n := p.Name(); n != "console" && n != "outbox" {
			names = append(names, n)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// writeWrapped writes text after label, in a column from helpColumn, folded
// at helpWidth, as the rest of the help is laid out.
func writeWrapped(b *strings.Builder, label, text string) {
	const helpColumn, helpWidth = 35, 88
	line := label
	for _, w := range strings.Fields(text) {
		switch {
		case len(line) < helpColumn:
			line += strings.Repeat(" ", helpColumn-len(line)) + w
		case len(line)+1+len(w) > helpWidth:
			b.WriteString(line + "\n")
			line = strings.Repeat(" ", helpColumn) + w
		default:
			line += " " + w
		}
	}
	b.WriteString(line + "\n")
}

const configHelpText = `The configuration file is TOML. otp reads --config FILE, else $OTP_CONFIG, else
$XDG_CONFIG_HOME/otpkit/config.toml (~/.config/otpkit/config.toml) if it exists, else
uses the defaults below. Unknown keys are errors. Relative paths are relative to the
directory of the file. A file over 64 KiB is refused. config.example.toml in the source
tree documents every key.

  app_name = "otpkit"              {{.AppName}} in message templates

  [code]
  format = "numeric"               numeric (digits) or hex (0-9A-F, case-insensitive)
  length = 6                       4 to 10
  ttl = "10m"                      how long a code is accepted
  secret = ""                      HMAC key for code hashes, 16+ characters; $OTP_SECRET
                                   overrides; default: a key file created beside the store

  [limits]                         0 turns a limit off
  max_attempts = 5                 wrong tries per number (across resends); the last one locks it
  lockout = "10m"                  how long a number stays locked
  resend_after = "30s"             least time between sends to one number
  max_sends = 5                    sends per number within send_window
  send_window = "1h"

  [guard]                          the abuse guard against SMS pumping; 0 or [] turns a rule off
  mode = "enforce"                 enforce | monitor (send, warn, report would_block) | off
  allow_countries = []             ISO 3166 regions codes may go to; empty: all
  deny_countries = []              regions refused
  deny_types = ["premium_rate", "shared_cost"]   number types refused (libphonenumber's)
  prefix_digits = 7                digits after + that make a prefix (+1201555)
  prefix_max_sends = 0             sends per prefix per window
  country_max_sends = 0            sends per country per window
  max_sends = 0                    sends to all numbers together per window
  window = "1h"                    the counting rules' sliding window
  client_max_sends = 0             sends per client key per window (library and servers)
  client_max_countries = 0         countries one client key may reach per window
  min_conversion = 0.0             block a prefix verifying fewer than this share of its codes
  min_sample = 20                  ... once it had this many sends in the window
  block_for = "12h"                how long an automatic block lasts

  [store]
  driver = "file"                  file (one machine) or redis (shared; needs a secret)
  path = ""                        default $XDG_STATE_HOME/otpkit/otp.db; --store overrides
  url = ""                         redis://host:6379/0; $OTP_REDIS_URL overrides
  prefix = "otp:"                  Redis key prefix

  [phone]
  default_region = ""              e.g. "US": lets numbers without +country code in

  [serve]                          otp serve, the Twilio Verify v2-compatible API
  addr = "127.0.0.1:8080"          where it listens; $OTP_SERVE_ADDR, --addr override
  account_sid = ""                 AC + 32 hex, the HTTP Basic user; $OTP_SERVE_ACCOUNT_SID
  auth_token = ""                  the HTTP Basic password; $OTP_SERVE_AUTH_TOKEN
  tls_cert = ""                    PEM certificate and key files: both set for HTTPS
  tls_key = ""

  [delivery]
  provider = "console"             console (prints to stderr), outbox (JSON Lines file),
                                   {{remote}}
  providers = []                   several, tried in order with the same code, e.g.
                                   ["twilio", "telnyx"]; set provider or providers
  channel = "sms"                  sms, voice or auto (SMS to mobiles, calls to fixed
                                   lines); --channel overrides
  fallback = []                    channels to try next with the same code, e.g. ["voice"]
  sms_template = "Your {{.AppName}} code is {{.Code}}. It expires in {{.TTL}}."
  voice_template = "Your {{.AppName}} code is: {{.Spoken}}."
                                   Go text/template; fields: .Code .Spoken (digit by
                                   digit) .TTL ("10 minutes") .AppName .Channel .To;
                                   a template must include .Code or .Spoken

  [delivery.locales.fr]            templates by BCP 47 tag, for otp send --locale and otp
                                   serve's Locale: the tag's table, else its language's
                                   ("pt" for "pt-BR"), else [delivery]'s. Shipped: de, es,
                                   fr, it, nl, pt, pt-PT; a table overrides one
  sms_template = "Votre code {{.AppName}} est {{.Code}}. Il expire dans {{.TTL}}."
  voice_template = "Votre code {{.AppName}} est : {{.Spoken}}."
                                   a key left out keeps the shipped or [delivery] one;
                                   .TTL is in the shipped languages' words, else English

  Every provider below also takes base_url (default: its API's origin; a proxy, an
  edge or a test server) and timeout (default "30s", retries included); the outbox
  takes neither.

{{providers}}

  [probe]                          otp probe: route checks that read back what arrived
  template = "otpkit route check {{.Nonce}}"
                                   must hold {{.Nonce}} and must not look like a code (no 4
                                   digits, no "code", "OTP", "PIN"...): Twilio filters
                                   those (error 30038)
  receive = "twilio"               twilio (list the account's inbound Messages) or webhook
                                   (listen for signed inbound webhooks)
  listen = ""                      webhook: host:port, e.g. "127.0.0.1:8089"
  public_url = ""                  webhook: the URL providers post to (default http://listen)
  [probe.twilio]                   account_sid, auth_token, base_url: the receiving account;
                                   default [delivery.twilio]'s
  [probe.telnyx]                   public_key: base64 Ed25519 key of Telnyx's webhooks
  [probe.plivo]                    auth_token: checks Plivo's webhooks (default [delivery.plivo]'s)
  [probe.messagebird]              signing_key: checks MessageBird's webhooks (not the API key)

Environment: OTP_CONFIG (configuration file), OTP_SECRET (hash key), OTP_REDIS_URL,
OTP_SERVE_ADDR, OTP_SERVE_ACCOUNT_SID, OTP_SERVE_AUTH_TOKEN, and the provider secrets
above, which override the file.`
