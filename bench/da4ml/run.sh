#!/usr/bin/env bash
# da4ml 0.6.0 baseline: bash bench/da4ml/run.sh [run.py options, e.g. --no-pnr, --only tern_64x16]
# Makes bench/da4ml/.venv (python3 -m venv) and installs requirements.txt into it once (again
# only when requirements.txt changes), checks the matrices against their generator, then runs
# run.py, which writes bench/da4ml/results.json and results.md. Needs yosys, iverilog (and
# nextpnr-ice40 unless --no-pnr) on PATH.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${DA4ML_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
for tool in yosys iverilog vvp; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install yosys iverilog)" >&2; exit 2; }
done
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! "$VENV/bin/python" -c 'import da4ml' 2>/dev/null; then
  echo "== venv: $VENV (pip install -r requirements.txt)"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
  echo "$want" > "$stamp"
fi
# the JSON files are the source of truth; write them only where missing, and check them
if ! ls "$HERE"/matrices/*.json >/dev/null 2>&1; then
  "$VENV/bin/python" "$HERE/matrices.py"
fi
"$VENV/bin/python" "$HERE/matrices.py" --check
export DA4ML_BENCH_CMD="bash bench/da4ml/run.sh${*:+ $*}"
exec "$VENV/bin/python" "$HERE/run.py" "$@"
