#!/usr/bin/env bash
# Runs every test of the module: bash scripts/test.sh [go test flags].
# Packages whose tests drive the real openwechat library run without -race
# (openwechat has data races of its own, e.g. Bot.Exit against Block/Alive);
# every other package runs with -race. The split is computed, not listed, from
# each test binary's dependencies.
#
# Both runs report through go test -json to scripts/testsummary, which shows
# each package's result and every failure's output, lists the skipped tests
# with their reasons, and ends with one line over all packages:
#   N passed, N failed, N skipped
# With QUNZHU_REQUIRE_SERVICES=1 (CI) a skipped test counts as failed. The
# exit status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A drives=()
while read -r bin deps; do
  if [[ " $deps " == *" github.com/eatmoreapple/openwechat "* ]]; then
    drives["${bin%.test}"]=1
  fi
done < <(go list -test -f '{{if eq .Name "main"}}{{if .ForTest}}{{else}}{{.ImportPath}} {{join .Deps " "}}{{end}}{{end}}' ./... | awk '$1 ~ /\.test$/')

race=() norace=()
for pkg in $(go list ./...); do
  if [[ -n "${drives[$pkg]:-}" ]]; then norace+=("$pkg"); else race+=("$pkg"); fi
done

summary=$(mktemp -d)
trap 'rm -rf "$summary"' EXIT
go build -o "$summary/testsummary" ./scripts/testsummary

status=0
{
  echo "== go test -race: ${#race[@]} packages"
  go test -json -race -count=1 "$@" "${race[@]}" || echo $? >"$summary/race.rc"
  if ((${#norace[@]})); then
    echo "== go test without -race (they drive openwechat): ${norace[*]}"
    go test -json -count=1 "$@" "${norace[@]}" || echo $? >"$summary/norace.rc"
  fi
} | "$summary/testsummary" || status=$?
# go test's own failure (e.g. a flag it rejects) with no test failing.
for rc in "$summary"/*.rc; do
  [[ -e "$rc" ]] && ((status == 0)) && status=$(cat "$rc")
done
exit $status
