#!/usr/bin/env python3
"""Engine utilisation of a generated project (issue #15): the useful cycles Σ⌈MACs/(P·S)⌉ over its
dense engines, its cycles per timestep (qrnn.json), and their ratio in %. Prints the three,
space-separated, or `convlstm` for a ConvLSTM model (not counted). The one place the measurement
scripts (measure-timing.sh, measure-utilisation.sh) take the formula from.

Usage: python3 scripts/utilisation.py PROJECT/qrnn.json"""
import json
import math
import sys

m = json.load(open(sys.argv[1]))
useful = 0
for l in m["layers"]:
    if l["cell"] == "convlstm":
        print("convlstm")
        sys.exit(0)
    f = l["fold"]
    gates = {"lstm": 4, "gru": 3}[l["cell"]]
    useful += math.ceil(gates * l["hidden"] * (l["input"] + l["hidden"]) / (f["p"] * f["s"]))
if m.get("head"):
    h = m["head"]
    f = h["fold"]
    useful += math.ceil(h["outputs"] * m["layers"][-1]["hidden"] / (f["p"] * f["s"]))
c = m["cycles_per_step"]
print(useful, c, f"{100 * useful / c:.1f}")
