#!/usr/bin/env bash
# Makes bench/da4ml/.venv (or $DA4ML_VENV) with requirements.txt (da4ml 0.6.0 and its pinned
# dependencies) installed, once, and again only when requirements.txt changes; prints the
# environment's python. Used by run.sh and by `make bench` (scripts/bench.sh, compare.py).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${DA4ML_VENV:-$HERE/.venv}"
PY="${PYTHON:-python3}"
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! "$VENV/bin/python" -c 'import da4ml' 2>/dev/null; then
  echo "== venv: $VENV (pip install -r requirements.txt)" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" >&2
  echo "$want" > "$stamp"
fi
echo "$VENV/bin/python"
