#!/usr/bin/env bash
# Build the demo model's board design for one board of each family at the board's default core
# clock (qrnn_fpga::pll::default_core_clock_mhz, made by the board's PLL) and write what nextpnr
# achieved to bench/results/boards.md (issue #15: "the board tops build with the PLL and meet
# timing"). Every figure in that file comes from this script.
#
# Usage: bash scripts/measure-boards.sh [QRNN_HW_BINARY]      (about 15 minutes on 2 cores)
#   BOARDS="icebreaker alchitry-cu tangnano9k ulx3s" (default)
set -uo pipefail
Q=$(realpath "${1:-target/release/qrnn-hw}")
[ -x "$Q" ] || { echo "measure-boards.sh: $Q is not an executable qrnn-hw" >&2; exit 1; }
BOARDS=${BOARDS:-icebreaker alchitry-cu tangnano9k ulx3s}
ROOT=$(pwd)
OUT=$ROOT/bench/results/boards.md
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
{
echo "# Board designs at their default core clock (issue #15)"
echo
echo "Written by \`bash scripts/measure-boards.sh\` on $(date -u +%Y-%m-%d) with $("$Q" --version)."
echo "Each row: \`qrnn-hw gen examples/demo-lstm-ternary.qw --board B -o DIR\`, then \`qrnn-hw build DIR"
echo "--allow-timing-fail\` (the board top, its PLL and the core; nextpnr at the core clock)."
echo
echo "| board | core clock (PLL) | nextpnr's Fmax | verdict | bitstream |"
echo "|---|---|---|---|---|"
for b in $BOARDS; do
  echo "[measure-boards] $b" >&2
  d=$W/$b
  "$Q" gen "$ROOT/examples/demo-lstm-ternary.qw" --board "$b" -o "$d" -q || { echo "| $b | gen failed | | | |"; continue; }
  "$Q" build "$d" --allow-timing-fail > "$W/$b.log" 2>&1
  line=$(grep -E '^core clock:' "$W/$b.log" | tail -1)
  # core clock: requested R MHz, PLL P MHz (PRIM); nextpnr's Fmax F MHz: timing met|NOT met
  pll=$(echo "$line" | sed -E 's/.*PLL ([0-9.]+ MHz) \(([A-Za-z0-9_]+)\).*/\1 (`\2`)/')
  fmax=$(echo "$line" | sed -E "s/.*nextpnr's Fmax ([0-9.]+ MHz).*/\1/")
  verdict=$(echo "$line" | grep -q 'timing met' && echo met || echo '**missed**')
  bits=$(ls -l "$d"/build/top.bin "$d"/build/top.bit "$d"/build/top.fs 2>/dev/null | awk '{print $5}' | head -1)
  echo "| $b | $pll | $fmax | $verdict | ${bits:-none} B |"
done
} > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "[measure-boards] wrote $OUT" >&2
