#!/usr/bin/env bash
# Regenerate the bundled example models and data: `make examples`. Deterministic: the same
# qrnn-hw gives byte-identical files (checked by `make check-examples`, part of `make test`).
# Usage: make-examples.sh QRNN_HW_BINARY OUT_DIR
set -euo pipefail
Q=$1; OUT=$2
mkdir -p "$OUT"
# The README demo: a ternary LSTM with a 3-class head.
"$Q" -q example --cell lstm --quant ternary --hidden 16 --input 4 --head 3 --seed 7 \
  -o "$OUT/demo-lstm-ternary.qw" --sequence-out "$OUT/demo-seq.json" --steps 8
# The same model as its text twin.
"$Q" -q convert "$OUT/demo-lstm-ternary.qw" "$OUT/demo-lstm-ternary.qw.toml"
# A small GRU with quaternary weights and a tiny ConvLSTM, as text twins to read by eye.
"$Q" -q example --cell gru --quant quaternary --hidden 4 --input 2 --seed 3 -o "$OUT/tiny-gru-quaternary.qw.toml"
"$Q" -q example --cell convlstm --quant binary --hidden 2 --input 1 --map 5x7 --kernel 3 --seed 5 -o "$OUT/tiny-convlstm-binary.qw.toml"
# A 1-bit-activation LSTM (pure XNOR/popcount).
"$Q" -q example --cell lstm --quant binary --binary-act --hidden 8 --input 8 --seed 11 -o "$OUT/xnor-lstm.qw"
# A small labelled data set for `make demo`'s eval (labels from the float reference's own argmax
# would be circular, so they are the argmax of a fixed rule: which third of the input sum range).
python3 - "$OUT/demo-data.json" <<'PY'
import json, sys
# SplitMix64, as in qrnn_model::example::Rng, so that the data set is reproducible everywhere.
state = 2024
def nxt():
    global state
    state = (state + 0x9E3779B97F4A7C15) & (2**64 - 1)
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    return z ^ (z >> 31)
def unit():
    return (nxt() >> 11) / float(1 << 53)
seqs, labels = [], []
for i in range(24):
    seq = [[round(unit() * 2 - 1, 4) for _ in range(4)] for _ in range(8)]
    s = sum(sum(r) for r in seq)
    labels.append(0 if s < -2 else (1 if s < 2 else 2))
    seqs.append(seq)
json.dump({"sequences": seqs, "labels": labels}, open(sys.argv[1], "w"), indent=None)
PY
echo "examples written to $OUT"
