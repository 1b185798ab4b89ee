#!/usr/bin/env bash
# make bench [QUICK=1]: software and hardware benchmarks → bench/results/*.json → docs/BENCHMARKS.md
# and docs/bench/*.svg (docs/BENCHMARKS.md says what each figure is). Everything runs under
# `nice -n 19`. Per-design hardware results are cached in bench/results/designs/<hash>.json (hash of
# model, generator options, device and tool versions): a rerun only builds what changed.
#   QUICK=1        the small subset: LSTM and GRU 4→16, four schemes, iCE40 only; no criterion run
#   CRITERION=1    also run the criterion benches (cargo bench) into bench/results/criterion.txt
#   FAMILIES=…     families of the full hardware set (default ice40,ecp5,gowin)
#   JOBS=N         hardware designs built at a time (default: the CPU count)
#   SWEEP=1        also the schemes-against-int8 sweep (qrnn-bench sweep: 90 syntheses, hours;
#                  cached per point in bench/results/designs/sweep-*.json)
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
QUICK=${QUICK:-}
FAMILIES=${FAMILIES:-ice40,ecp5,gowin}
OUT=bench/results
WORK=build/bench
mkdir -p "$OUT" "$WORK"

echo "== build (release): qrnn-hw, qrnn-bench"
nice -n 19 "$CARGO" build --release --locked -p qrnn-hw -p qrnn-bench
QRNN=$PWD/target/release/qrnn-hw
BENCH=$PWD/target/release/qrnn-bench
[ -n "${CARGO_TARGET_DIR:-}" ] && { QRNN=$CARGO_TARGET_DIR/release/qrnn-hw; BENCH=$CARGO_TARGET_DIR/release/qrnn-bench; }

q=(); [ -n "$QUICK" ] && q=(--quick)

echo "== software"
nice -n 19 "$BENCH" sw --qrnn "$QRNN" --work "$WORK/sw" --out "$OUT" "${q[@]}"

echo "== hardware reference set${QUICK:+ (quick subset)}"
nice -n 19 "$BENCH" hw --qrnn "$QRNN" --work "$WORK/hw" --out "$OUT" --families "$FAMILIES" ${JOBS:+--jobs "$JOBS"} "${q[@]}"

echo "== peer: da4ml 0.6.0 (PyPI, pinned in bench/da4ml/requirements.txt) in bench/da4ml/.venv"
if DA4ML_PY=$(bash bench/da4ml/venv.sh 2>"$WORK/da4ml-pip.log"); then
  nice -n 19 "$DA4ML_PY" bench/da4ml/compare.py "$QRNN" "$PWD/$WORK/da4ml" "$OUT/da4ml.json"
else
  # record exactly why it cannot run
  python3 - "$OUT/da4ml.json" "$WORK/da4ml-pip.log" <<'PY'
import json, sys, pathlib
err = "".join(pathlib.Path(p).read_text()[-1500:] for p in sys.argv[2:] if pathlib.Path(p).exists())
pathlib.Path(sys.argv[1]).write_text(json.dumps({"error": err, "matrices": [], "gates": {}}, indent=2) + "\n")
PY
fi

if [ -n "${SWEEP:-}" ]; then
  echo "== multiplier-free schemes against int8 at 1x8, 4x16, 16x16, DSPs on and off (synthesis)"
  nice -n 19 "$BENCH" sweep --qrnn "$QRNN" --work "$WORK/sweep" --out "$OUT" --families "$FAMILIES" ${JOBS:+--jobs "$JOBS"}
fi

echo "== constant-matrix compiler on bench/da4ml/matrices (beside bench/da4ml/results.json)"
"$BENCH" cmvm --matrices bench/da4ml/matrices --da4ml bench/da4ml/results.json --out "$OUT"

if [ -n "${CRITERION:-}" ]; then
  echo "== criterion benches"
  nice -n 19 "$CARGO" bench -p qrnn-model -p qrnn-golden -p qrnn-rtl --bench qw_read --bench golden --bench gen 2>&1 | grep -vE '^(Benchmarking|Gnuplot)' \
    | tee "$OUT/criterion.txt"
fi

echo "== engine utilisation and timesteps/s per fold (bench/results/utilisation.md)"
nice -n 19 bash scripts/measure-utilisation.sh "$QRNN"

echo "== docs/BENCHMARKS.md and docs/bench/*.svg"
"$BENCH" docs --results "$OUT" --docs docs
