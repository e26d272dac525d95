#!/usr/bin/env bash
# Behaviour check for refactors: run the code at BASE_REV and the working tree on the same inputs
# and compare. Inputs: the sample notes, the bad-input fixtures (tests/fixtures), the poison-pill
# corpus (benchmarks/poison_pills.py, small sizes) and every committed gold set
# (benchmarks/data/*.jsonl, plus ../shared/data/synthea-notes-gold.jsonl when present).
# Compared: notes, facts and quarantine rows of `chartsift run --engine fake` (run ids and times
# aside, scripts/compare_outputs.py), `chartsift deid` output on each gold set (byte-equal), and
# `chartsift eval-deid` figures on each gold set (identical). Prints counts and file names only.
#
#   scripts/before_after.sh BASE_REV [WORKDIR]     # exit 0: same behaviour; 1: a difference
set -euo pipefail
base=${1:?usage: scripts/before_after.sh BASE_REV [WORKDIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${2:-$(mktemp -d)}
py=${PY:-"$root/.venv/bin/python"}
export PREFECT_HOME="$work/prefect" TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS= HF_HUB_OFFLINE=1
export CHARTSIFT_DEID__SECRET="before-after-check-$(date +%s)-not-a-site-key"
mkdir -p "$work/before-tree" "$work/inputs" "$PREFECT_HOME"
git -C "$root" archive "$base" | tar -x -C "$work/before-tree"
cp -r "$root/tests/fixtures" "$work/inputs/fixtures"
PYTHONPATH="$root" "$py" -c "
from pathlib import Path
from benchmarks.poison_pills import build_corpus
build_corpus(Path('$work/inputs/pills'), bomb_bytes=64 << 20, huge_bytes=2 << 20)"
golds=("$root"/benchmarks/data/*.jsonl)
[ -f "$root/../shared/data/synthea-notes-gold.jsonl" ] && golds+=("$root/../shared/data/synthea-notes-gold.jsonl")

run_side() {  # side tree
  local side=$1 tree=$2
  mkdir -p "$work/$side"
  for input in "$root/samples/notes" "$work/inputs/fixtures" "$work/inputs/pills"; do
    name=$(basename "$input")
    (cd "$tree" && PYTHONPATH="$tree" "$py" -m flows.cli run --source "$input" --output "$work/$side/$name" \
      --engine fake >"$work/$side/$name.log" 2>&1) || echo "$side: run on $name exited $?"
  done
  for gold in "${golds[@]}"; do
    name=$(basename "$gold" .jsonl)
    (cd "$tree" && PYTHONPATH="$tree" "$py" -m flows.cli deid --input "$gold" --output "$work/$side/deid-$name.jsonl" \
      >/dev/null 2>&1) || echo "$side: deid on $name exited $?"
    (cd "$tree" && PYTHONPATH="$tree" "$py" -m flows.cli eval-deid --gold "$gold" >"$work/$side/eval-$name.txt" 2>/dev/null) \
      || echo "$side: eval-deid on $name exited $?"
  done
}
run_side before "$work/before-tree"
run_side after "$root"

status=0
pairs=()
for name in notes fixtures pills; do pairs+=("$work/before/$name" "$work/after/$name"); done
"$py" "$root/scripts/compare_outputs.py" "${pairs[@]}" || status=1
for gold in "${golds[@]}"; do
  name=$(basename "$gold" .jsonl)
  for f in "deid-$name.jsonl" "eval-$name.txt"; do
    if cmp -s "$work/before/$f" "$work/after/$f"; then echo "same    $f"; else echo "DIFFER  $f"; status=1; fi
  done
done
echo "workdir: $work"
exit $status
