#!/usr/bin/env bash
# Runs otpkit's benchmarks and prints one table: each figure with the
# reference it is compared with in the same run, the ratio, the target and
# whether it is met. Run it from anywhere in a clone:
#
#	bash bench/run.sh
#
# It builds what it needs into a temporary directory and works there (the
# disk reported under the table is that directory's). Command timings use
# hyperfine when it is installed, else a loop of its own. Redis figures need
# a server: OTP_TEST_REDIS_URL, else one answering on 127.0.0.1:6379, else a
# throwaway redis-server started on a free loopback port if one is installed.
#
# Environment: BENCH_RUNS (timed runs of each command, default 40),
# BENCH_COUNT (repetitions of each Go benchmark, default 5), BENCH_HYPERFINE=0
# (time commands with the script's own loop even if hyperfine is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

load0=$(cut -d' ' -f1-3 /proc/loadavg)
runs=${BENCH_RUNS:-40}
count=${BENCH_COUNT:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/otpkit-bench.XXXXXX")
redis_pid=
cleanup() {
	if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
say() { echo "bench: $*" >&2; }

say "building into $work"
mkdir -p "$work/bin" "$work/cli" "$work/tmp"
go build -o "$work/bin/otp" ./cmd/otp
go build -o "$work/bin/floor" ./bench/floor
go test -c -o "$work/bin/bench.test" ./bench
go test -c -o "$work/bin/filestore.test" ./store/filestore
go test -c -o "$work/bin/redis.test" ./store/redisstore
# From here on every file the benchmarks make is under $work.
export TMPDIR=$work/tmp

# --- Redis -----------------------------------------------------------------
redis_ping() { # host port
	local reply
	exec 3<>"/dev/tcp/$1/$2" || return 1
	printf 'PING\r\n' >&3
	read -r -t 2 reply <&3 || true
	exec 3<&- 3>&-
	[ "${reply%$'\r'}" = "+PONG" ]
}
if [ -z "${OTP_TEST_REDIS_URL:-}" ]; then
	if redis_ping 127.0.0.1 6379 2>/dev/null; then
		export OTP_TEST_REDIS_URL=redis://127.0.0.1:6379/0
	elif command -v redis-server >/dev/null; then
		for port in $(seq 16379 16479); do
			if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
		done
		redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
			--dir "$work" --logfile "$work/redis.log" &
		redis_pid=$!
		for _ in $(seq 100); do
			if redis_ping 127.0.0.1 "$port" 2>/dev/null; then
				export OTP_TEST_REDIS_URL=redis://127.0.0.1:$port/0
				break
			fi
			sleep 0.1
		done
	fi
fi
if [ -n "${OTP_TEST_REDIS_URL:-}" ]; then say "redis: ${OTP_TEST_REDIS_URL%%@*}"; else say "redis: none, its rows are skipped"; fi

# --- helpers ---------------------------------------------------------------
# median: the median of the numbers on stdin, or NA.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "NA"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# metric FILE NAME UNIT: the median over repetitions of the value reported
# in UNIT by the Go benchmark NAME (without its -GOMAXPROCS suffix).
metric() {
	awk -v name="$2" -v unit="$3" '{ n = $1; sub(/-[0-9]+$/, "", n) }
		n == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }' "$1" | median
}
# calc EXPR: evaluates an awk expression, NA if any operand is NA.
calc() {
	case "$1" in *NA*) echo NA ;; *) awk "BEGIN { print $1 }" ;; esac
}
# check EXPR: PASS or FAIL, or n/a for missing figures.
check() {
	case "$1" in *NA*) echo "n/a" ;; *) awk "BEGIN { print (($1) ? \"PASS\" : \"FAIL\") }" ;; esac
}
fmt() { # printf FORMAT VALUE, or NA
	if [ "$2" = NA ]; then echo NA; else printf "$1" "$2"; fi
}

