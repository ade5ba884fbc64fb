#!/usr/bin/env bash
# The main job for a time budget, then its held-out measures: per-epoch L1 and style score (from
# metrics.jsonl) and `gancc eval` on the final weights. For README's before/after of the main job;
# run it on a quiet machine (numbers on a shared one are noisy).
#
#   bench/main_job.sh [BUDGET_S=900] [extra `gancc train` flags]
#   bench/main_job.sh 900                          # configs/emoji-cpu.yaml as it is
#   bench/main_job.sh 900 --set load_size=36       # the earlier resize-36 + random-crop-32 jitter
#   OUT=runs/mj-a bench/main_job.sh 150            # a smoke run into a chosen directory
#
# The style classifier is trained (or found in the cache) by a 1-iteration warm-up run first, so
# its half minute is not charged to the budget. At the budget the run gets SIGINT: it finishes the
# iteration, checkpoints, writes its weights and evaluates where it stopped (exit 130, expected).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-900}
shift || true
out=${OUT:-runs/main_job-$(date +%Y%m%d-%H%M%S)}
gancc=(node --import tsx src/cli/main.ts) # the sources, so no stale dist/ is measured
cfg=configs/emoji-cpu.yaml

warm=$(mktemp -d)
"${gancc[@]}" train specs/cyclegan.gan --config "$cfg" --out "$warm/run" --max-iters 1 --samples 0 "$@" >/dev/null 2>"$warm/log" || { cat "$warm/log"; exit 1; }
rm -rf "$warm"

echo "main job: ${budget} s budget, $cfg $*, → $out (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s)
rc=0
timeout --signal=INT --kill-after=300 "$budget" "${gancc[@]}" train specs/cyclegan.gan --config "$cfg" --out "$out" "$@" || rc=$?
echo "training: exit $rc after $(( $(date +%s) - start )) s (130/124: stopped by the budget)"
[ -f "$out/metrics.jsonl" ] || exit 1

node bench/main_job_table.mjs "$out/metrics.jsonl"
echo
"${gancc[@]}" eval "$out" || echo "(gancc eval exit $?: 1 = the classifier is not clearly above chance)"
