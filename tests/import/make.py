#!/usr/bin/env python3
"""Make the PyTorch-layout state dicts of tests/import/ and the outputs recorded beside them.

Run from the repository root (needs numpy and the `safetensors` pip package; PyTorch itself is
not needed and not used):

    python3 tests/import/make.py

For every state dict `<stem>.<ext>` it writes `<stem>.expected.json`:

- `input`: a fixed input sequence (values k/32, exact in binary and in JSON);
- `pytorch_float`: the network's outputs on it with the file's own weights (for a Larq file,
  α·(±1)), by PyTorch's equations in f64 — the cells of tests/reference/pytorch_equations.py,
  reused here, stacked, plus the nn.Linear head;
- `cases`: for each set of `qrnn-hw import` options (`args`), `quantized_float`: the outputs of
  the same equations with the weights and biases that import stores in the `.qw` — computed
  here with an independent Python copy of the formulas of docs/QUANTIZATION.md. The float
  reference of the imported `.qw` (qrnn_golden::float, NUMERICS.md §10) must equal them within
  1e-6 (crates/cli/tests/import.rs).

The files are deterministic: the same numpy version writes the same bytes (safetensors and
np.savez have no timestamps of their own; the zip entries carry numpy's fixed date).
"""

import contextlib
import hashlib
import io
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
with contextlib.redirect_stdout(io.StringIO()):  # it prints its own fixed vectors on import
    import pytorch_equations as pe  # noqa: E402

f32 = np.float32

# ------------------------------------------------------------------ PyTorch's equations


def rows_list(m):
    return [[float(v) for v in row] for row in np.asarray(m, dtype=np.float64)]


def cell_lstm(w_ih, w_hh, b_ih, b_hh, x, h, c):
    """One nn.LSTM step through pytorch_equations.lstm (which reads its weights from globals)."""
    pe.H = len(h)
    pe.lstm_w_ih, pe.lstm_w_hh = rows_list(w_ih), rows_list(w_hh)
    pe.lstm_b_ih, pe.lstm_b_hh = [float(v) for v in b_ih], [float(v) for v in b_hh]
    return pe.lstm(x, h, c)


def cell_gru(w_ih, w_hh, b_ih, b_hh, x, h):
    pe.H = len(h)
    pe.gru_w_ih, pe.gru_w_hh = rows_list(w_ih), rows_list(w_hh)
    pe.gru_b_ih, pe.gru_b_hh = [float(v) for v in b_ih], [float(v) for v in b_hh]
    return pe.gru(x, h)


def forward(cell, layers, head, seq):
    """layers: list of (w_ih, w_hh, b_ih, b_hh) as float64 arrays; head: (D, b) or None."""
    hs = [[0.0] * np.asarray(l[1]).shape[1] for l in layers]
    cs = [list(h) for h in hs]
    outs = []
    for x in seq:
        inp = [float(v) for v in x]
        for k, (w, u, bi, bh) in enumerate(layers):
            if cell == "lstm":
                hs[k], cs[k] = cell_lstm(w, u, bi, bh, inp, hs[k], cs[k])
            else:
                hs[k] = cell_gru(w, u, bi, bh, inp, hs[k])
            inp = hs[k]
        if head is not None:
            d, b = head
            inp = [sum(float(a) * v for a, v in zip(row, inp)) + float(bb)
                   for row, bb in zip(np.asarray(d, dtype=np.float64), b)]
        outs.append(list(inp))
    return outs


# ------------------------------------------------------------------ the quantizers (QUANTIZATION.md)

MAX_MULT = 65535
SHIFT_LO, SHIFT_HI = -16, 48
ZERO_SHIFT = 24


def round_half_up(x):
    fl = math.floor(x)
    return fl + 1.0 if x - fl >= 0.5 else float(fl)


def mean_abs(w):
    s = 0.0
    for v in w:
        s += abs(float(v))
    return s / len(w) if len(w) else 0.0


def max_abs(w):
    m = 0.0
    for v in w:
        m = max(m, abs(float(v)))
    return m


def codes_of(w, spec, rng):
    w = [float(v) for v in w]
    r = 1.0 if spec["reference"] == "unit" else max_abs(w)
    s = spec["scheme"]
    if s == "binary":
        if spec.get("stochastic") is not None:
            out = []
            for v in w:
                p = min(max((v + 1.0) / 2.0, 0.0), 1.0)
                out.append(1 if rng.unit() < p else -1)
            return out
        return [-1 if v < 0.0 else 1 for v in w]
    if s == "ternary":
        d = 0.7 * mean_abs(w) if spec["threshold"] == "twn" else spec["threshold"] * r
        return [0 if abs(v) <= d else (-1 if v < 0.0 else 1) for v in w]
    if s == "quaternary":
        t = 0.75 * r
        return [(-1 if v < 0.0 else 1) * (2 if abs(v) > t else 1) for v in w]
    raise ValueError(s)