# seconds CMD...: the median wall time in seconds of running CMD, $runs
# times after 5 warm-up runs. Its exit status is not checked here: the
# caller runs it once first and checks it.
if [ "${BENCH_HYPERFINE:-1}" != 0 ] && command -v hyperfine >/dev/null; then
	timer="hyperfine $(hyperfine --version | cut -d' ' -f2)"
	seconds() {
		local json=$work/hyperfine.json
		hyperfine -N -i --style none --warmup 5 --runs "$runs" --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
		grep -o '"median": *[0-9.e+-]*' "$json" | head -1 | awk '{ print $2 }'
	}
else
	timer="bash loop (\$EPOCHREALTIME)"
	seconds() {
		local i s e
		for i in 1 2 3 4 5; do "$@" >/dev/null 2>&1 || true; done
		for ((i = 0; i < runs; i++)); do
			s=$EPOCHREALTIME
			"$@" >/dev/null 2>&1 || true
			e=$EPOCHREALTIME
			echo "$s $e"
		done | awk '{ print $2 - $1 }' | median
	}
fi
# expect CODE CMD...: runs CMD once and fails the script unless it exits CODE.
expect() {
	local want=$1 got=0
	shift
	"$@" >"$work/out" 2>&1 || got=$?
	if [ "$got" != "$want" ]; then
		say "$* exited $got, want $want:"
		cat "$work/out" >&2
		exit 1
	fi
}

# --- library: Send+Verify pairs/s -------------------------------------------
say "library: Send+Verify pairs/s, 1 and 64 goroutines ($count x 2 s each)"
"$work/bin/bench.test" -test.run '^$' -test.bench 'SendVerify' -test.benchtime 2s -test.count "$count" >"$work/library.txt"

# --- scale: one Issue against 1,000 / 100,000 / 1,000,000 records -----------
say "scale: Issue latency with 1k, 100k, 1M records ($count x 2000 ops each)"
(cd store/filestore && "$work/bin/filestore.test" -test.run '^$' -test.bench 'Records/records=/^Issue$' \
	-test.benchtime 2000x -test.count "$count") >"$work/scale.txt"

say "scale: the disk alone, 6 pages and a meta page fsynced, within 300 KB or across 117 MB"
"$work/bin/bench.test" -test.run '^$' -test.bench 'CommitSpan' -test.benchtime 2000x -test.count "$count" >"$work/disk.txt"
if [ -n "${OTP_TEST_REDIS_URL:-}" ]; then
	say "scale: Redis store calls with 1k, 100k, 1M records ($count x 20000 calls each)"
	(cd store/redisstore && "$work/bin/redis.test" -test.run '^$' -test.bench 'Scale' -test.benchtime 20000x -test.count "$count") >"$work/redis-scale.txt"
else
	: >"$work/redis-scale.txt"
fi

# --- purge of 1,000,000 records, half expired --------------------------------
say "purge: 1M records, half expired (3 runs)"
(cd store/filestore && "$work/bin/filestore.test" -test.run '^$' -test.bench 'Purge1M' -test.benchtime 1x -test.count 3) >"$work/purge.txt"

# --- the otp command against the floor --------------------------------------
say "cli: otp send, otp verify and the floor ($timer, $runs runs each)"
cat >"$work/cli/otp.toml" <<EOF
# Limits off, so the same command can run again and again; outbox delivery.
[limits]
max_attempts = 0
resend_after = "0s"
max_sends = 0
[store]
path = "$work/cli/otp.db"
[delivery]
provider = "outbox"
[delivery.outbox]
path = "$work/cli/outbox.jsonl"
EOF
otp=("$work/bin/otp" --config "$work/cli/otp.toml")
floor=("$work/bin/floor" "$work/cli/floor.txt")
expect 0 "${otp[@]}" send --to +12015550100
# Verify with a wrong code (7 digits never match a 6-digit code): one
# fsynced write to the record, as a right code makes, and a right code can
# be typed back only once.
expect 1 "${otp[@]}" verify --to +12015550100 --code 0000000
expect 0 "${floor[@]}"
floor_s=$(seconds "${floor[@]}")
send_s=$(seconds "${otp[@]}" send --to +12015550100)
verify_s=$(seconds "${otp[@]}" verify --to +12015550100 --code 0000000)

