#!/usr/bin/env bash
# The suite's determinism check (issue 7): clean clones of REV in fresh 0700
# directories, `.ci/run` once in each, then `npm test` N times in all with a
# CPU hog on every core alongside. With LANES > 1 the runs are shared out
# among that many clones running at once, so each run sees its peers' load on
# top of the hogs': a harsher check than one lane, done in less time. One line
# per run goes to OUT/summary; each run's output to OUT/laneL-runK.log.
#
#   bash scripts/loaded-runs.sh [REV] [N] [OUT] [LANES]
#   (defaults: HEAD, 20, a new temporary directory, 1)
set -u
repo=$(git rev-parse --show-toplevel)
rev=$(git -C "$repo" rev-parse "${1:-HEAD}")
n=${2:-20}
out=${3:-$(mktemp -d)}
lanes=${4:-1}
mkdir -p "$out"

clone() { # lane: a clean clone in a fresh 0700 directory, so the suite cannot depend on where the checkout lives
  local work
  work=$(mktemp -d)
  git clone -q "$repo" "$work/spillway" && git -C "$work/spillway" checkout -q "$rev" || return 1
  echo "$work/spillway"
}

ci() { # lane dir
  local start rc
  start=$(date +%s)
  (cd "$2" && bash .ci/run) > "$out/lane$1-ci.log" 2>&1
  rc=$?
  echo "lane $1 ci rc=$rc $(( $(date +%s) - start ))s $(grep -E '^# (pass|fail)' "$out/lane$1-ci.log" | tr '\n' ' ')" | tee -a "$out/summary"
  return "$rc"
}

runs() { # lane dir count
  local i start rc log failed=0
  for i in $(seq 1 "$3"); do
    log="$out/lane$1-run$i.log"
    start=$(date +%s)
    (cd "$2" && npm test) > "$log" 2>&1
    rc=$?
    echo "lane $1 run $i rc=$rc $(( $(date +%s) - start ))s $(grep -E '^# (pass|fail)' "$log" | tr '\n' ' ')" | tee -a "$out/summary"
    [ "$rc" -eq 0 ] || failed=$((failed + 1))
  done
  return "$failed"
}

dirs=()
for lane in $(seq 1 "$lanes"); do
  dir=$(clone) || exit 1
  dirs+=("$dir")
  echo "lane $lane: clone $dir at $(git -C "$dir" rev-parse --short HEAD); output in $out" | tee -a "$out/summary"
done
pids=()
for lane in $(seq 1 "$lanes"); do ci "$lane" "${dirs[$((lane - 1))]}" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid" || exit 1; done

hogs=()
for _ in $(seq 1 "$(nproc)"); do ( while :; do :; done ) & hogs+=($!); done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
pids=()
for lane in $(seq 1 "$lanes"); do
  # Lane L takes runs L, L+LANES, ...: N in all.
  runs "$lane" "${dirs[$((lane - 1))]}" $(( (n - lane + lanes) / lanes )) & pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + $?)); done
echo "$n runs in $lanes lane(s), $failed failed" | tee -a "$out/summary"
[ "$failed" -eq 0 ]