def l2_scale(w, codes):
    num = den = 0.0
    for v, c in zip(w, codes):
        num += float(v) * c
        den += float(c) * c
    return 0.0 if den == 0.0 else max(num / den, 0.0)


def code_scale(w, codes, spec):
    if spec["alpha"] == "one":
        return 0.5 if spec["scheme"] == "quaternary" else 1.0
    return l2_scale(w, codes)


def floor_log2(x):
    j, p = 0, 1.0
    if x >= 1.0:
        while p * 2.0 <= x:
            p *= 2.0
            j += 1
    else:
        while p > x:
            p /= 2.0
            j -= 1
    return j


def pow2_shift(s):
    j = floor_log2(s)
    return -(j + 1) if s >= 1.5 * 2.0 ** j else -j


def encode_scale(s, pow2):
    smax = max(s)
    if smax == 0.0:
        return [1] * len(s), ZERO_SHIFT
    if pow2:
        ks = [pow2_shift(v) if v > 0.0 else None for v in s]
        kk = [k for k in ks if k is not None]
        kmin, kmax = min(kk), max(kk)
        assert kmin >= SHIFT_LO
        k = min(kmax, kmin + 15, SHIFT_HI)
        return [1 << (k - kr) if kr is not None and kr <= k else 1 for kr in ks], k
    assert round_half_up(smax * 2.0 ** SHIFT_LO) <= MAX_MULT
    k = SHIFT_HI
    while round_half_up(smax * 2.0 ** k) > MAX_MULT:
        k -= 1
    return [int(min(max(round_half_up(v * 2.0 ** k), 1.0), MAX_MULT)) for v in s], k


def alpha(mult, shift, r):
    m = mult[0] if len(mult) == 1 else mult[r]
    return m * 2.0 ** (-shift)


def real(codes, mult, shift, rows, cols):
    return np.array([[alpha(mult, shift, r) * codes[r * cols + j] for j in range(cols)]
                     for r in range(rows)], dtype=np.float64)


def quantize(w, spec, rng):
    """A float [rows, cols] tensor → real weights α_r·code as stored in the .qw."""
    rows, cols = w.shape
    flat = [float(v) for v in w.reshape(-1)]
    groups = [flat[r * cols:(r + 1) * cols] for r in range(rows)] if spec["per_row"] else [flat]
    codes, scales = [], []
    for g in groups:
        c = codes_of(g, spec, rng)
        scales.append(code_scale(g, c, spec))
        codes += c
    mult, shift = encode_scale(scales, spec["pow2"])
    return real(codes, mult, shift, rows, cols)


def quantize_int8(w, spec):
    rows, cols = w.shape
    flat = [float(v) for v in w.reshape(-1)]
    groups = [flat[r * cols:(r + 1) * cols] for r in range(rows)] if spec["per_row"] else [flat]
    mult, shift = encode_scale([max_abs(g) / 127.0 for g in groups], spec["pow2"])
    codes = []
    for r in range(rows):
        s = alpha(mult, shift, r)
        for v in flat[r * cols:(r + 1) * cols]:
            codes.append(0 if s <= 0 else int(min(max(round_half_up(v / s), -127.0), 127.0)))
    return real(codes, mult, shift, rows, cols)


def packed_real(codes, scale, spec, rows, cols):
    mult, shift = encode_scale([float(a) for a in scale], spec["pow2"])
    return real(list(codes.reshape(-1)), mult, shift, rows, cols)


def bias_values(b, spec, rng):
    if spec["bias"]:
        c = codes_of(b, spec, rng)
        mult, shift = encode_scale([code_scale(b, c, spec)], spec["pow2"])
        return [alpha(mult, shift, 0) * v for v in c]
    return [float(v) for v in b]


def auto_bias_frac(values):
    for f in range(12, -1, -1):
        if all(-32768 <= round_half_up(v * 2.0 ** f) <= 32767 for v in values):
            return f
    raise ValueError("bias too large")


def fixed(values, frac, width=16):
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return [min(max(round_half_up(v * 2.0 ** frac), lo), hi) * 2.0 ** (-frac) for v in values]


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & (2 ** 64 - 1)

    def next_u64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & (2 ** 64 - 1)
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2 ** 64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2 ** 64 - 1)
        return z ^ (z >> 31)

    def unit(self):
        return (self.next_u64() >> 11) / float(1 << 53)