say "cli: 50 processes at once ($timer)"
{
	echo 'for i in $(seq 10 59); do'
	echo "  $(printf '%q ' "${otp[@]}") send --to +120155501\$i >/dev/null &"
	echo 'done; wait'
} >"$work/burst-otp.sh"
{
	echo 'for i in $(seq 10 59); do'
	echo "  $(printf '%q ' "${floor[@]}") &"
	echo 'done; wait'
} >"$work/burst-floor.sh"
expect 0 bash "$work/burst-otp.sh"
runs=$((runs / 4 > 5 ? runs / 4 : 5))
burst_floor_s=$(seconds bash "$work/burst-floor.sh")
burst_otp_s=$(seconds bash "$work/burst-otp.sh")
# All 50 sends still succeed.
sent=$(wc -l <"$work/cli/outbox.jsonl")
bash "$work/burst-otp.sh"
if [ $(($(wc -l <"$work/cli/outbox.jsonl") - sent)) != 50 ]; then say "50 otp send at once did not send 50 codes"; exit 1; fi

# The same with the Redis store: a network round trip instead of an fsync.
redis_send_s=NA
if [ -n "${OTP_TEST_REDIS_URL:-}" ]; then
	prefix="otpkit-bench-$$-$RANDOM:"
	sed -e 's|^\[store\]$|[code]\nsecret = "otpkit-bench-secret-0123456789"\n[store]\ndriver = "redis"|' \
		-e "s|^path = \"$work/cli/otp.db\"|url = \"$OTP_TEST_REDIS_URL\"\nprefix = \"$prefix\"|" \
		"$work/cli/otp.toml" >"$work/cli/redis.toml"
	expect 0 "$work/bin/otp" --config "$work/cli/redis.toml" send --to +12015550100
	redis_send_s=$(seconds "$work/bin/otp" --config "$work/cli/redis.toml" send --to +12015550100)
	if command -v redis-cli >/dev/null; then
		redis-cli -u "$OTP_TEST_REDIS_URL" --scan --pattern "$prefix*" | xargs -r redis-cli -u "$OTP_TEST_REDIS_URL" unlink >/dev/null
	fi
fi

# phonenumbers' package init, the largest part of the floor's start.
init_ms=$(for _ in $(seq 10); do
	GODEBUG=inittrace=1 "${floor[@]}" 2>&1 | awk '$2 == "github.com/nyaruka/phonenumbers" { print $5 }'
done | median)

# --- the table -----------------------------------------------------------------
rows=()
row() { rows+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$@")"); }

for st in file redis; do
	p64=$(metric "$work/library.txt" "BenchmarkSendVerify/store=$st/goroutines=64" pairs/s)
	p1=$(metric "$work/library.txt" "BenchmarkSendVerify/store=$st/goroutines=1" pairs/s)
	want=5000
	if [ $st = redis ]; then want=15000; fi
	if [ "$p64" = NA ]; then
		row "Send+Verify, $st store, 64 goroutines" "not run" "" "" ">= $want pairs/s" "skipped"
		continue
	fi
	row "Send+Verify, $st store, 64 goroutines" "$(fmt %.0f "$p64") pairs/s" "1 goroutine: $(fmt %.0f "$p1") pairs/s" \
		"$(fmt %.2f "$(calc "$p64 / $p1")")" ">= $want pairs/s" "$(check "$p64 >= $want")"
done

k1=$(metric "$work/scale.txt" "BenchmarkRecords/records=1000/Issue" ns/op)
for n in 100,000 1,000,000; do
	v=$(metric "$work/scale.txt" "BenchmarkRecords/records=${n//,/}/Issue" ns/op)
	target="<= 1.2" result=$(check "$v / $k1 <= 1.2")
	if [ $n = 100,000 ]; then target="(for reference)" result="-"; fi
	row "Issue latency, file store, $n records" "$(fmt %.0f "$(calc "$v / 1000")") us" \
		"1,000 records: $(fmt %.0f "$(calc "$k1 / 1000")") us" "$(fmt %.2f "$(calc "$v / $k1")")" "$target" "$result"
done

