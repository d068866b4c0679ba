#!/usr/bin/env bash
# Benchmarks `otp serve` over HTTP: create+check pairs per second from 64
# concurrent clients (bench/serveload) with the outbox provider, on the file
# store and on Redis, with p50/p99 latency of a pair, and the same load in
# the same run against Prism mocking Twilio's Verify v2 spec (the mock people
# use today; stateless, it approves every code), and against a Go net/http
# server that answers fixed JSON (bench/servebase): the ceiling the load and
# net/http leave on these CPUs. Run it from anywhere:
#
#	bash bench/serve.sh
#
# Everything is built and run in a temporary directory, on loopback.
# Environment: BENCH_SECONDS (measured seconds per row, default 10),
# BENCH_WARMUP (default 2), BENCH_CLIENTS (default 64), BENCH_PRISM=0 (no
# Prism row), BENCH_PRISM_DIR (a directory holding, or to hold, an npm install
# of @stoplight/prism-cli; default: installed into the temporary directory),
# BENCH_SPEC (twilio_verify_v2.json; default: the first found of
# verifyapi/testdata/, ../shared/specs/, ../../shared/specs/), OTP_TEST_REDIS_URL (else a server
# answering on 127.0.0.1:6379; else the Redis row is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_SECONDS:-10}
warm=${BENCH_WARMUP:-2}
clients=${BENCH_CLIENTS:-64}
prism_version=5.14.2 # 5.15+ needs node >= 24
account=AC0123456789abcdef0123456789abcdef
token=bench-token-0123456789abcdef
load0=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/otpkit-serve-bench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
say() { echo "serve.sh: $*" >&2; }

say "building into $work"
go build -o "$work/otp" ./cmd/otp
go build -o "$work/serveload" ./bench/serveload
go build -o "$work/servebase" ./bench/servebase

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	for p in $(seq 18080 18580); do if port_free "$p"; then echo "$p"; return; fi; done
	say "no free port in 18080-18580"
	exit 1
}
# wait_http URL: until URL answers at all (any status), 60 s at most.
wait_http() {
	for _ in $(seq 600); do
		if curl -s -o /dev/null "$1" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	say "$1 did not answer"
	return 1
}
redis_ping() { # host port
	local reply
	exec 3<>"/dev/tcp/$1/$2" || return 1
	printf 'PING\r\n' >&3
	read -r -t 2 reply <&3 || true
	exec 3<&- 3>&-
	[ "${reply%$'\r'}" = "+PONG" ]
}
if [ -z "${OTP_TEST_REDIS_URL:-}" ] && redis_ping 127.0.0.1 6379 2>/dev/null; then
	export OTP_TEST_REDIS_URL=redis://127.0.0.1:6379/0
fi

results=()
# run_otp NAME STORE-TOML: otp serve with that [store], the outbox, limits
# that let one number send again at once; then the load. send_window is
# short because 64 numbers take every send: a record keeps the time of
# each send within the window (even with max_sends off), and an hour of
# sends at this rate would make every record thousands of entries long,
# which no real number sees.
run_otp() {
	local name=$1 store=$2 dir=$work/$1 port pid
	mkdir -p "$dir"
	cat >"$dir/otp.toml" <<EOF
[code]
secret = "otpkit-serve-bench-secret-0123456789"
[limits]
resend_after = "0s"
max_sends = 0
send_window = "1s"
$store
[delivery]
provider = "outbox"
[delivery.outbox]
path = "$dir/outbox.jsonl"
EOF
	port=$(free_port)
	OTP_SERVE_ACCOUNT_SID=$account OTP_SERVE_AUTH_TOKEN=$token \
		"$work/otp" --config "$dir/otp.toml" serve --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_http "http://127.0.0.1:$port/healthz"
	say "$name: $clients clients, ${warm}s warm-up, ${secs}s measured"
	local out
	if ! out=$("$work/serveload" -label "$name" -url "http://127.0.0.1:$port" -account $account -token $token \
		-outbox "$dir/outbox.jsonl" -clients "$clients" -duration "${secs}s" -warmup "${warm}s"); then
		say "$name: the load failed: $out"
		tail -5 "$dir/serve.log" >&2
		exit 1
	fi
	results+=("$out")
	kill -TERM "$pid"
	wait "$pid" || true
}

run_otp "otp-serve-file" "[store]
path = \"$work/otp-serve-file/otp.db\""

if [ -n "${OTP_TEST_REDIS_URL:-}" ]; then
	prefix="otpkit-serve-bench-$$-$RANDOM:"
	say "redis: ${OTP_TEST_REDIS_URL%%@*}"
	run_otp "otp-serve-redis" "[store]
