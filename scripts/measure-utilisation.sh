#!/usr/bin/env bash
# Engine utilisation and timesteps per second of issue #15's gate designs at each fold, from the
# generator's exact cycle counts (no synthesis: `gen` only, a few seconds), written to
# bench/results/utilisation.md. Utilisation = Σ⌈MACs/(P·S)⌉ over the engines / cycles per timestep
# (the share of cycles in which the matrix-vector engines do useful work); the rate is at the clock
# the timing model expects on the UP5K and the ECP5-25K (qrnn.json → fmax_estimate_mhz; placed
# figures: bench/results/timing.md).
#
# Usage: bash scripts/measure-utilisation.sh [QRNN_HW_BINARY]
set -euo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
[ -x "$Q" ] || { echo "measure-utilisation.sh: $Q is not an executable qrnn-hw" >&2; exit 1; }
ROOT=$(pwd)
OUT=$ROOT/bench/results/utilisation.md
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

row() { # NAME MODEL FOLD DEVICE TARGET [GEN ARGS...]
  local name=$1 model=$2 fold=$3 dev=$4 tgt=$5
  shift 5
  local args=(--target "$tgt" --device "$dev" --allow-overfit -o p -q --force)
  [ "$fold" = default ] || args+=(--fold "all=$fold")
  "$Q" gen "$model" "${args[@]}" "$@"
  local u
  u=$(python3 "$ROOT/scripts/utilisation.py" p/qrnn.json)
  set -- $u
  echo "| $name | $fold | $dev | $2 | $(json p/qrnn.json "d['latency']") | $(json p/qrnn.json "','.join(str(l['update_units']) for l in d['layers'])") | $1 | $3 % | $4 % | $5 % | $(json p/qrnn.json "f\"{d['timesteps_per_second_estimate']:,.0f} at {d['fmax_estimate_mhz']:.0f} MHz\"") |"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$Q" -q example --cell lstm --input 16 --hidden 64 --seed 3 -o lstm64.qw
"$Q" -q example --cell gru --input 16 --hidden 64 --seed 3 -o gru64.qw
"$Q" -q example --cell convlstm --seed 3 -o conv.qw
"$Q" -q example --cell convlstm --input 2 --hidden 4 --map 6x6 --seed 3 -o conv24.qw
"$Q" -q example --cell convlstm --input 16 --hidden 64 --seed 3 -o conv64.qw
{
echo "# Engine utilisation per fold (issue #15)"
echo
echo "Written by \`bash scripts/measure-utilisation.sh\` with $("$Q" --version) on $(date -u +%Y-%m-%d)."
echo "Cycles are the generator's exact counts (co-simulation asserts them): cycles/step is the"
echo "initiation interval of a stream of timesteps, latency a timestep's first input to its last"
echo "output (docs/HARDWARE.md §3, §5). The useful cycles are Σ⌈MACs/(P·S)⌉, the utilisation their"
echo "share of cycles/step; the rate is at the clock estimate of the timing model, not a placed result."
echo "Every design has the default pipeline levels. The input and output overlap the compute, each"
echo "layer's update trails its matrix-vector groups, a layer's W lanes issue the next row group's"
echo "W·x chunks beside its U lanes' U·h chunks (side by side), and a head runs beside the next"
echo "timestep's layers (docs/HARDWARE.md §4.2). The utilisation is issue #15's figure, which counts"
echo "a layer as one engine of P·S lanes; a layer has two (W and U), so side by side it can pass"
echo "100 %: the columns \"W lanes\" and \"U lanes\" give the share of cycles in which each lane set of"
echo "the first layer is busy. What remains at wide folds is the pipeline's fill and drain per"
echo "timestep (Lmv + 3 + 2·Lupd + D cycles per layer), which the next timestep cannot overlap because"
echo "its U·h needs all of h_{t−1}, and padding. Where a fold's row groups complete more units than"
echo "one update per cycle keeps up with, the update issues 2 or 4 units per cycle (the column"
echo "\"update units\", per layer; docs/HARDWARE.md §4.2), which shortens that drain's wait D. The"
echo "demo's default folds are layer0 2×4 and head 1×8 (docs/HARDWARE.md §5). ConvLSTM layers work on"
echo "one timestep at a time, each pixel's W and U chunks side by side (§9): their MACs are PIX·4Ch·(Cin + Ch)·k·k."
echo
echo "| model | fold | device | cycles/step | latency | update units | useful cycles | utilisation | W lanes | U lanes | timesteps/s (estimate) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for f in 1x8 2x8 4x16 8x16 16x16; do row "LSTM 16→64 ternary" lstm64.qw $f up5k ice40; done
for f in 1x8 2x8 4x16 8x16 16x16; do row "GRU 16→64 ternary" gru64.qw $f up5k ice40; done
for f in 4x16 8x16; do row "LSTM 16→64 ternary" lstm64.qw $f 25k ecp5; done
row "demo LSTM 4→16, head 3" "$OLDPWD/examples/demo-lstm-ternary.qw" 1x8 up5k ice40
row "demo LSTM 4→16, head 3" "$OLDPWD/examples/demo-lstm-ternary.qw" default up5k ice40
row "ConvLSTM 4→16 8×8 k3 (the example's defaults)" conv.qw 1x8 up5k ice40
row "ConvLSTM 2→4 6×6 k3 (the bench's)" conv24.qw 1x8 up5k ice40
row "ConvLSTM 2→4 6×6 k3 (the bench's)" conv24.qw 1x9 up5k ice40
row "ConvLSTM 2→4 6×6 k3 (the bench's)" conv24.qw 1x6 up5k ice40
row "ConvLSTM 16→64 8×8 k3" conv64.qw 1x8 up5k ice40
} > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "wrote $OUT" >&2