d1=$(metric "$work/disk.txt" "BenchmarkCommitSpan/span=300KB" ns/op)
d2=$(metric "$work/disk.txt" "BenchmarkCommitSpan/span=117MB" ns/op)
row "Disk alone: 7 page writes, 2 fsyncs, across 117 MB" "$(fmt %.0f "$(calc "$d2 / 1000")") us" \
	"within 300 KB: $(fmt %.0f "$(calc "$d1 / 1000")") us" "$(fmt %.2f "$(calc "$d2 / $d1")")" "(for reference)" "-"
r1=$(metric "$work/redis-scale.txt" "BenchmarkScale/records=1000" ns/op)
r2=$(metric "$work/redis-scale.txt" "BenchmarkScale/records=1000000" ns/op)
if [ "$r2" = NA ]; then
	row "Redis store call, 1,000,000 records" "not run" "" "" "<= 1.2" "skipped"
else
	row "Redis store call, 1,000,000 records" "$(fmt %.0f "$(calc "$r2 / 1000")") us" "1,000 records: $(fmt %.0f "$(calc "$r1 / 1000")") us" \
		"$(fmt %.2f "$(calc "$r2 / $r1")")" "<= 1.2" "$(check "$r2 / $r1 <= 1.2")"
fi

for c in send verify; do
	v=${c}_s
	row "otp $c (one process)" "$(fmt %.1f "$(calc "${!v} * 1000")") ms" "floor: $(fmt %.1f "$(calc "$floor_s * 1000")") ms" \
		"$(fmt %.2f "$(calc "${!v} / $floor_s")")" "<= 1.3 and < 20 ms" "$(check "${!v} / $floor_s <= 1.3 && ${!v} < 0.020")"
done
if [ "$redis_send_s" = NA ]; then
	row "otp send, Redis store (one process)" "not run" "" "" "(for reference)" "skipped"
else
	row "otp send, Redis store (one process)" "$(fmt %.1f "$(calc "$redis_send_s * 1000")") ms" "floor: $(fmt %.1f "$(calc "$floor_s * 1000")") ms" \
		"$(fmt %.2f "$(calc "$redis_send_s / $floor_s")")" "(for reference)" "-"
fi
row "50 otp send at once" "$(fmt %.0f "$(calc "$burst_otp_s * 1000")") ms" "50 floor at once: $(fmt %.0f "$(calc "$burst_floor_s * 1000")") ms" \
	"$(fmt %.2f "$(calc "$burst_otp_s / $burst_floor_s")")" "<= 3" "$(check "$burst_otp_s / $burst_floor_s <= 3")"

purge=$(metric "$work/purge.txt" BenchmarkPurge1M ns/op)
mb0=$(metric "$work/purge.txt" BenchmarkPurge1M MB-before)
mb1=$(metric "$work/purge.txt" BenchmarkPurge1M MB-after)
row "Purge 1,000,000 records, half expired" "$(fmt %.2f "$(calc "$purge / 1e9")") s" "file $(fmt %.1f "$mb0") MB -> $(fmt %.1f "$mb1") MB" \
	"$(fmt %.2f "$(calc "$mb1 / $mb0")") (size)" "< 2 s, size <= 1" "$(check "$purge < 2e9 && $mb1 <= $mb0")"

{
	printf 'benchmark\tfigure\treference\tratio\ttarget\tresult\n'
	printf '%s\n' "${rows[@]}"
} | awk -F'\t' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
	END {
		for (r = 1; r <= NR; r++) {
			line = "|"
			for (i = 1; i <= 6; i++) line = line sprintf(" %-" w[i] "s |", cell[r, i])
			print line
			if (r == 1) { line = "|"; for (i = 1; i <= 6; i++) { d = ""; for (j = 0; j < w[i] + 2; j++) d = d "-"; line = line d "|" }; print line }
		}
	}'

disk=$(df -PT "$work" | awk 'NR == 2 { print $2 " (" $1 ")" }')
echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr), disk $disk"
echo "load average before the run: $load0; go: $(go env GOVERSION); timer: $timer"
echo "phonenumbers package init in the floor binary: ${init_ms:-?} ms (GODEBUG=inittrace=1)"
