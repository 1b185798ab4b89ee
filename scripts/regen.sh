#!/usr/bin/env bash
# Regenerate the committed reference RTL under tests/rtl/ (`make regen`), then review the diff.
# `cargo test -p qrnn-sim --test reference_rtl` fails when the generator's output for one of these
# designs changes; if the change is intended, run this and commit the new files with the change.
#
# Usage: regen.sh QRNN_HW_BINARY [ROOT]        (ROOT defaults to tests/rtl)
#   e.g. bash scripts/regen.sh target/release/qrnn-hw tests/rtl
#
# Each design directory holds: model.qw.toml (made by `qrnn-hw example`), options.txt (the
# `qrnn-hw gen` options, read by the test too), and the generated rtl/ (Verilog, ROM hex files),
# flash/ (the weight image, where weights are in SPRAM) and qrnn.json. The simulation vectors
# (sim/) are not committed. This script is the only source of the designs: to add one, add a
# `design` line; to remove one, delete its line and its directory.
set -euo pipefail
Q=$1
ROOT=${2:-tests/rtl}
[ -x "$Q" ] || { echo "regen.sh: $Q is not an executable qrnn-hw (build it: cargo build --release -p qrnn-hw)" >&2; exit 1; }
mkdir -p "$ROOT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# design NAME "GEN OPTIONS" EXAMPLE-ARGS...
design() {
  local name=$1 gen_opts=$2
  shift 2
  local dir=$ROOT/$name
  mkdir -p "$dir"
  printf '%s\n' "$gen_opts" > "$dir/options.txt"
  "$Q" -q example "$@" -o "$dir/model.qw.toml"
  # shellcheck disable=SC2086  # the options are words
  "$Q" -q gen "$dir/model.qw.toml" -o "$work/$name" $gen_opts
  rm -rf "$dir/rtl" "$dir/flash" "$dir/qrnn.json"
  cp -R "$work/$name/rtl" "$dir/rtl"
  # the weight image of a design with weights in SPRAM (docs/HARDWARE.md §4.3)
  if [ -d "$work/$name/flash" ]; then cp -R "$work/$name/flash" "$dir/flash"; fi
  cp "$work/$name/qrnn.json" "$dir/qrnn.json"
  echo "regenerated $dir"
}

# Binary weights, multi-bit activations, fully folded, block-RAM weights.
design lstm_binary_1x1 "--fold all=1x1 --weights rom --target ice40" \
  --cell lstm --quant binary --hidden 2 --input 2 --seed 1
# Two-layer ternary GRU with a dense head, hard-wired weights.
design gru_ternary_head "--fold all=2x2 --weights logic --target ice40" \
  --cell gru --quant ternary --hidden 3,2 --input 2 --head 2 --seed 2
# Quaternary weights with 1-bit activations, one row of three columns per cycle.
design lstm_quaternary_1bit "--fold all=1x3 --weights auto --target ice40" \
  --cell lstm --quant quaternary --binary-act --hidden 2 --input 3 --seed 3
# Pure XNOR/popcount (binary weights and activations).
design gru_xnor_2x1 "--fold all=2x1 --weights rom --target ice40" \
  --cell gru --quant binary --binary-act --hidden 2 --input 2 --seed 5
# The int8 multiplier baseline.
design lstm_int8_2x2 "--fold all=2x2 --weights rom --target ice40" \
  --cell lstm --quant int8 --hidden 2 --input 2 --seed 4
# A ConvLSTM layer (3x3 kernel on a 4x4 map) with a 1x1 dense head, every engine at 2x4.
design convlstm_ternary_head "--fold all=2x4 --weights rom --target ice40" \
  --cell convlstm --quant ternary --map 4x4 --kernel 3 --hidden 2 --input 2 --head 2 --seed 6
# A dense head beside the next timestep's layers (docs/HARDWARE.md §4.2): its S differs from the
# layer's, and the LSTM's c has two halves.
design lstm_ternary_head_beside "--fold layer0=2x4 --fold head=1x8 --weights auto --target ice40" \
  --cell lstm --quant ternary --hidden 8 --input 4 --head 2 --seed 8
# Constant matrices (docs/HARDWARE.md §4.7): every tensor fully parallel with hard-wired weights,
# compiled to shared adder graphs.
design lstm_ternary_const "--fold all=16x4 --weights logic --target ice40" \
  --cell lstm --quant ternary --hidden 4 --input 3 --head 2 --seed 9
# Weights in SPRAM (iCE40UP5K) with the weight loader; the head hard-wired and fully parallel
# (an adder graph, docs/HARDWARE.md §4.7).
design lstm_ternary_spram "--fold all=2x4 --place l0_u=spram --place l0_w=spram --target ice40" \
  --cell lstm --quant ternary --hidden 4 --input 3 --head 2 --seed 7
