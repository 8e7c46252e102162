#!/usr/bin/env bash
# Measures the demo's resident memory once it has started and every platform
# (WeChat, DingTalk and WeCom, each against its emulator) is online, and again
# after 300 webhook messages went through it.
# Usage: bash bench/demo-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/qunzhu" ./cmd/qunzhu
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
http=127.0.0.1:$(port) emu=127.0.0.1:$(port) dt=127.0.0.1:$(port) wc=127.0.0.1:$(port)
secret=bench-secret-0123456789

QUNZHU_DEMO_SECRET=$secret QUNZHU_LOG_LEVEL=warn QUNZHU_LIMITS_ACCOUNT=1000/1s,1000 \
QUNZHU_LIMITS_GROUP=1000/1s,1000 QUNZHU_LIMITS_JITTER=0s \
QUNZHU_DINGTALK_LIMITS_ACCOUNT=1000/1s,1000 QUNZHU_DINGTALK_LIMITS_GROUP=1000/1s,1000 QUNZHU_DINGTALK_EMU_GROUP_LIMIT=-1 \
QUNZHU_WECOM_LIMITS_ACCOUNT=1000/1s,1000 QUNZHU_WECOM_LIMITS_GROUP=1000/1s,1000 QUNZHU_WECOM_EMU_RATE=100000 \
  "$work/qunzhu" demo --http "$http" --emu "$emu" --dingtalk-emu "$dt" --wecom-emu "$wc" --data "$work/data" >"$work/out" 2>"$work/err" &
pid=$!

for _ in $(seq 100); do
  curl -sf "http://$http/readyz" 2>/dev/null | grep -q '"status":"ok"' && break
  sleep 0.1
done
curl -sf "http://$http/readyz" | grep -q '"status":"ok"' || { echo "demo did not come online"; cat "$work/err"; exit 1; }
sleep 1
rss() { awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/$pid/status"; }
echo "demo RSS after start (WeChat, DingTalk and WeCom online): $(rss)"

for i in $(seq 300); do
  case $((i % 3)) in # a third to each platform
    0) group=区委干部工作群 ;;
    1) group=钉钉:城管执法钉钉群 ;;
    2) group=企业微信:企微应急专班 ;;
  esac
  body="{\"group\":\"$group\",\"text\":\"压测 $i\"}"
  ts=$(date +%s)
  sig=$(printf '%s\n%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
  curl -sf -o /dev/null -XPOST "http://$http/api/v1/messages" -H 'Content-Type: application/json' \
    -H 'X-Qunzhu-Source: demo' -H "X-Qunzhu-Timestamp: $ts" -H "X-Qunzhu-Signature: sha256=$sig" --data-binary "$body"
done
sleep 2
echo "demo RSS after 300 webhook messages (100 each to WeChat, DingTalk, WeCom): $(rss)"
wc_group=%E4%BC%81%E5%BE%AE%E5%BA%94%E6%80%A5%E4%B8%93%E7%8F%AD # 企微应急专班
echo "messages the WeCom emulator's group robot received: $(curl -s "http://$wc/_emu/groups/$wc_group/messages" | grep -o '压测 [0-9]*' | wc -l)"
