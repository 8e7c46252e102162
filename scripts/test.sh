#!/usr/bin/env bash
# Runs every test of the module: bash scripts/test.sh [go test flags].
# Packages whose tests drive the real openwechat library run without -race
# (openwechat has data races of its own, e.g. Bot.Exit against Block/Alive);
# every other package runs with -race. The split is computed, not listed, from
# each test binary's dependencies.
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

status=0
echo "== go test -race: ${#race[@]} packages"
go test -race -count=1 "$@" "${race[@]}" || status=$?
if ((${#norace[@]})); then
  echo "== go test without -race (they drive openwechat): ${norace[*]}"
  go test -count=1 "$@" "${norace[@]}" || status=$?
fi
exit $status
