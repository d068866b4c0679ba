package twilio

// codeMeanings says in plain words what Twilio's best-known error codes
// mean, for request errors (2xxxx) and delivery failures (3xxxx). Codes
// not listed keep Twilio's own message.
var codeMeanings = map[string]string{
	"20003": "authentication failed; check the account SID and auth token",
	"20404": "not found; check the account SID, the message id and base_url",
	"20429": "too many requests; Twilio is rate limiting this account",
	"20500": "Twilio had an internal error; try again later",
	"20503": "Twilio is temporarily unavailable; try again later",
	"21205": "the call has no instructions (Url or Twiml)",
	"21210": "the caller id (From) is not a number of this account or a verified caller id",
	"21211": "the 'To' number is not a valid phone number",
	"21212": "the 'From' number is not a valid phone number or short code",
	"21214": "the 'To' number cannot be reached",
	"21219": "the number is unverified; trial accounts can only call verified numbers",
	"21408": "sending to this region is not enabled in the account's geographic permissions",
	"21602": "the message body is empty",
	"21603": "no sender: set From or MessagingServiceSID",
	"21604": "no 'To' number was given",
	"21606": "the 'From' number is not an SMS-capable number of this account",
	"21608": "the number is unverified; trial accounts can only send to verified numbers",
	"21610": "the recipient has unsubscribed (replied STOP) from this sender",
	"21612": "Twilio cannot route a message from this sender to this number",
	"21614": "the 'To' number is not a mobile number that can receive SMS",
	"21617": "the message is longer than 1600 characters",
	"21701": "the Messaging Service SID is not valid for this account",
	"12100": "Twilio could not parse the call instructions (TwiML)",
	"30001": "the message queue overflowed; try again later",
	"30002": "the account is suspended",
	"30003": "the destination handset is unreachable (off or out of coverage)",
	"30004": "the message was blocked by the carrier or the recipient",
	"30005": "the destination number is unknown or no longer in service",
	"30006": "the number is a landline or its carrier cannot take SMS",
	"30007": "the carrier filtered the message as spam",
	"30008": "delivery failed for an unknown reason",
	"30034": "the sender is an unregistered US 10DLC number",
}