driver = \"redis\"
url = \"$OTP_TEST_REDIS_URL\"
prefix = \"$prefix\""
	if command -v redis-cli >/dev/null; then
		redis-cli -u "$OTP_TEST_REDIS_URL" --scan --pattern "$prefix*" | xargs -r redis-cli -u "$OTP_TEST_REDIS_URL" unlink >/dev/null
	fi
else
	say "redis: none, its row is skipped"
fi

# The reference row: net/http answering fixed JSON (bench/servebase), what
# the load and net/http on these CPUs leave for any Go server.
port=$(free_port)
"$work/servebase" -addr "127.0.0.1:$port" >"$work/servebase.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$port/healthz"
say "go-net/http: $clients clients, ${warm}s warm-up, ${secs}s measured"
results+=("$("$work/serveload" -label go-net/http -url "http://127.0.0.1:$port" -account $account -token $token \
	-service VA0123456789abcdef0123456789abcdef -clients "$clients" -duration "${secs}s" -warmup "${warm}s")")

prism_note="not run"
if [ "${BENCH_PRISM:-1}" != 0 ]; then
	spec=${BENCH_SPEC:-}
	if [ -z "$spec" ]; then
		for s in verifyapi/testdata/twilio_verify_v2.json ../shared/specs/twilio_verify_v2.json ../../shared/specs/twilio_verify_v2.json; do
			if [ -f "$s" ]; then spec=$s; break; fi
		done
	fi
	pdir=${BENCH_PRISM_DIR:-$work/prism}
	if [ -z "$spec" ]; then
		prism_note="skipped: no twilio_verify_v2.json (set BENCH_SPEC)"
	elif ! command -v node >/dev/null; then
		prism_note="skipped: no node"
	else
		if [ ! -x "$pdir/node_modules/.bin/prism" ]; then
			say "installing @stoplight/prism-cli@$prism_version into $pdir"
			mkdir -p "$pdir"
			[ -f "$pdir/package.json" ] || echo '{"private":true}' >"$pdir/package.json"
			(cd "$pdir" && npm install --no-audit --no-fund --silent "@stoplight/prism-cli@$prism_version")
		fi
		port=$(free_port)
		# Its quietest and fastest setting: no logs, static examples.
		"$pdir/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" -v silent "$spec" >"$work/prism.log" 2>&1 &
		pid=$!
		pids+=("$pid")
		wait_http "http://127.0.0.1:$port/v2/Services"
		say "prism: $clients clients, ${warm}s warm-up, ${secs}s measured"
		if out=$("$work/serveload" -label prism -url "http://127.0.0.1:$port" -account $account -token $token \
			-service VA0123456789abcdef0123456789abcdef -clients "$clients" -duration "${secs}s" -warmup "${warm}s"); then
			results+=("$out")
			prism_note="$("$pdir/node_modules/.bin/prism" --version 2>/dev/null), node $(node --version)"
		else
			prism_note="the load failed: $out"
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
fi

# --- the table -----------------------------------------------------------------
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
prism_rate=
for r in "${results[@]}"; do
	if [ "${r%% *}" = prism ]; then prism_rate=$(field "$r" pairs/s); fi
done
printf '| %-16s | %9s | %7s | %7s | %8s | %-28s |\n' server pairs/s p50_ms p99_ms vs_prism target
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------ ----------- --------- --------- ---------- ------------------------------
for r in "${results[@]}"; do
	name=${r%% *} rate=$(field "$r" pairs/s) p50=$(field "$r" p50_ms) p99=$(field "$r" p99_ms)
	ratio=-
	if [ -n "$prism_rate" ] && [ "$name" != prism ]; then ratio=$(awk "BEGIN { printf \"%.1fx\", $rate / $prism_rate }"); fi
	target="(for reference)"
	[ "$name" = go-net/http ] && target="(fixed answers: the ceiling)"
	case $name in
	otp-serve-redis) target="$(awk "BEGIN { print ($rate >= 5000 && $p99 < 25) ? \"PASS\" : \"FAIL\" }") >=5000/s, p99<25ms" ;;
	otp-serve-file) target="$(awk "BEGIN { print ($p99 < 25) ? \"PASS\" : \"FAIL\" }") p99<25ms" ;;
	esac
	printf '| %-16s | %9s | %7s | %7s | %8s | %-28s |\n' "$name" "$rate" "$p50" "$p99" "$ratio" "$target"
done
echo
echo "pair = POST Verifications + POST VerificationCheck with the right code (read from the outbox); $clients clients, ${secs}s measured after ${warm}s"
echo "prism: $prism_note"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr); load before: $load0; go: $(go env GOVERSION)"
