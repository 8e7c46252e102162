#!/usr/bin/env bash
# Crash safety at scale: build the real binary, queue M messages through the
# signed webhook API while killing the process with SIGKILL N times at random
# points (restarting it on the same data directory each time), then count what
# reached the emulator: every message, and at most one repeat per kill.
# The test suite runs the same test with 2,000 messages and 5 kills.
#
#   bash bench/crash.sh [messages] [kills]      # defaults: 10000 20
set -euo pipefail
cd "$(dirname "$0")/.."
export QUNZHU_CRASH_MESSAGES="${1:-10000}" QUNZHU_CRASH_KILLS="${2:-20}"
go test -count=1 -v -timeout 30m -run '^TestCrashKillsLoseNothing$' ./cmd/qunzhu/ |
  grep -E 'crash test:|kill [0-9]+ with|lost:|repeats|^(--- |ok|FAIL)'
