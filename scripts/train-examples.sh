#!/usr/bin/env bash
# The trained example models: `make trained-examples`. Quantization-aware training on the packaged
# data (scripts/setup-data.sh), then export with calibrated formats; the .qw headers record the data
# set, seed, epochs and the float / quantized-float / golden figures on the test split
# (docs/TRAINING.md). Deterministic: the same qrnn-hw gives byte-identical files.
# Usage: train-examples.sh QRNN_HW_BINARY OUT_DIR
set -euo pipefail
Q=$1; OUT=$2
mkdir -p "$OUT"
# GunPoint (UCR, 2 classes, 150 steps): a ternary GRU with 8 hidden units on the series averaged
# over windows of 5 steps (30 steps). 40 training sequences in batches of 8 are 5 Adam steps per
# epoch, and the loss sits on a plateau (about 0.68) for the first 20-40 epochs: it needs ~100
# epochs (an early stop with a small patience ends the run on the plateau, at chance accuracy).
"$Q" train --data ucr:GunPoint --stride 5 --cell gru --hidden 8 --quant ternary \
  --epochs 200 --patience 50 --lr 0.01 --batch 8 --seed 1 -o "$OUT/trained-gunpoint-gru-ternary.qw"
# Moving digits (next-frame prediction on a 10x10 canvas): a binary ConvLSTM with 4 channels.
"$Q" train --data digits-moving --cell convlstm --hidden 4 --kernel 3 --quant binary \
  --epochs 30 --patience 5 --lr 0.01 --batch 16 --seed 1 -o "$OUT/trained-moving-digits-convlstm-binary.qw"
for m in "$OUT"/trained-*.qw; do "$Q" -q convert "$m" "$m.toml"; done
echo "trained examples written to $OUT"
