#!/usr/bin/env bash
# smoke.sh: an SMS-routing smoke test. It sends a code to every number in a
# list with ONE "otp send --to-file FILE --wait --json" (otp sends 8 at a time
# and waits for each provider's delivery report), keeps otp's JSON lines in a
# results file, prints a table of what became of each number, and exits with
# otp's exit code: 0 when every route delivered, else 8 (not delivered or no
# report in time), 6 (the provider refused a message), 5 (rate limited),
# 2 (bad number, config or flag), 7 (store).
#
#   examples/ci-smoke/smoke.sh [NUMBERS_FILE]
#
# NUMBERS_FILE: one number per line, "#" starts a comment (default: numbers.txt
# beside this script). Environment:
#
#   OTP_CONFIG  the otp configuration, which picks the provider (default:
#               outbox.toml beside this script: no account needed)
#   OTP_BIN     the otp binary (default: otp on PATH, else built with
#               "go build" from the otpkit checkout this script is in)
#   WAIT        how long to wait for delivery reports (default 60s)
#   SMOKE_OUT   where results go (default ./smoke-results): results.jsonl
#               (otp's JSON lines), summary.txt (the table), state/ (this
#               run's store and, with the outbox provider, outbox.jsonl)
#   JQ          the jq used to read the JSON (default: jq on PATH); empty
#               means the built-in bash reader, which needs no jq
#
# Provider secrets come from their usual variables (TWILIO_ACCOUNT_SID,
# TWILIO_AUTH_TOKEN, ...), never from files or arguments. On GitHub Actions the
# table is also added to the job summary ($GITHUB_STEP_SUMMARY).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

die() {
	printf 'smoke: %s\n' "$*" >&2
	exit 2
}