def quantized_net(cell, layers, head, spec, packed=None):
    """Weights and biases exactly as `qrnn-hw import` stores them; packed: {name: (codes, scale)}."""
    packed = packed or {}
    rng = SplitMix64(spec.get("stochastic") or 0)
    out = []
    for k, (w, u, bi, bh, names) in enumerate(layers):
        qs = []
        for m, name in ((w, names[0]), (u, names[1])):
            if name in packed:
                c, sc = packed[name]
                qs.append(packed_real(c, sc, spec, *c.shape))
            else:
                qs.append(quantize(m, spec, rng))
        if cell == "gru":
            bx = bias_values(bi, spec, rng)
            bhv = bias_values(bh, spec, rng)
            f = auto_bias_frac(bx + bhv) if spec["bias_format"] is None else spec["bias_format"]
            out.append((qs[0], qs[1], fixed(bx, f), fixed(bhv, f)))
        else:
            b = bias_values((np.asarray(bi, dtype=f32) + np.asarray(bh, dtype=f32)), spec, rng)
            f = auto_bias_frac(b) if spec["bias_format"] is None else spec["bias_format"]
            out.append((qs[0], qs[1], fixed(b, f), [0.0] * len(b)))
    qhead = None
    if head is not None:
        d, b = head
        dq = quantize(d, spec, rng) if spec["head"] else quantize_int8(d, spec)
        bv = bias_values(b, spec, rng)
        f = auto_bias_frac(bv) if spec["bias_format"] is None else spec["bias_format"]
        qhead = (dq, fixed(bv, f))
    return out, qhead


# ------------------------------------------------------------------ cases

BASE = {"scheme": "ternary", "threshold": "twn", "reference": "max", "alpha": "l2",
        "per_row": False, "pow2": False, "bias": False, "head": False, "stochastic": None,
        "bias_format": None}


def case(**kw):
    spec = dict(BASE, **kw)
    args = ["--quant", spec["scheme"]]
    if spec["threshold"] != "twn":
        args += ["--threshold", repr(spec["threshold"])]
    if spec["reference"] != "max":
        args += ["--reference", spec["reference"]]
    if spec["alpha"] != "l2":
        args += ["--alpha", spec["alpha"]]
    for flag, key in (("--per-row", "per_row"), ("--pow2", "pow2"),
                      ("--quant-bias", "bias"), ("--quant-head", "head")):
        if spec[key]:
            args.append(flag)
    if spec["stochastic"] is not None:
        args += ["--stochastic", str(spec["stochastic"])]
    if spec["bias_format"] is not None:
        args += ["--bias-format", "fixed<16,%d>" % spec["bias_format"]]
    return spec, args


def sequence(rs, steps, n):
    return (rs.randint(-32, 33, size=(steps, n)) / 32.0).tolist()


def uniform(rs, shape, bound):
    return rs.uniform(-bound, bound, size=shape).astype(f32)


