package main

const configHelp = `The configuration file is TOML. otp reads --config FILE, else $OTP_CONFIG, else
$XDG_CONFIG_HOME/otpkit/config.toml (~/.config/otpkit/config.toml) if it exists, else
uses the defaults below. Unknown keys are errors. Relative paths are relative to the
directory of the file. config.example.toml in the source tree documents every key.

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
  driver = "file"                  file
  path = ""                        default $XDG_STATE_HOME/otpkit/otp.db; --store overrides

  [phone]
  default_region = ""              e.g. "US": lets numbers without +country code in

  [delivery]
  provider = "console"             console (prints to stderr) or outbox (JSON Lines file)
  channel = "sms"                  sms or voice; --channel overrides
  sms_template = "Your {{.AppName}} code is {{.Code}}. It expires in {{.TTL}}."
  voice_template = "Your {{.AppName}} code is: {{.Spoken}}."
                                   Go text/template; fields: .Code .Spoken (digit by
                                   digit) .TTL ("10 minutes") .AppName .Channel .To;
                                   a template must include .Code or .Spoken

  [delivery.outbox]
  path = "outbox.jsonl"            default: outbox.jsonl beside the store

Environment: OTP_CONFIG (configuration file), OTP_SECRET (hash key).`
