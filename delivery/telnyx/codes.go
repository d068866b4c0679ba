package telnyx

// codeMeanings says in plain words what Telnyx's best-known error codes
// mean: API errors (1xxxx) and messaging errors (40xxx). Codes not listed
// keep Telnyx's own title and detail.
var codeMeanings = map[string]string{
	"10001": "the phone number is inactive",
	"10002": "the phone number is not valid",
	"10004": "a required parameter is missing",
	"10005": "not found; check base_url and the ids in the configuration",
	"10007": "Telnyx had an unexpected error; try again later",
	"10008": "Telnyx timed out; try again later",
	"10009": "authentication failed; check the API key",
	"10010": "not allowed for this account (unverified accounts can only reach verified numbers)",
	"10011": "too many requests; Telnyx is rate limiting this account",
	"10014": "unsupported media type",
	"10015": "bad request",
	"10016": "the number must be in E.164 format (+ and country code)",
	"10017": "an id in the request does not exist (check texml_application_id / messaging_profile_id)",
	"40001": "not routable: the number is a landline or cannot receive SMS",
	"40002": "blocked as spam (temporarily)",
	"40003": "blocked as spam (the sender is permanently blocked)",
	"40004": "rejected by the destination carrier",
	"40005": "the message expired before delivery",
	"40006": "the recipient's carrier is unavailable",
	"40008": "undeliverable: the carrier did not accept the message",
	"40009": "the message body was rejected",
	"40012": "the carrier rejected the destination number",
	"40013": "the carrier rejected the sender number",
	"40305": "the 'from' number is not a messaging-enabled number of this account",
	"40310": "the 'to' number is not a valid phone number",
}