def record(stem, ext, cell, layers, head, seq, cases, packed=None, fl_layers=None):
    """Write <stem>.expected.json. `layers`: (w, u, b_ih, b_hh, (w_name, u_name))."""
    fl = fl_layers if fl_layers is not None else layers
    pt = forward(cell, [(w, u, bi, bh) for (w, u, bi, bh, _) in fl], head, seq)
    out_cases = []
    for spec, args in cases:
        ql, qh = quantized_net(cell, layers, head, spec, packed)
        out_cases.append({"args": args,
                          "quantized_float": forward(cell, ql, qh, seq)})
    with open(os.path.join(HERE, stem + "." + ext), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    doc = {"source": stem + "." + ext, "sha256": sha, "generator": "tests/import/make.py",
           "cell": cell, "input": seq, "pytorch_float": pt, "cases": out_cases}
    with open(os.path.join(HERE, stem + ".expected.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def lstm_h4():
    """nn.LSTM(3, 4) inside a module as `lstm`, with nn.Linear(4, 2) as `fc` (safetensors)."""
    rs = np.random.RandomState(1234)
    i, h, o = 3, 4, 2
    b = 1.0 / math.sqrt(h)
    w, u = uniform(rs, (4 * h, i), b), uniform(rs, (4 * h, h), b)
    w[0, 0] = 0.0  # sign(0) = +1
    bi, bh = uniform(rs, (4 * h,), b), uniform(rs, (4 * h,), b)
    d, db = uniform(rs, (o, h), b), uniform(rs, (o,), b)
    save_file({"lstm.weight_ih_l0": w, "lstm.weight_hh_l0": u, "lstm.bias_ih_l0": bi,
               "lstm.bias_hh_l0": bh, "fc.weight": d, "fc.bias": db},
              os.path.join(HERE, "lstm_h4.safetensors"))
    cases = [
        case(),
        case(scheme="binary", per_row=True, pow2=True),
        case(scheme="quaternary", pow2=True),
        case(scheme="ternary", threshold=0.3, per_row=True, bias=True, head=True),
        case(scheme="binary", stochastic=5, head=True),
        case(scheme="quaternary", reference="unit", alpha="one", bias_format=10),
    ]
    record("lstm_h4", "safetensors", "lstm",
           [(w, u, bi, bh, ("lstm.weight_ih_l0", "lstm.weight_hh_l0"))], (d, db),
           sequence(rs, 6, i), cases)


def gru_h3_2layers():
    """nn.GRU(2, 3, num_layers=2), saved bare with numpy.savez (no head)."""
    rs = np.random.RandomState(99)
    i, h = 2, 3
    b = 1.0 / math.sqrt(h)
    t = {}
    layers = []
    inp = i
    for k in range(2):
        w, u = uniform(rs, (3 * h, inp), b), uniform(rs, (3 * h, h), b)
        bi, bh = uniform(rs, (3 * h,), b), uniform(rs, (3 * h,), b)
        t.update({"weight_ih_l%d" % k: w, "weight_hh_l%d" % k: u,
                  "bias_ih_l%d" % k: bi, "bias_hh_l%d" % k: bh})
        layers.append((w, u, bi, bh, ("weight_ih_l%d" % k, "weight_hh_l%d" % k)))
        inp = h
    np.savez(os.path.join(HERE, "gru_h3_2layers.npz"), **t)
    cases = [
        case(),
        case(scheme="quaternary", per_row=True),
        case(scheme="binary", pow2=True, bias=True),
    ]
    record("gru_h3_2layers", "npz", "gru", layers, None, sequence(rs, 7, i), cases)


def lstm_larq_h5():
    """nn.LSTM(10, 5) with Larq bit-packed binary weights (bit 1 = −1), float head `fc`:
    weight_ih_l0.packed uint8 [20, 2] + .shape + .scale [1]; weight_hh_l0.packed int32 [20, 1]
    (32 weights a little-endian word) + .shape + .scale [20]."""
    rs = np.random.RandomState(7)
    i, h, o = 10, 5, 3
    wc = np.where(rs.rand(4 * h, i) < 0.5, -1, 1).astype(np.int8)
    uc = np.where(rs.rand(4 * h, h) < 0.5, -1, 1).astype(np.int8)
    w_scale = np.array([0.25], dtype=f32)
    u_scale = rs.uniform(0.1, 0.6, size=(4 * h,)).astype(f32)
    bi, bh = uniform(rs, (4 * h,), 0.4), uniform(rs, (4 * h,), 0.4)
    d, db = uniform(rs, (o, h), 0.45), uniform(rs, (o,), 0.45)
    # Larq convention: bit 1 = −1; LSB first along each row
    w_bits = np.packbits((wc == -1).astype(np.uint8), axis=1, bitorder="little")  # [20, 2]
    u_bytes = np.packbits((uc == -1).astype(np.uint8), axis=1, bitorder="little")  # [20, 1]
    u_words = np.zeros((4 * h, 4), dtype=np.uint8)
    u_words[:, :u_bytes.shape[1]] = u_bytes
    u_words = u_words.view("<i4").reshape(4 * h, 1)
    save_file({
        "weight_ih_l0.packed": w_bits, "weight_ih_l0.shape": np.array([4 * h, i], dtype=np.int64),
        "weight_ih_l0.scale": w_scale,
        "weight_hh_l0.packed": u_words.astype(np.int32),
        "weight_hh_l0.shape": np.array([4 * h, h], dtype=np.int64),
        "weight_hh_l0.scale": u_scale,
        "bias_ih_l0": bi, "bias_hh_l0": bh, "fc.weight": d, "fc.bias": db,
    }, os.path.join(HERE, "lstm_larq_h5.safetensors"))
    wf = (wc.astype(f32) * w_scale[0]).astype(f32)
    uf = (uc.astype(f32) * u_scale[:, None]).astype(f32)
    packed = {"weight_ih_l0": (wc, w_scale), "weight_hh_l0": (uc, u_scale)}
    cases = [
        [dict(BASE, scheme="binary"), ["--larq-bits"]],
        [dict(BASE, scheme="binary", pow2=True, per_row=True), ["--larq-bits", "--pow2", "--per-row"]],
    ]
    record("lstm_larq_h5", "safetensors", "lstm",
           [(wf, uf, bi, bh, ("weight_ih_l0", "weight_hh_l0"))], (d, db),
           sequence(rs, 5, i), cases, packed=packed)


if __name__ == "__main__":
    lstm_h4()
    gru_h3_2layers()
    lstm_larq_h5()
    print("wrote", ", ".join(sorted(f for f in os.listdir(HERE) if f != "make.py")))
