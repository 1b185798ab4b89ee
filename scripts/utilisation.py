#!/usr/bin/env python3
"""Engine utilisation of a generated project (issue #15): the useful cycles Σ⌈MACs/(P·S)⌉ over its
engines, its cycles per timestep (qrnn.json), their ratio in %, and the share of the cycles in which
the first layer's W lanes and its U lanes are busy, in % (a layer has two sets of P·S lanes, which
run side by side: docs/HARDWARE.md §4.2, §4.6). Prints the five, space-separated. The one place the
measurement scripts (measure-timing.sh, measure-utilisation.sh) take the formula from.

A ConvLSTM layer's MACs are PIX·4Ch·(Cin + Ch)·k·k: qrnn.json gives its W columns Cin·k·k
(`input`) and Ch (`hidden`); PIX is OUT_LEN over the channels per pixel of the output and Cin
IN_LEN over PIX.

Usage: python3 scripts/utilisation.py PROJECT/qrnn.json"""
import json
import math
import sys

m = json.load(open(sys.argv[1]))
useful = 0
busy = []
for i, l in enumerate(m["layers"]):
    f = l["fold"]
    lanes = f["p"] * f["s"]
    if l["cell"] == "convlstm":
        per_pixel_out = m["head"]["outputs"] if m.get("head") else m["layers"][-1]["hidden"]
        pix = m["out_len"] // per_pixel_out
        cin = m["in_len"] // pix
        kk = l["input"] // cin
        rows = 4 * l["hidden"]
        mw = pix * rows * l["input"]
        mu = pix * rows * l["hidden"] * kk
    else:
        rows = {"lstm": 4, "gru": 3}[l["cell"]] * l["hidden"]
        mw = rows * l["input"]
        mu = rows * l["hidden"]
    useful += math.ceil((mw + mu) / lanes)
    if i == 0:
        busy = [math.ceil(mw / lanes), math.ceil(mu / lanes)]
if m.get("head"):
    h = m["head"]
    f = h["fold"]
    last = m["layers"][-1]
    if last["cell"] == "convlstm":
        pix = m["out_len"] // h["outputs"]
        useful += math.ceil(pix * h["outputs"] * last["hidden"] / (f["p"] * f["s"]))
    else:
        useful += math.ceil(h["outputs"] * last["hidden"] / (f["p"] * f["s"]))
c = m["cycles_per_step"]
print(
    useful,
    c,
    f"{100 * useful / c:.1f}",
    f"{100 * busy[0] / c:.1f}",
    f"{100 * busy[1] / c:.1f}",
)