[[ $# -le 1 ]] || die "usage: smoke.sh [NUMBERS_FILE]"
numbers=${1:-$here/numbers.txt}
config=${OTP_CONFIG:-$here/outbox.toml}
wait_timeout=${WAIT:-60s}
out=${SMOKE_OUT:-smoke-results}
jq_bin=${JQ-$(command -v jq || true)}

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# The otp binary: $OTP_BIN, else otp on PATH, else built from this checkout.
if [[ -n ${OTP_BIN:-} ]]; then
	otp=$OTP_BIN
	command -v -- "$otp" >/dev/null || die "OTP_BIN=$otp is not an executable"
elif otp=$(command -v otp); then
	:
else
	repo=$(cd -- "$here/../.." && pwd)
	if [[ -f $repo/go.mod ]] && grep -qx 'module github.com/otpkit/otpkit' "$repo/go.mod" && command -v go >/dev/null; then
		printf 'smoke: building otp from %s\n' "$repo" >&2
		(cd -- "$repo" && go build -o "$tmp/otp" ./cmd/otp) || die "go build failed"
		otp=$tmp/otp
	else
		die "no otp on PATH: install it (go install github.com/otpkit/otpkit/cmd/otp@latest) or set OTP_BIN"
	fi
fi

# Every run starts from a fresh store, so the resend cooldown and the sends
# allowed per hour never refuse a smoke run. Only the files otp makes are
# removed.
state=$out/state
mkdir -p -- "$state"
rm -f -- "$state/otp.db" "$state/otp.db.key" "$state/otp.db.lock" "$state/outbox.jsonl"
results=$out/results.jsonl
table=$out/summary.txt
rm -f -- "$results" "$table"

# now sets $now to the time in microseconds (whole seconds on a bash older
# than 5, which has no EPOCHREALTIME).
now() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		now=${EPOCHREALTIME//[.,]/}
	else
		now=$((SECONDS * 1000000))
	fi
}

# stamp prefixes each line with the seconds since the send began and a tab:
# otp writes a number's line as soon as its outcome is known.
stamp() {
	local line t
	while IFS= read -r line || [[ -n $line ]]; do
		now
		t=$((now - start))
		printf '%d.%d\t%s\n' $((t / 1000000)) $((t / 100000 % 10)) "$line"
	done
}

now
start=$now
set +e
"$otp" --config "$config" --store "$state/otp.db" --json \
	send --to-file "$numbers" --wait --wait-timeout "$wait_timeout" | stamp >"$tmp/timed"
rc=${PIPESTATUS[0]}
set -e
cut -f2- "$tmp/timed" >"$results"

# The table has one row per number, tab-separated, no field empty:
# number, provider, channel, state, seconds, error. The state is otp's
# "delivery" (delivered, failed, or unknown: no final report in time) for a
# number the code went to, and otp's error kind (delivery_failed,
# rate_limited, ...) for one it did not; provider and channel are then those
# of the last route tried.

# rows_jq makes the rows with jq.
rows_jq() {
	# shellcheck disable=SC2016 # a jq program, not shell
	"$jq_bin" -R -r '
		def field: if . == null or . == "" then "-" else tostring | gsub("[\t\r\n]"; " ") end;
		split("\t") as [$t, $j]
		| ($j | fromjson) as $o
		| select($o.event == null and $o.to != null)
		| if $o.error != null then
			(($o.attempts // []) | last) as $a
			| [$o.to, $a.provider, $a.channel, $o.error, $t, $o.message]
		  else
			[$o.to, $o.provider, $o.channel, ($o.delivery // "sent"), $t, $o.delivery_error]
		  end
		| map(field) | join("\t")'
}

# The bash reader relies on what otp writes: one object per line, keys in a
# fixed order ("to" first in a number's object, "error" second in an error),
# strings JSON-escaped. A key's first match is the object's own, as the
# nested attempts come after the keys read here (and a key inside a string
# cannot match, its quotes being escaped). \uXXXX escapes are left as they
# are. The test holds both readers to the same table.

# jstr JSON KEY sets REPLY to KEY's first string value, unescaped, or "-".
jstr() {
	local re='"'"$2"'":"((\\.|[^"\\])*)"' bs=$'\\'
	REPLY=-
	if [[ $1 =~ $re ]]; then
		REPLY=${BASH_REMATCH[1]}
		REPLY=${REPLY//"$bs$bs"/$'\x01'}
		REPLY=${REPLY//"$bs\""/\"}
		REPLY=${REPLY//"$bs/"/\/}
		REPLY=${REPLY//"${bs}n"/ }
		REPLY=${REPLY//"${bs}r"/ }
		REPLY=${REPLY//"${bs}t"/ }
		REPLY=${REPLY//$'\x01'/"$bs"}
		[[ -n $REPLY ]] || REPLY=-
	fi
}

# jlast JSON KEY sets REPLY to KEY's last plain value (no escapes, as
# provider names and channels have none), or "-".
jlast() {
	local re='.*"'"$2"'":"([^"\\]*)"'
	REPLY=-
	if [[ $1 =~ $re && -n ${BASH_REMATCH[1]} ]]; then
		REPLY=${BASH_REMATCH[1]}
	fi
}

# rows_bash makes the rows with bash alone.
rows_bash() {
	local t j to provider channel state err
	local is_error='^\{"to":"[^"]*","error":'
	while IFS=$'\t' read -r t j; do
		[[ $j == '{"to":'* ]] || continue # status events, the summary, errors of no number
		jstr "$j" to
		to=$REPLY
		if [[ $j =~ $is_error ]]; then
			jlast "$j" provider
			provider=$REPLY
			jlast "$j" channel
			channel=$REPLY
			jstr "$j" error
			state=$REPLY
			jstr "$j" message
			err=$REPLY
		else
			jstr "$j" provider
			provider=$REPLY
			jstr "$j" channel
			channel=$REPLY
			jstr "$j" delivery
			state=$REPLY
			[[ $state != - ]] || state=sent
			jstr "$j" delivery_error
			err=$REPLY
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$to" "$provider" "$channel" "$state" "$t" "$err"
	done
}

if [[ -n $jq_bin ]]; then
	rows_jq <"$tmp/timed" >"$tmp/rows"
else
	rows_bash <"$tmp/timed" >"$tmp/rows"
fi

# jint JSON KEY sets REPLY to KEY's integer value, or "?".
jint() {
	local re='"'"$2"'":([0-9]+)'
	REPLY='?'
	if [[ $1 =~ $re ]]; then REPLY=${BASH_REMATCH[1]}; fi
}

# otp's last line, when it got as far as sending, is its summary: flat, with
# whole numbers only, which bash reads as surely as jq.
summary=
if [[ -s $results ]]; then
	last=$(tail -n 1 -- "$results")
	if [[ $last == '{"event":"summary",'* ]]; then
		jint "$last" numbers
		summary="$REPLY numbers:"
		jint "$last" sent
		summary+=" $REPLY sent,"
		jint "$last" failed
		summary+=" $REPLY failed;"
		jint "$last" delivered
		summary+=" $REPLY delivered,"
		jint "$last" undelivered
		summary+=" $REPLY not delivered"
	fi
fi

meaning() {
	case $1 in
	2) echo "bad number, configuration or flag" ;;
	4) echo "a number is locked" ;;
	5) echo "rate limited" ;;
	6) echo "a provider did not accept a message" ;;
	7) echo "store error" ;;
	8) echo "not delivered, or no delivery report within $wait_timeout" ;;
	*) echo "otp failed" ;;
	esac
}

if [[ -z $summary ]]; then
	# otp stopped before sending (its message is above on stderr) or died.
	if [[ $rc -eq 0 ]]; then
		die "otp exited 0 without a summary; see $results"
	fi
	printf 'smoke: FAILED: otp exited %d (%s) before sending anything\n' "$rc" "$(meaning "$rc")" >&2
	exit "$rc"
fi

{
	format='%-16s  %-11s  %-7s  %-15s  %7s  %s\n'
	# shellcheck disable=SC2059 # the format is ours
	printf "$format" NUMBER PROVIDER CHANNEL DELIVERY SECONDS ERROR
	while IFS=$'\t' read -r to provider channel state t err; do
		# shellcheck disable=SC2059
		printf "$format" "$to" "$provider" "$channel" "$state" "$t" "$err"
	done <"$tmp/rows"
	printf 'smoke: %s\n' "$summary"
} >"$table"
cat -- "$table"

if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	# shellcheck disable=SC2016 # Markdown's fence, not a command substitution
	printf '### SMS smoke test\n\n```\n%s\n```\n' "$(cat -- "$table")" >>"$GITHUB_STEP_SUMMARY"
fi

if [[ $rc -ne 0 ]]; then
	printf 'smoke: FAILED: otp exited %d (%s); results in %s\n' "$rc" "$(meaning "$rc")" "$results" >&2
else
	printf 'smoke: every route delivered; results in %s\n' "$results" >&2
fi
exit "$rc"
