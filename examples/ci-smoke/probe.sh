#!/usr/bin/env bash
# probe.sh: an SMS route check by what arrived, beside smoke.sh's check by
# delivery receipts. It runs ONE "otp probe --to-file FILE": a probe text
# (never a code) goes through the configured route to each number, which
# must be a number you own on the receiving account, and is read back there
# (Twilio's inbound Messages list, or signed webhooks). Each probe's verdict
# is ok, slow, altered (sender or text changed), not_arrived or fake_dlr (the
# receipt says delivered, nothing arrived). It exits with otp's exit code:
# 0 when every probe is ok, 8 otherwise, 6 when no route took a probe,
# 2 for a bad number, configuration or flag.
#
#   examples/ci-smoke/probe.sh NUMBERS_FILE
#
# NUMBERS_FILE: your own numbers, one per line, "#" starts a comment.
# Environment:
#
#   OTP_CONFIG   the otp configuration: the sending route and [probe] (see
#                probe.toml.example); required, as probes need an account
#   OTP_BIN      the otp binary (default: otp on PATH, else built with
#                "go build" from the otpkit checkout this script is in)
#   COUNT        probes per number (default 1)
#   TIMEOUT      how long to wait for each arrival (default 2m)
#   MAX_LATENCY  an arrival later than this is slow (default 30s)
#   SMOKE_OUT    where results go (default ./smoke-results): probe.txt (one
#                line per probe), probe.xml (JUnit)
#
# Secrets come from their usual variables (TWILIO_ACCOUNT_SID,
# TWILIO_AUTH_TOKEN, ...). On GitHub Actions otp appends a table of the
# probes to the job summary ($GITHUB_STEP_SUMMARY) itself.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

die() {
	printf 'probe: %s\n' "$*" >&2
	exit 2
}

[[ $# -eq 1 ]] || die "usage: probe.sh NUMBERS_FILE (numbers you own on the receiving account)"
numbers=$1
[[ -n ${OTP_CONFIG:-} ]] || die "set OTP_CONFIG to a configuration with the route and [probe] (see probe.toml.example)"
out=${SMOKE_OUT:-smoke-results}

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

if [[ -n ${OTP_BIN:-} ]]; then
	otp=$OTP_BIN
	command -v -- "$otp" >/dev/null || die "OTP_BIN=$otp is not an executable"
elif otp=$(command -v otp); then
	:
else
	repo=$(cd -- "$here/../.." && pwd)
	if [[ -f $repo/go.mod ]] && grep -qx 'module github.com/otpkit/otpkit' "$repo/go.mod" && command -v go >/dev/null; then
		printf 'probe: building otp from %s\n' "$repo" >&2
		(cd -- "$repo" && go build -o "$tmp/otp" ./cmd/otp) || die "go build failed"
		otp=$tmp/otp
	else
		die "no otp on PATH: install it (go install github.com/otpkit/otpkit/cmd/otp@latest) or set OTP_BIN"
	fi
fi

mkdir -p -- "$out"
rm -f -- "$out/probe.txt" "$out/probe.xml"

set +e
"$otp" --config "$OTP_CONFIG" probe --to-file "$numbers" --count "${COUNT:-1}" \
	--timeout "${TIMEOUT:-2m}" --max-latency "${MAX_LATENCY:-30s}" --junit "$out/probe.xml" | tee "$out/probe.txt"
rc=${PIPESTATUS[0]}
set -e

case $rc in
0) printf 'probe: every probe arrived intact and in time; results in %s\n' "$out" >&2 ;;
8) printf 'probe: FAILED: otp exited 8 (a probe did not arrive, arrived altered or late, or the receipt lied); results in %s\n' "$out" >&2 ;;
6) printf 'probe: FAILED: otp exited 6 (no route accepted a probe); results in %s\n' "$out" >&2 ;;
*) printf 'probe: FAILED: otp exited %d\n' "$rc" >&2 ;;
esac
exit "$rc"
