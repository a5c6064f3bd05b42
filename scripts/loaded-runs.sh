#!/usr/bin/env bash
# The suite's determinism check (issue 7): a clean clone of REV in a fresh
# 0700 directory, `.ci/run` once, then `npm test` N times in a row with a
# CPU hog on every core alongside. One line per run goes to OUT/summary;
# each run's output to OUT/runK.log.
#
#   bash scripts/loaded-runs.sh [REV] [N] [OUT]     (defaults: HEAD, 20, a new temporary directory)
set -u
repo=$(git rev-parse --show-toplevel)
rev=$(git -C "$repo" rev-parse "${1:-HEAD}")
n=${2:-20}
out=${3:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)   # mode 0700: the suite must not depend on where the checkout lives
git clone -q "$repo" "$work/spillway" && cd "$work/spillway" && git checkout -q "$rev" || exit 1
echo "clone $work/spillway at $(git rev-parse --short HEAD); output in $out" | tee -a "$out/summary"
start=$(date +%s); bash .ci/run > "$out/ci.log" 2>&1; rc=$?
echo "ci rc=$rc $(( $(date +%s) - start ))s $(grep -E '^# (pass|fail)' "$out/ci.log" | tr '\n' ' ')" | tee -a "$out/summary"
[ "$rc" -eq 0 ] || exit 1
hogs=()
for _ in $(seq 1 "$(nproc)"); do ( while :; do :; done ) & hogs+=($!); done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
failed=0
for i in $(seq 1 "$n"); do
  start=$(date +%s); npm test > "$out/run$i.log" 2>&1; rc=$?
  echo "run $i rc=$rc $(( $(date +%s) - start ))s $(grep -E '^# (pass|fail)' "$out/run$i.log" | tr '\n' ' ')" | tee -a "$out/summary"
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
done
echo "$n runs, $failed failed" | tee -a "$out/summary"
[ "$failed" -eq 0 ]
