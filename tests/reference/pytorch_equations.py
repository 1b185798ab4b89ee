#!/usr/bin/env python3
"""Independent float reference for qrnn-golden's `float::lstm_cell` and `float::gru_cell`.

Pure Python (no numpy, no torch): the cell equations exactly as written in PyTorch's
documentation of `torch.nn.LSTM` and `torch.nn.GRU`, evaluated on fixed vectors, printed to
17 significant digits. The output is pasted into crates/golden/tests/float_reference.rs.

Run (from the repository root):

    python3 tests/reference/pytorch_equations.py

PyTorch `nn.LSTM` documentation (https://docs.pytorch.org/docs/stable/generated/torch.nn.LSTM.html):

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

  with weight_ih_l[k] = (W_ii|W_if|W_ig|W_io), of shape (4*hidden_size, input_size),
       weight_hh_l[k] = (W_hi|W_hf|W_hg|W_ho), of shape (4*hidden_size, hidden_size),
       bias_ih_l[k] = (b_ii|b_if|b_ig|b_io), bias_hh_l[k] = (b_hi|b_hf|b_hg|b_ho), each (4*hidden_size).

PyTorch `nn.GRU` documentation (https://docs.pytorch.org/docs/stable/generated/torch.nn.GRU.html):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{(t-1)} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{(t-1)} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{(t-1)} + b_hn))
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{(t-1)}

  with weight_ih_l[k] = (W_ir|W_iz|W_in), of shape (3*hidden_size, input_size),
       weight_hh_l[k] = (W_hr|W_hz|W_hn), of shape (3*hidden_size, hidden_size),
       bias_ih_l[k] = (b_ir|b_iz|b_in), bias_hh_l[k] = (b_hr|b_hz|b_hn).

"σ is the sigmoid function, and ⊙ is the Hadamard product."

For contrast the script also prints the GRU variant that applies the reset gate to h *before*
the recurrent matrix product (Keras `reset_after=False`, the original Cho et al. 2014 form):

    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{(t-1)}) + b_hn)

which is *not* what PyTorch (or NUMERICS.md §7.2) computes; the Rust test checks that it
differs, so that a reset-gate misplacement cannot pass.
"""

import math

H = 2  # hidden size
I = 3  # input size


def sigma(v):
    return 1.0 / (1.0 + math.exp(-v))


def rows(m, k):
    """Rows k*H .. (k+1)*H of a stacked (gates*H, n) weight matrix."""
    return m[k * H:(k + 1) * H]


def mv(m, v):
    return [sum(a * b for a, b in zip(row, v)) for row in m]


# ---- fixed vectors (shared with crates/golden/tests/float_reference.rs) ----

x = [0.5, -1.25, 0.75]
h0 = [0.3, -0.6]
c0 = [-0.4, 0.9]

# LSTM: weight_ih_l0 (8 x 3), weight_hh_l0 (8 x 2), rows i0 i1 f0 f1 g0 g1 o0 o1
lstm_w_ih = [
    [0.2, -0.5, 0.1],
    [0.7, 0.3, -0.2],
    [-0.3, 0.8, 0.5],
    [0.1, -0.1, 0.9],
    [0.6, 0.4, -0.7],
    [-0.9, 0.2, 0.3],
    [0.05, -0.65, 0.45],
    [0.35, 0.15, -0.25],
]
lstm_w_hh = [
    [0.4, -0.2],
    [-0.6, 0.5],
    [0.25, 0.75],
    [-0.8, 0.1],
    [0.9, -0.3],
    [0.2, 0.6],
    [-0.45, 0.55],
    [0.65, -0.15],
]
lstm_b_ih = [0.1, -0.2, 0.3, 0.05, -0.15, 0.25, -0.35, 0.45]
lstm_b_hh = [0.02, 0.04, -0.06, 0.08, 0.1, -0.12, 0.14, -0.16]

# GRU: weight_ih_l0 (6 x 3), weight_hh_l0 (6 x 2), rows r0 r1 z0 z1 n0 n1
gru_w_ih = [
    [0.3, -0.4, 0.2],
    [-0.1, 0.6, 0.5],
    [0.7, 0.2, -0.3],
    [-0.5, -0.25, 0.4],
    [0.45, -0.8, 0.6],
    [0.15, 0.35, -0.9],
]
gru_w_hh = [
    [0.5, 0.3],
    [-0.7, 0.2],
    [0.1, -0.6],
    [0.4, 0.8],
    [-0.9, 0.65],
    [0.75, -0.55],
]
gru_b_ih = [0.1, -0.3, 0.2, 0.05, -0.4, 0.35]
gru_b_hh = [-0.2, 0.15, 0.25, -0.1, 0.6, -0.45]


def lstm(x, h, c):
    wx = mv(lstm_w_ih, x)
    wh = mv(lstm_w_hh, h)
    pre = [[wx[k * H + u] + lstm_b_ih[k * H + u] + wh[k * H + u] + lstm_b_hh[k * H + u]
            for u in range(H)] for k in range(4)]
    i = [sigma(v) for v in pre[0]]
    f = [sigma(v) for v in pre[1]]
    g = [math.tanh(v) for v in pre[2]]
    o = [sigma(v) for v in pre[3]]
    c1 = [f[u] * c[u] + i[u] * g[u] for u in range(H)]
    h1 = [o[u] * math.tanh(c1[u]) for u in range(H)]
    return h1, c1


def gru(x, h, keras=False):
    wx = mv(gru_w_ih, x)
    wh = mv(gru_w_hh, h)
    r = [sigma(wx[u] + gru_b_ih[u] + wh[u] + gru_b_hh[u]) for u in range(H)]
    z = [sigma(wx[H + u] + gru_b_ih[H + u] + wh[H + u] + gru_b_hh[H + u]) for u in range(H)]
    if keras:
        rh = [r[u] * h[u] for u in range(H)]
        whn = mv(rows(gru_w_hh, 2), rh)
        n = [math.tanh(wx[2 * H + u] + gru_b_ih[2 * H + u] + whn[u] + gru_b_hh[2 * H + u])
             for u in range(H)]
    else:
        n = [math.tanh(wx[2 * H + u] + gru_b_ih[2 * H + u]
                       + r[u] * (wh[2 * H + u] + gru_b_hh[2 * H + u])) for u in range(H)]
    return [(1.0 - z[u]) * n[u] + z[u] * h[u] for u in range(H)]


def show(name, v):
    print("const %s: [f64; %d] = [%s];" % (name, len(v), ", ".join("%.17g" % e for e in v)))


h1, c1 = lstm(x, h0, c0)
show("LSTM_H1", h1)
show("LSTM_C1", c1)
# a second step from (h1, c1) with the same x
h2, c2 = lstm(x, h1, c1)
show("LSTM_H2", h2)
show("LSTM_C2", c2)
show("GRU_H1", gru(x, h0))
show("GRU_H1_KERAS", gru(x, h0, keras=True))
# h = 0 (the initial state): no difference between the two placements except through b_hn
show("GRU_H1_ZERO_H", gru(x, [0.0, 0.0]))
