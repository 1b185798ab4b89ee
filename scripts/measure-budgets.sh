#!/usr/bin/env bash
# Measure what the budget estimates of docs/CLI.md "Budgets" are checked against: the peak memory
# (GNU time's maximum resident set) and bytes written of the cases the estimates were calibrated
# on, beside the estimate `gen -v` prints. Prints a Markdown table for docs/CLI.md.
#
#   bash scripts/measure-budgets.sh [QRNN_BINARY]    (default: target/release/qrnn-hw)
set -euo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
[ -x "$Q" ] || { echo "measure-budgets: build the release binary first (cargo build --release -p qrnn-hw)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "measure-budgets: needs GNU time (apt-get install time)" >&2; exit 1; }
EX=$(realpath examples)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

peak() { # peak memory of a command, in MB (GNU time, KiB → MB)
  /usr/bin/time -f '%M' -o time.txt "$@" >/dev/null 2>err.txt || { cat err.txt >&2; exit 1; }
  awk '{printf "%.2f GB", $1 * 1024 / 1e9}' time.txt
}
estimate() { sed -nE 's/^budget: estimated (.*) of memory \(limit .*\), (.*) written .*/\1, \2/p' err.txt; }
written() { du -sb "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }

"$Q" example --hidden 256 --input 16 --head 4 -o h256.qw -q
"$Q" example --hidden 1024 --input 16 --head 4 -o h1024.qw -q
python3 - <<'PY'
import random
random.seed(1)
with open('big.json', 'w') as f:
    f.write('[' + ','.join('[%.6f,%.6f,%.6f,%.6f]' % tuple(random.uniform(-1, 1) for _ in range(4))
                           for _ in range(2500000)) + ']')
PY

echo "| work | measured peak, written | estimate (memory, written) |"
echo "|---|---|---|"
m=$(peak "$Q" gen h256.qw --fold all=512x256 -o o1 -v)
echo "| \`gen\` LSTM 16→256 + head, \`--fold all=512x256\` | $m, $(written o1) | $(estimate) |"
m=$(peak "$Q" gen h1024.qw --sim-steps 2000 -o o2 -v)
echo "| \`gen\` LSTM 16→1024 + head, default fold, \`--sim-steps 2000\` | $m, $(written o2) | $(estimate) |"
mb=$(du -b big.json | awk '{printf "%.0f", $1 / 1e6}')
# MEMORY_PER_INPUT_BYTE (crates/cli/src/budget.rs) bytes of memory per byte of input
est=$(du -b big.json | awk '{printf "%.1f GiB", $1 * 20 / 2^30}')
m=$(peak "$Q" run "$EX/demo-lstm-ternary.qw" -i big.json)
echo "| \`run\` a $mb MB JSON sequence (2.5 M timesteps) | $m | $est |"
m=$(peak "$Q" run "$EX/demo-lstm-ternary.qw" -i big.json --json)
echo "| \`run --json\`, the same file | $m | $est |"
m=$(peak "$Q" eval "$EX/demo-lstm-ternary.qw" --data big.json)
echo "| \`eval\`, the same file | $m | $est |"
