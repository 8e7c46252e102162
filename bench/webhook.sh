#!/usr/bin/env bash
# Drives qunzhu's intake endpoints with wrk, and a bare Gin handler
# (bench/baregin) at the same paths on the same machine in the same run, and
# prints a table of throughputs, p99 latencies and the ratios qunzhu / bare Gin.
#
# Targets (each request unique, authenticated, on disk before its 2xx):
#   hotline       POST /api/v1/hotline/tickets: a new overdue ticket, HMAC-signed;
#                 checked on a read snapshot, accepted into the intake journal
#                 with its 督办 number reserved; the applier then makes the
#                 ticket, the task and the unit's digest message
#   messages      POST /api/v1/messages: a new message with a dedup_key, HMAC-signed;
#                 accepted into the journal with its outbox id reserved
#   alertmanager  POST /api/v1/alertmanager/ops: one firing alert, bearer token;
#                 one transaction per request (not journaled)
# Each target runs at every connection count in CONNECTIONS, qunzhu first; then
# the script waits until qunzhu's journal has applied all it accepted (drain-s)
# and runs bare Gin, so bare Gin never shares the machine with that work. The
# store runs with synchronous=FULL (every 2xx is on disk) unless
# QUNZHU_SQLITE_SYNCHRONOUS says otherwise. The sender keeps the default pace,
# so the numbers are intake, not delivery.
#
# Usage: bash bench/webhook.sh
#        DURATION=30s CONNECTIONS="32 256" TARGETS="hotline messages" bash bench/webhook.sh
# Loopback only. wrk (Debian package "wrk") is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32 256}
TARGETS=${TARGETS:-hotline messages alertmanager}
THREADS=${THREADS:-2}
SYNC=${QUNZHU_SQLITE_SYNCHRONOUS:-full}
SECRET=bench-intake-secret-0123456789
TOKEN=bench-alertmanager-token-0123456789

if ! command -v wrk >/dev/null 2>&1; then
	echo "wrk not found: installing the Debian package" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq >&2 || true
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >&2
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "building qunzhu and bench/baregin…" >&2
go build -trimpath -o "$work/qunzhu" ./cmd/qunzhu
go build -trimpath -o "$work/baregin" ./bench/baregin

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
http=127.0.0.1:$(port) emu=127.0.0.1:$(port) bare=127.0.0.1:$(port)

# The demo with one source per target, rate limits off (a source's default,
# 120 a minute, would answer 429 to a benchmark); every hotline unit is
# routed to one group with the default 30 s digest window.
cat >"$work/bench.yaml" <<EOF
bot_names: [群主助手]
log_level: warn
sqlite_synchronous: $SYNC
groups:
  - name: 区委干部工作群
    members:
      - {name: 张书记, unit: 区委, role: owner}
      - {name: 李局长, unit: 市城管委}
webhook_sources:
  - name: bench-hotline
    kind: hotline
    secret: $SECRET
    rate_limit: "off"
    routes:
      - {group: 区委干部工作群}
  - name: bench-messages
    secret: $SECRET
    rate_limit: "off"
  - name: bench-alerts
    kind: alertmanager
    token: $TOKEN
    rate_limit: "off"
    routes:
      - {name: ops, group: 区委干部工作群}
emulator:
  self: 群主助手
  groups:
    - name: 区委干部工作群
      members: [张书记, 李局长]
EOF

"$work/qunzhu" demo --config "$work/bench.yaml" --http "$http" --emu "$emu" --data "$work/data" \
	>"$work/qunzhu.out" 2>"$work/qunzhu.err" &
pids+=($!)
"$work/baregin" -addr "$bare" 2>"$work/baregin.err" &
pids+=($!)

for _ in $(seq 150); do
	curl -sf "http://$http/readyz" 2>/dev/null | grep -q '"wechat":"online"' && break
	sleep 0.1
done
curl -sf "http://$http/readyz" | grep -q '"wechat":"online"' || {
	echo "the demo did not come online" >&2
	cat "$work/qunzhu.err" >&2
	exit 1
}

