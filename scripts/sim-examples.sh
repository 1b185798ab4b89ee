#!/usr/bin/env bash
# `make sim` at the repository root: generate a hardware project for every bundled example model and
# co-simulate it against the golden model (Verilator by default; SIM=icarus for Icarus).
# Usage: sim-examples.sh QRNN_HW_BINARY [OUT_DIR]
set -euo pipefail
Q=$1; OUT=${2:-build/examples-hw}
SIM=${SIM:-verilator}
mkdir -p "$OUT"
pass=0; fail=0
for m in examples/*.qw examples/*.qw.toml; do
  [ -e "$m" ] || continue
  name=$(basename "$m"); name=${name%.toml}; name=${name%.qw}
  if [ -e "examples/$name.qw" ] && [ "$m" = "examples/$name.qw.toml" ]; then
    continue   # the text twin of a binary example: the same model
  fi
  dir="$OUT/$name"
  "$Q" -q gen "$m" -o "$dir" --force
  if line=$(make -s -C "$dir" sim SIM="$SIM" 2>&1 | tail -1) && [[ "$line" == PASS* ]]; then
    echo "ok    $name: $line"; pass=$((pass + 1))
  else
    echo "FAIL  $name:"; make -s -C "$dir" sim SIM="$SIM" 2>&1 | tail -20 || true; fail=$((fail + 1))
  fi
done
echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
