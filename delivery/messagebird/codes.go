package messagebird

// codeMeanings says in plain words what MessageBird's API error codes
// mean. For codes about a parameter, the parameter and MessageBird's
// description follow the meaning.
var codeMeanings = map[string]string{
	"2":  "request not allowed; check the access key",
	"9":  "a required parameter is missing or has no valid value",
	"10": "a parameter has an invalid value",
	"20": "not found; check the message id and base_url",
	"21": "bad request",
	"25": "not enough balance on the account",
	"98": "the API endpoint was not found; check base_url",
	"99": "MessageBird had an internal error; try again later",
}