run() { # name target connections url
	local source=bench-hotline
	[ "$2" = messages ] && source=bench-messages
	local r attempt rc
	# A wrk that ends without its RESULT line (it happened twice in about
	# twenty runs here, at the first run of a fresh demo, with no output at
	# all) is run once more, and its exit status is reported.
	for attempt in 1 2; do
		rc=0
		QUNZHU_BENCH_TARGET=$2 QUNZHU_BENCH_SECRET=$SECRET QUNZHU_BENCH_SOURCE=$source QUNZHU_BENCH_TOKEN=$TOKEN \
			QUNZHU_BENCH_RUN="$1-$3-$(date +%s%N)" \
			wrk -t "$THREADS" -c "$3" -d "$DURATION" --latency -s bench/webhook.lua "$4" >"$work/$1.txt" 2>&1 || rc=$?
		r=$(grep "^RESULT" "$work/$1.txt") && break
		echo "$1: wrk exited with status $rc and no RESULT line (attempt $attempt):" >&2
		cat "$work/$1.txt" >&2
	done
	[ -n "$r" ] || { echo "RESULT rps=0 p50_ms=0 p99_ms=0 non2xx=0"; return; }
	echo "$1: $r" >&2
	echo "$r"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# drained waits until qunzhu's intake journal has applied everything it
# accepted (so bare Gin is then measured on a machine that is not also
# applying qunzhu's backlog) and prints how many seconds that took.
drained() {
	local start=$(date +%s.%N) pending
	for _ in $(seq 3000); do
		pending=$(curl -sf "http://$http/readyz" | sed -n 's/.*"intake":{"pending":\([0-9]*\).*/\1/p')
		[ "$pending" = 0 ] && break
		sleep 0.1
	done
	awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}
path() {
	case $1 in
	hotline) echo /api/v1/hotline/tickets ;;
	messages) echo /api/v1/messages ;;
	alertmanager) echo /api/v1/alertmanager/ops ;;
	esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for target in $TARGETS; do
	for c in $CONNECTIONS; do
		echo "== $target, $c connections: qunzhu, then bare Gin ==" >&2
		q=$(run "q-$target-$c" "$target" "$c" "http://$http$(path "$target")")
		d=$(drained)
		b=$(run "b-$target-$c" "$target" "$c" "http://$bare$(path "$target")")
		if [ "$(field "$q" non2xx)" != 0 ]; then
			echo "qunzhu answered $(field "$q" non2xx) $target requests with a non-2xx status" >&2
			grep -i error "$work/qunzhu.err" | tail -3 >&2 || true
		fi
		rows+=("$target $c $(field "$q" rps) $(field "$q" p99_ms) $(field "$q" non2xx) $(field "$b" rps) $(field "$b" p99_ms) $d")
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "qunzhu intake vs bare Gin: synchronous=$SYNC, $THREADS wrk threads, $DURATION per run, loopback, $(nproc) CPUs"
echo "load average before $load_before, after $load_after (the machine is shared: compare ratios, not absolute numbers)"
printf '  %-13s %5s %11s %9s %7s %9s %11s %9s %7s\n' target conns qunzhu/s p99-ms non2xx drain-s bare/s p99-ms ratio
for r in "${rows[@]}"; do
	read -r target c qr qp qn br bp d <<<"$r"
	awk -v t="$target" -v c="$c" -v qr="$qr" -v qp="$qp" -v qn="$qn" -v br="$br" -v bp="$bp" -v d="$d" 'BEGIN {
		printf "  %-13s %5d %11.0f %9.1f %7d %9.1f %11.0f %9.1f %7.3f\n", t, c, qr, qp, qn, d, br, bp, (br > 0 ? qr / br : 0) }'
done
echo "drain-s: seconds after the qunzhu run until its intake journal had applied everything it accepted"
echo "(bare Gin runs after that, so it never shares the machine with qunzhu's backlog)"
