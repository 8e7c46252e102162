#!/usr/bin/env bash
# Scale of state: fills a store with 20,000 and then 100,000 open 督办 tasks
# across 10 units (through the project's own store package), runs the demo on
# it, and prints one line per measurement:
#   RESULT name=<command> tasks=<n> median_ms=<m> p99_ms=<p>
#   RESULT name=webhook_during_lists tasks=<n> p99_ms=<p> ...
# A command is timed from its post in the WeChat emulator to the bot's answer
# in the group (the whole path: sync, router, store, outbox, send), with the
# send limits raised so pacing is not what is measured.
# Usage: bash bench/scale.sh [tasks ...]   (default: 20000 100000)
# Goals on the 2-core reference machine: every command ≤ 30 ms median at
# 100,000 tasks; webhook p99 during lists ≤ 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(20000 100000)
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/qunzhu" ./cmd/qunzhu
go build -o "$work/scale" ./bench/scale
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
secret=scale-secret-0123456789

start_demo() { # data dir
  http=127.0.0.1:$(port) emu=127.0.0.1:$(port) dt=127.0.0.1:$(port) wc=127.0.0.1:$(port)
  QUNZHU_DEMO_SECRET=$secret QUNZHU_LOG_LEVEL=warn \
  QUNZHU_LIMITS_ACCOUNT=10000/1s,10000 QUNZHU_LIMITS_GROUP=10000/1s,10000 QUNZHU_LIMITS_DAILY=1000000 \
  QUNZHU_LIMITS_JITTER=0s QUNZHU_LIMITS_COMMANDS_MEMBER=10000/1s,10000 QUNZHU_LIMITS_RESERVE_DAILY=0 \
    "$work/qunzhu" demo --http "$http" --emu "$emu" --dingtalk-emu "$dt" --wecom-emu "$wc" --data "$1" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 300); do
    curl -sf "http://$http/readyz" 2>/dev/null | grep -q '"wechat":"online"' && return 0
    sleep 0.1
  done
  echo "demo did not come online"; cat "$work/err"; exit 1
}
stop_demo() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

for n in "${sizes[@]}"; do
  data=$work/data-$n
  start_demo "$data"   # creates the store, the groups and the owners' binding
  stop_demo
  "$work/scale" fill -db "$data/qunzhu.db" -tasks "$n"
  start_demo "$data"
  sleep 1
  "$work/scale" measure -emu "$emu" -http "$http" -secret "$secret" -tasks "$n"
  stop_demo
done
