package main

const configHelp = `The configuration file is TOML. otp reads --config FILE, else $OTP_CONFIG, else
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
  max_attempts = 5                 wrong tries per code; the last one locks the number
  lockout = "10m"                  how long a number stays locked
  resend_after = "30s"             least time between sends to one number
  max_sends = 5                    sends per number within send_window
  send_window = "1h"

  [store]
  driver = "file"                  file (one machine) or redis (shared; needs a secret)
  path = ""                        default $XDG_STATE_HOME/otpkit/otp.db; --store overrides
  url = ""                         redis://host:6379/0; $OTP_REDIS_URL overrides
  prefix = "otp:"                  Redis key prefix

  [phone]
  default_region = ""              e.g. "US": lets numbers without +country code in

  [delivery]
  provider = "console"             console (prints to stderr), outbox (JSON Lines file),
                                   twilio, telnyx, plivo, messagebird or webhook
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

  [delivery.outbox]
  path = "outbox.jsonl"            default: outbox.jsonl beside the store

  Every provider below also takes base_url (default: its API's origin; a proxy, an
  edge or a test server) and timeout (default "30s", retries included).

  [delivery.twilio]                account_sid, auth_token ($TWILIO_ACCOUNT_SID,
                                   $TWILIO_AUTH_TOKEN); from (E.164, needed for calls)
                                   or messaging_service_sid; calls: voice ("woman"),
                                   language ("en-US"), loop (times spoken, 2)
  [delivery.telnyx]                api_key ($TELNYX_API_KEY); from or
                                   messaging_profile_id; calls need from,
                                   texml_application_id and account_sid; voice,
                                   language, loop as for twilio
  [delivery.plivo]                 auth_id, auth_token ($PLIVO_AUTH_ID,
                                   $PLIVO_AUTH_TOKEN); from; SMS only
  [delivery.messagebird]           access_key ($MESSAGEBIRD_ACCESS_KEY); originator;
                                   voice messages: voice ("female"), language
                                   ("en-us"), repeat (2)
  [delivery.webhook]               url; secret ($OTP_WEBHOOK_SECRET), 16+ characters,
                                   signs each POST with HMAC-SHA256

Environment: OTP_CONFIG (configuration file), OTP_SECRET (hash key), OTP_REDIS_URL,
and the provider secrets above, which override the file.`
