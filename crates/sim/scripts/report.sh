#!/bin/sh
# Print the failing simulation's verdict and the golden trace around the first mismatch.
# Usage: sh sim/report.sh LOGFILE   (called by `make sim` when no PASS line was printed)
log=$1
grep -E '^(FAIL|PASS)' "$log" | head -5
step=$(sed -n 's/^TRACE-STEP \([0-9]*\).*/\1/p' "$log" | head -1)
if [ -n "$step" ] && [ -f sim/golden_trace.txt ]; then
  lo=$((step > 0 ? step - 1 : 0)); hi=$((step + 1))
  echo "---- golden trace, steps $lo..$hi (sim/golden_trace.txt) ----"
  awk -v lo="$lo" -v hi="$hi" 'BEGIN{s=-1} /^== step /{s=$3+0} s>=lo && s<=hi' sim/golden_trace.txt
fi
if ! grep -qE '^(FAIL|PASS)' "$log"; then
  echo "FAIL: the simulation ended without a verdict; see $log"
fi
exit 1
