#!/usr/bin/env bash
# da4ml 0.6.0 baseline: bash bench/da4ml/run.sh [run.py options, e.g. --no-pnr, --only tern_64x16]
# Makes bench/da4ml/.venv with requirements.txt installed (venv.sh: once, again only when
# requirements.txt changes), checks the matrices against their generator, then runs
# run.py, which writes bench/da4ml/results.json and results.md. Needs yosys, iverilog (and
# nextpnr-ice40 unless --no-pnr) on PATH.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in yosys iverilog vvp; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install yosys iverilog)" >&2; exit 2; }
done
PYBIN="$(bash "$HERE/venv.sh")"
# the JSON files are the source of truth; write them only where missing, and check them
if ! ls "$HERE"/matrices/*.json >/dev/null 2>&1; then
  "$PYBIN" "$HERE/matrices.py"
fi
"$PYBIN" "$HERE/matrices.py" --check
export DA4ML_BENCH_CMD="bash bench/da4ml/run.sh${*:+ $*}"
exec "$PYBIN" "$HERE/run.py" "$@"
