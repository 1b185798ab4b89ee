#!/usr/bin/env bash
# Build the `qrnn` Python wheel (crates/python, PyO3 + maturin) and run the Python test suite
# (python/tests, unittest + numpy only) against it: `make python`.
#
# Idempotent: a virtual environment in target/python-venv with pinned maturin and numpy (made
# once, remade when the pins change); the wheel goes to target/wheels and is installed into that
# environment, replacing the previous one. The tests compare Python's results with the `qrnn-hw`
# binary ($QRNN_HW, default target/release/qrnn-hw, built here when missing); with
# QRNN_REQUIRE_TOOLS=1 (CI) a missing binary fails the tests instead of skipping them.
#
# Environment: PYTHON (the interpreter that makes the venv, default python3), PROFILE (release or
# dev), CARGO_TARGET_DIR
# (respected by cargo and maturin), QRNN_HW.
set -euo pipefail
cd "$(dirname "$0")/.."

MATURIN_VERSION=1.16.0
NUMPY_VERSION=2.4.6
PY=${PYTHON:-python3}
TARGET=${CARGO_TARGET_DIR:-target}
VENV=target/python-venv
STAMP="$VENV/.qrnn-pins"
PINS="maturin==$MATURIN_VERSION numpy==$NUMPY_VERSION"

t0=$(date +%s)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$PINS" ]; then
  echo "== python: virtual environment $VENV ($PINS) =="
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" || {
    echo "python: FATAL: '$PY -m venv' failed: install the venv module (Debian: apt-get install python3-venv) or set PYTHON" >&2
    exit 1
  }
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
  echo "$PINS" > "$STAMP"
fi

export QRNN_HW=${QRNN_HW:-$TARGET/release/qrnn-hw}
if [ ! -x "$QRNN_HW" ] && [ "$QRNN_HW" = "$TARGET/release/qrnn-hw" ]; then
  echo "== python: building qrnn-hw (the tests compare against it) =="
  cargo build --release --locked -p qrnn-hw
fi

echo "== python: building the wheel =="
t1=$(date +%s)
rm -f target/wheels/qrnn-*.whl
# linux tag, no auditwheel repair: the module links nothing but libc (abi3, no libpython)
# PROFILE=dev (what `make test` uses) builds on the debug artifacts `cargo test` left, instead of a
# second release build of the whole tree; `make python` builds the release wheel
case "${PROFILE:-release}" in
  release) profile=(--release) ;;
  dev) profile=() ;;
  *) echo "python: PROFILE must be release or dev, not '$PROFILE'" >&2; exit 2 ;;
esac
"$VENV/bin/maturin" build "${profile[@]}" --locked --quiet -m crates/python/Cargo.toml \
  -i "$VENV/bin/python" --compatibility linux --auditwheel skip -o target/wheels
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
  target/wheels/qrnn-*.whl
t2=$(date +%s)
echo "python: wheel $(basename target/wheels/qrnn-*.whl) (${PROFILE:-release}) built and installed in $((t2 - t1)) s"

echo "== python: tests =="
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
# from a directory outside the source tree, so `import qrnn` finds the installed wheel
root=$PWD
cd "$(mktemp -d)"
QRNN_ROOT="$root" "$root/$VENV/bin/python" -m unittest discover -s "$root/python/tests" -t "$root/python/tests" -v
echo "python: done in $(($(date +%s) - t0)) s"
