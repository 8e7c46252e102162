#!/usr/bin/env bash
# Drives the signed 12345 hotline endpoint of `qunzhu demo` with wrk, and a
# bare Gin handler (bench/baregin) on the same machine in the same run, and
# prints both throughputs, their ratio and the p99 latencies.
#
# Every request is a new overdue ticket (unique ticket_id, one of four
# units), HMAC-signed per request by bench/webhook.lua, so each one is
# authenticated, checked for replay, stored with its 督办 task and gathered
# into a digest message in one SQLite transaction before the 202.
#
# Usage: bash bench/webhook.sh            (10 s per target, 32 connections)
#        DURATION=30s CONNECTIONS=64 THREADS=2 bash bench/webhook.sh
# Loopback only. wrk (Debian package "wrk") is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SECRET=bench-hotline-secret-0123456789

if ! command -v wrk >/dev/null 2>&1; then
	echo "wrk not found: installing the Debian package" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq >&2
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

# The demo with one hotline source whose rate limit is off (the default,
# 120 a minute, would answer 429 to a benchmark), routing every unit to one
# group with the default 30 s digest window; the governor's limits raised.
cat >"$work/bench.yaml" <<EOF
bot_names: [群主助手]
log_level: warn
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
emulator:
  self: 群主助手
  groups:
    - name: 区委干部工作群
      members: [张书记, 李局长]
EOF

QUNZHU_LIMITS_ACCOUNT=1000/1s,1000 QUNZHU_LIMITS_GROUP=1000/1s,1000 QUNZHU_LIMITS_JITTER=0s \
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

run() { # name url
	QUNZHU_BENCH_SECRET=$SECRET QUNZHU_BENCH_SOURCE=bench-hotline \
		wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s bench/webhook.lua "$2" | tee "$work/$1.txt" >&2
	grep '^RESULT' "$work/$1.txt"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "== qunzhu: POST /api/v1/hotline/tickets (signed, stored, digested) ==" >&2
q=$(run qunzhu "http://$http/api/v1/hotline/tickets")
echo "== bare Gin: POST /api/v1/hotline/tickets (read body, 202) ==" >&2
b=$(run baregin "http://$bare/api/v1/hotline/tickets")

if [ "$(field "$q" non2xx)" != 0 ]; then
	echo "qunzhu answered $(field "$q" non2xx) requests with a non-2xx status" >&2
	grep -i error "$work/qunzhu.err" | tail -5 >&2 || true
fi

qr=$(field "$q" rps) br=$(field "$b" rps)
echo
echo "hotline endpoint, $CONNECTIONS connections, $THREADS threads, $DURATION each, loopback, $(nproc) CPUs"
printf '  %-10s %10s req/s   p50 %8s ms   p99 %8s ms   non-2xx %s\n' \
	qunzhu "$qr" "$(field "$q" p50_ms)" "$(field "$q" p99_ms)" "$(field "$q" non2xx)" \
	bare-gin "$br" "$(field "$b" p50_ms)" "$(field "$b" p99_ms)" "$(field "$b" non2xx)"
awk -v q="$qr" -v b="$br" 'BEGIN { printf "  ratio qunzhu / bare Gin: %.3f (bare Gin is %.1fx)\n", q / b, b / q }'
