package plivo

// codeMeanings says in plain words what Plivo's SMS delivery error codes
// (error_code of a message) mean.
var codeMeanings = map[string]string{
	"10":   "the carrier rejected the message as invalid",
	"20":   "the carrier had a network error; try again later",
	"30":   "the carrier's spam filter blocked the message",
	"40":   "the sender (src) is invalid, not SMS-enabled or not on this account",
	"50":   "the destination number is invalid",
	"60":   "a message loop was detected",
	"70":   "the destination is permanently unavailable",
	"80":   "the destination is temporarily unavailable",
	"90":   "no route to the destination",
	"100":  "prohibited by the carrier",
	"110":  "the message is too long",
	"200":  "the recipient opted out (STOP) from this sender",
	"420":  "the message expired before delivery",
	"450":  "the destination country is barred in the account's geo permissions",
	"900":  "the account has not enough credit",
	"910":  "the account is disabled",
	"950":  "the daily messaging limit was reached",
	"1000": "delivery failed for an unknown reason",
}
