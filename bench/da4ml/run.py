#!/usr/bin/env python3
"""da4ml 0.6.0 baseline: constant matrix-vector products y = W·x, x = 8-bit signed integers.

For each matrix in bench/da4ml/matrices/*.json and each variant (see VARIANTS):
  1. da4ml traces `x @ W.T` from a FixedVariableArray of int8 inputs (its CMVM solver builds the
     shared adder graph), comb_trace() gives the CombLogic, VerilogModel(...).write() the Verilog;
  2. Icarus Verilog simulates that Verilog on 200 input vectors (8 corner cases + 192 random) and
     every output is compared with W·x computed exactly in Python;
  3. yosys synthesises it (synth_ice40, synth_ecp5) and `stat -json` gives the cell counts.
Then nextpnr-ice40 places the `comb` and `pipe2` variants that fit an UP5K, for an Fmax (--no-pnr skips).

Writes results.json and results.md next to this file (or --out). See README.md.
"""
import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# The solver options passed explicitly (all equal to da4ml 0.6.0's defaults except where a
# variant overrides hard_dc); adder_size and carry_size come from HWConfig.
SOLVER_DEFAULTS = {"method0": "wmc", "method1": "auto", "hard_dc": -1, "decompose_dc": -2,
                   "search_all_decompose_dc": True}
HWCONFIG = (1, -1, -1)  # HWConfig(adder_size=1, carry_size=-1, latency_cutoff=-1): da4ml's default
PIPE_CUTOFF = 2  # latency_cutoff of the pipelined variant, in da4ml latency units (= adder levels)

# name -> (description, solver option overrides, latency_cutoff or None, use real (scaled) weights)
VARIANTS = {
    "comb": ("combinational, da4ml defaults (hard_dc=-1: no adder-depth constraint)", {}, None, False),
    "comb_dc0": ("combinational, hard_dc=0 (adder depth held to the minimum)", {"hard_dc": 0}, None, False),
    "pipe2": (f"pipelined, latency_cutoff={PIPE_CUTOFF} (<= {PIPE_CUTOFF} adder levels per stage), "
              "hard_dc=-1; registered inputs and outputs", {}, PIPE_CUTOFF, False),
    "comb_scaled": ("combinational, da4ml defaults, W given as the real weights scale·w "
                    "(only for matrices with scale != 1)", {}, None, True),
}
N_RANDOM = 192
PNR_VARIANTS = ("comb", "pipe2")
UP5K_LCS = 5280
VEC_SEED = 20240607


def sh(cmd, cwd=None, timeout=600):
    t = time.time()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return r, time.time() - t


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - recorded verbatim
        return f"unavailable ({e!r})"


# ---------------------------------------------------------------------------------------------
# da4ml
# ---------------------------------------------------------------------------------------------

def build_da4ml(m, variant, work):
    """Trace, solve and write Verilog with da4ml; return the facts about the design."""
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArray, HWConfig, comb_trace
    from da4ml.types import minimal_kif

    desc, overrides, cutoff, scaled = VARIANTS[variant]
    w = np.array(m["w"], dtype=np.int64)
    rows, cols = w.shape
    scale = Fraction(m["scale"]).limit_denominator(1 << 16) if scaled else Fraction(1)
    kernel = (w.T.astype(np.float64) * float(scale))  # cols × rows: y = x @ kernel
    opts = dict(SOLVER_DEFAULTS, **overrides)

    t0 = time.time()
    # 8-bit signed integers: keep_negative=1, 7 integer bits, 0 fractional bits -> [-128, 127]
    inp = FixedVariableArray.from_kif(np.ones(cols, np.int64), np.full(cols, 7), np.zeros(cols, np.int64),
                                      hwconf=HWConfig(*HWCONFIG), solver_options=opts)
    out = inp @ kernel
    comb = comb_trace(inp, out)
    solve_s = time.time() - t0

    top = f"{m['name']}_{variant}"
    d = work / top
    if d.exists():
        shutil.rmtree(d)
    model = VerilogModel(comb, top, d, latency_cutoff=cutoff if cutoff else -1)
    model.write()
    assert comb.lookup_tables is None, "unexpected lookup tables"

    in_kifs = [minimal_kif(q) for q in comb.inp_qint]
    out_kifs = [minimal_kif(q) for q in comb.out_qint]
    widths = [int(sum(k)) for k in out_kifs]
    steps = [Fraction(q.step) for q in comb.out_qint]
    signed = [bool(k.keep_negative) for k in out_kifs]
    assert all(sum(k) == 8 and k.keep_negative for k in in_kifs), in_kifs

    # exact range of each output for x in [-128, 127]^cols -> minimal two's complement width
    hi = np.where(w > 0, 127 * w, -128 * w).sum(axis=1)
    lo = np.where(w > 0, -128 * w, 127 * w).sum(axis=1)
    exact = []
    for a, b in zip(lo.tolist(), hi.tolist()):
        n = 1
        while not (-(1 << (n - 1)) <= a and b <= (1 << (n - 1)) - 1):
            n += 1
        exact.append(n)

    ops = [op.opcode for op in comb.ops]
    src = [d / "src" / f"{top}.v"] + sorted((d / "src").glob(f"{top}_stage*.v"))
    src += sorted(p for p in (d / "src/static").glob("*.v") if p.name != "lookup_table.v")
    text = (d / "src" / f"{top}.v").read_text()
    ow = int(re.search(r"output\s+(?:reg\s+)?\[(\d+):0\]\s+model_out", text).group(1)) + 1
    iw = int(re.search(r"input\s+\[(\d+):0\]\s+model_inp", text).group(1)) + 1
    assert ow == sum(widths) and iw == 8 * cols, (ow, sum(widths), iw)
    info = {
        "top": top,
        "variant_desc": desc,
        "solver_options": opts,
        "hwconfig": dict(zip(("adder_size", "carry_size", "latency_cutoff"), HWCONFIG)),
        "latency_cutoff": cutoff if cutoff else -1,
        "weights_given": f"{scale}·w" if scaled else "w (integer codes)",
        "da4ml_cost": float(comb.cost),
        "da4ml_adders": sum(1 for o in ops if o in (0, 1)),
        "da4ml_ops_by_opcode": {str(k): ops.count(k) for k in sorted(set(ops))},
        "da4ml_output_negations": int(sum(bool(n) for n in comb.out_negs)),
        "da4ml_latency_min_max": [float(x) for x in comb.latency],
        "solve_s": round(solve_s, 3),
        "input_bits": iw,
        "output_bits": ow,
        "output_widths": widths,
        "output_steps": [str(s) for s in steps],
        "output_signed": signed,
        "exact_min_widths": exact,
        "exact_min_output_bits": int(sum(exact)),
        "files": [str(p) for p in src],
    }
    if model._pipe is not None:
        info["pipeline_stages"] = len(model._pipe.solutions)
        info["pipeline_reg_bits_da4ml"] = int(model._pipe.reg_bits)
        info["pipeline_actual_cutoff"] = model._latency_cutoff
    return info


# ---------------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------------

def vectors(w):
    rows, cols = w.shape
    vs = [np.zeros(cols, np.int64), np.full(cols, 127), np.full(cols, -128),
          np.where(np.arange(cols) % 2 == 0, 127, -128)]
    for r in (0, rows - 1):  # inputs that reach the row's max and min
        vs.append(np.where(w[r] > 0, 127, -128))
        vs.append(np.where(w[r] > 0, -128, 127))
    rng = np.random.default_rng(VEC_SEED)
    vs += list(rng.integers(-128, 128, size=(N_RANDOM, cols)))
    return np.array(vs, dtype=np.int64)


def pack(x):
    v = 0
    for j, xj in enumerate(x.tolist()):
        v |= (xj & 0xFF) << (8 * j)
    return v


def unpack(val, info):
    res, off = [], 0
    for wd, st, sg in zip(info["output_widths"], info["output_steps"], info["output_signed"]):
        b = (val >> off) & ((1 << wd) - 1) if wd else 0
        if sg and wd and b >> (wd - 1):
            b -= 1 << wd
        res.append(b * Fraction(st))
        off += wd
    return res


def simulate(m, info, work):
    """Icarus simulation of the written Verilog; compares every output with W·x (exact)."""
    w = np.array(m["w"], dtype=np.int64)
    scaled = VARIANTS[info["variant"]][3]
    scale = Fraction(m["scale"]).limit_denominator(1 << 16) if scaled else Fraction(1)
    xs = vectors(w)
    top, iw, ow = info["top"], info["input_bits"], info["output_bits"]
    d = work / top / "tb"
    d.mkdir(parents=True, exist_ok=True)
    (d / "vec.hex").write_text("".join(f"{pack(x):0{(iw + 3) // 4}x}\n" for x in xs))
    n = len(xs)
    stages = info.get("pipeline_stages")
    if stages is None:
        body = f"""    {top} dut (.model_inp(model_inp), .model_out(model_out));
    initial begin
        $readmemh("vec.hex", mem);
        f = $fopen("out.hex", "w");
        for (i = 0; i < {n}; i = i + 1) begin
            model_inp = mem[i];
            #10 $fdisplay(f, "%h", model_out);
        end
        $fclose(f);
        $finish;
    end"""
        extra = n
    else:
        extra = n + stages + 3
        body = f"""    reg clk = 0;
    {top} dut (.clk(clk), .model_inp(model_inp), .model_out(model_out));
    initial begin
        $readmemh("vec.hex", mem);
        f = $fopen("out.hex", "w");
        for (i = 0; i < {extra}; i = i + 1) begin
            model_inp = (i < {n}) ? mem[i] : {iw}'d0;
            #5 clk = 1;
            #1 $fdisplay(f, "%h", model_out);  // line i: after clock edge i
            #4 clk = 0;
        end
        $fclose(f);
        $finish;
    end"""
    tb = f"""`timescale 1ns/1ps
module tb;
    reg [{iw - 1}:0] mem [0:{n - 1}];
    reg [{iw - 1}:0] model_inp;
    wire [{ow - 1}:0] model_out;
    integer i, f;
{body}
endmodule
"""
    (d / "tb.v").write_text(tb)
    r, c_s = sh(["iverilog", "-g2012", "-o", "sim.vvp", "tb.v"] + info["files"], cwd=d)
    if r.returncode != 0:
        return {"sim": "FAIL", "sim_detail": "iverilog: " + (r.stdout + r.stderr)[-600:]}
    r, r_s = sh(["vvp", "-n", "sim.vvp"], cwd=d)
    lines = (d / "out.hex").read_text().split() if (d / "out.hex").exists() else []
    if r.returncode != 0 or len(lines) != extra:
        return {"sim": "FAIL", "sim_detail": f"vvp rc={r.returncode}, {len(lines)} lines: " + (r.stdout + r.stderr)[-600:]}
    expect = [[scale * int(v) for v in (w @ x).tolist()] for x in xs]
    got = [unpack(int(s, 16), info) if re.fullmatch(r"[0-9a-fA-F]+", s) else None for s in lines]

    def mismatches(lat):
        bad = 0
        for k in range(n):
            if got[k + lat] != expect[k]:
                bad += 1
        return bad

    res = {"sim_vectors": n, "sim_tool": "iverilog", "sim_s": round(c_s + r_s, 2)}
    if stages is None:
        bad = mismatches(0)
    else:
        bad = mismatches(stages)
        res["sim_latency_cycles"] = stages
        if bad:
            other = [lat for lat in range(0, stages + 3) if mismatches(lat) == 0]
            res["sim_detail"] = f"outputs match at latency {other} instead of {stages}" if other else "no latency matches"
    res["sim"] = "pass" if bad == 0 else "FAIL"
    res["sim_mismatching_vectors"] = bad
    return res


# ---------------------------------------------------------------------------------------------
# synthesis and place and route
# ---------------------------------------------------------------------------------------------

def synth(info, family, work):
    d = work / info["top"]
    stat = d / f"stat_{family}.json"
    log = d / f"yosys_{family}.log"
    files = " ".join(shlex.quote(f) for f in info["files"])
    script = f"read_verilog {files}; synth_{family} -top {info['top']}; tee -q -o {stat} stat -json"
    r, secs = sh(["yosys", "-q", "-l", str(log), "-p", script])
    if r.returncode != 0:
        return {"error": (r.stdout + r.stderr)[-800:]}
    cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
    res = {"cells": cells, "total_cells": sum(cells.values()), "synth_s": round(secs, 2),
           "yosys_script": script.replace(str(work) + "/", "")}
    if family == "ice40":
        res["lut"] = cells.get("SB_LUT4", 0)
        res["carry"] = cells.get("SB_CARRY", 0)
        res["ff"] = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
    else:
        res["lut"] = cells.get("LUT4", 0)
        res["carry"] = cells.get("CCU2C", 0)
        res["ff"] = sum(v for k, v in cells.items() if k.startswith("TRELLIS_FF"))
        res["lut_equiv"] = res["lut"] + 2 * res["carry"]
    other = {k: v for k, v in cells.items() if k not in ("SB_LUT4", "SB_CARRY", "LUT4", "CCU2C")
             and not k.startswith(("SB_DFF", "TRELLIS_FF"))}
    if other:
        res["other_cells"] = other
    return res


def pnr_ice40(info, work, timeout):
    """UP5K place and route of a one-pin-in, one-pin-out wrapper for a register-to-register Fmax:
    inputs shifted in through `din`, outputs registered and XOR-reduced to `dout`."""
    d = work / info["top"]
    iw, ow, top = info["input_bits"], info["output_bits"], info["top"]
    (d / "pnr_top.v").write_text(f"""module pnr_top (input wire clk, input wire din, output reg dout);
    reg [{iw - 1}:0] act;
    reg [{ow - 1}:0] y_q;
    wire [{ow - 1}:0] y;
    always @(posedge clk) begin act <= {{act[{iw - 2}:0], din}}; y_q <= y; dout <= ^y_q; end
    {top} m ({".clk(clk), " if info.get("pipeline_stages") else ""}.model_inp(act), .model_out(y));
endmodule
""")
    files = " ".join(shlex.quote(f) for f in [str(d / "pnr_top.v")] + info["files"])
    r, _ = sh(["yosys", "-q", "-p", f"read_verilog {files}; synth_ice40 -top pnr_top -json pnr.json"], cwd=d)
    if r.returncode != 0:
        return {"pnr_error": (r.stdout + r.stderr)[-400:]}
    try:
        r, secs = sh(["nextpnr-ice40", "--up5k", "--package", "sg48", "--pcf-allow-unconstrained",
                      "--json", "pnr.json", "--freq", "12", "--report", "pnr_report.json", "-q"],
                     cwd=d, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"pnr_error": f"nextpnr did not finish within {timeout} s"}
    rep = d / "pnr_report.json"
    if r.returncode != 0 or not rep.exists():
        msg = r.stdout + r.stderr
        errs = [ln.strip() for ln in msg.splitlines() if ln.startswith("ERROR")]
        return {"pnr_error": "nextpnr: " + ("; ".join(errs) if errs else msg[-300:].replace("\n", " "))}
    p = json.loads(rep.read_text())
    fmax = min(v["achieved"] for v in p["fmax"].values()) if p.get("fmax") else None
    util = {k: v for k, v in p.get("utilization", {}).items() if v.get("used")}
    return {"fmax_mhz": round(fmax, 1) if fmax else None, "pnr_s": round(secs, 1),
            "pnr_device": "iCE40 UP5K sg48 (one-pin wrapper)", "pnr_utilization": util}


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

def widths_summary(ws):
    h = {}
    for x in ws:
        h[x] = h.get(x, 0) + 1
    return " ".join(f"{k}b×{v}" for k, v in sorted(h.items()))


def write_md(res, path):
    L = []
    L.append("# da4ml baseline: results\n")
    L.append(f"Generated by `{res['command']}` on {res['date']} ({res['run_s']:.0f} s on "
             f"{res['host']['cpus']} CPUs). Do not edit: run the command again.\n")
    L.append(f"- da4ml {res['versions']['da4ml']} (numpy {res['versions']['numpy']}), "
             f"{res['versions']['yosys']}, {res['versions']['iverilog']}"
             + (f", {res['versions']['nextpnr-ice40']}" if res.get("pnr") else ""))
    L.append("- inputs: 8-bit signed integers (da4ml `FixedVariableArray.from_kif(k=1, i=7, f=0)`, "
             "i.e. [-128, 127]); outputs: y = W·x as da4ml sized them (full precision, signed)")
    L.append(f"- solver options: `{json.dumps(SOLVER_DEFAULTS)}` (da4ml defaults), "
             f"`HWConfig{HWCONFIG}`; variants override them as listed below")
    L.append("- yosys: `read_verilog <da4ml files>; synth_ice40|synth_ecp5 -top <top>; stat -json`; "
             "ECP5 LUT-eq = LUT4 + 2·CCU2C")
    L.append("")
    L.append("Variants:\n")
    for k, v in VARIANTS.items():
        L.append(f"- `{k}`: {v[0]}")
    L.append("")
    L.append("| matrix | variant | da4ml cost | adders | depth | out bits (da4ml / exact min) | output widths | "
             "iCE40 SB_LUT4 | SB_CARRY | FF | cells | ECP5 LUT4 | CCU2C | LUT-eq | FF | cells | sim |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in res["designs"]:
        i, e = row["families"].get("ice40", {}), row["families"].get("ecp5", {})
        lat = row["da4ml_latency_min_max"]
        depth = f"{lat[0]:g}–{lat[1]:g}"
        if row.get("pipeline_stages"):
            depth += f" ({row['pipeline_stages']} stages)"
        L.append(f"| {row['matrix']} | {row['variant']} | {row['da4ml_cost']:g} | {row['da4ml_adders']} | {depth} | "
                 f"{row['output_bits']} / {row['exact_min_output_bits']} | {widths_summary(row['output_widths'])} | "
                 f"{i.get('lut', 'err')} | {i.get('carry', 'err')} | {i.get('ff', 'err')} | {i.get('total_cells', 'err')} | "
                 f"{e.get('lut', 'err')} | {e.get('carry', 'err')} | {e.get('lut_equiv', 'err')} | {e.get('ff', 'err')} | "
                 f"{e.get('total_cells', 'err')} | {row.get('sim', '?')} ({row.get('sim_vectors', 0)}) |")
    if res.get("pnr"):
        L.append("")
        L.append("Place and route: nextpnr-ice40 --up5k --package sg48 --freq 12, design wrapped with its inputs "
                 "shifted in through one pin and its outputs registered and XOR-reduced to one pin "
                 "(register-to-register Fmax; the wrapper adds FFs and an XOR tree). Only designs whose "
                 f"SB_LUT4 count fits the UP5K's {UP5K_LCS} logic cells are placed.\n")
        L.append("| matrix | variant | Fmax MHz | LCs used | note |")
        L.append("|---|---|---|---|---|")
        for row in res["designs"]:
            p = row.get("pnr")
            if not p:
                continue
            lc = p.get("pnr_utilization", {}).get("ICESTORM_LC", {})
            L.append(f"| {row['matrix']} | {row['variant']} | {p.get('fmax_mhz', '–')} | "
                     f"{lc.get('used', '–')}/{lc.get('available', '–')} | {p.get('pnr_error', '')[:160].replace('|', '/')} |")
    L.append("")
    L.append(f"Simulation: {res['sim_summary']}.")
    errs = [f"{r['matrix']}/{r['variant']}: {r['error']}" for r in res["designs"] if r.get("error")]
    if errs:
        L.append("\nErrors:\n")
        L += [f"- {e}" for e in errs]
    path.write_text("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--matrices", default=str(HERE / "matrices"), help="directory of <name>.json")
    ap.add_argument("--work", default=str(HERE / "build"), help="generated Verilog, logs (git-ignored)")
    ap.add_argument("--out", default=str(HERE), help="where results.json / results.md go")
    ap.add_argument("--only", nargs="*", help="matrix names (default: all)")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), help=f"subset of {list(VARIANTS)}")
    ap.add_argument("--no-pnr", dest="pnr", action="store_false",
                    help="skip the nextpnr-ice40 --up5k Fmax runs (variants comb and pipe2, designs that fit)")
    ap.add_argument("--pnr-timeout", type=int, default=300)
    ap.add_argument("-j", "--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    args = ap.parse_args()

    t_start = time.time()
    import da4ml
    mdir, work, out = Path(args.matrices), Path(args.work).resolve(), Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    files = sorted(mdir.glob("*.json"))
    if not files:
        sys.exit(f"no matrices in {mdir}: run matrices.py first")
    mats = [json.loads(p.read_text()) for p in files]
    order = ["tern_64x16", "tern_32x64", "bin_32x64", "quat_32x64"]
    mats.sort(key=lambda m: (order.index(m["name"]) if m["name"] in order else 99, m["name"]))
    if args.only:
        mats = [m for m in mats if m["name"] in args.only]

    designs = []
    for m in mats:
        for v in args.variants:
            if VARIANTS[v][3] and m["scale"] == 1:
                continue
            row = {"matrix": m["name"], "variant": v, "rows": m["rows"], "cols": m["cols"],
                   "scheme": m["scheme"], "scale": m["scale"], "seed": m["seed"]}
            try:
                row.update(build_da4ml(m, v, work))
                row["variant"] = v
            except Exception as e:  # noqa: BLE001 - recorded verbatim
                row["error"] = f"da4ml: {e!r}"
            designs.append((m, row))
            print(f"da4ml {m['name']:<11} {v:<11} cost={row.get('da4ml_cost')} adders={row.get('da4ml_adders')} "
                  f"out_bits={row.get('output_bits')} ({row.get('solve_s')} s)", flush=True)

    def job(kind, m, row):
        if kind == "sim":
            return simulate(m, row, work)
        if kind == "pnr":
            return pnr_ice40(row, work, args.pnr_timeout)
        return synth(row, kind, work)

    with cf.ThreadPoolExecutor(args.jobs) as ex:
        futs = {}
        for m, row in designs:
            if row.get("error"):
                continue
            row["families"] = {}
            for kind in ("sim", "ice40", "ecp5"):
                futs[ex.submit(job, kind, m, row)] = (kind, row)
        for f in cf.as_completed(futs):
            kind, row = futs[f]
            try:
                r = f.result()
            except Exception as e:  # noqa: BLE001
                r = {"error": repr(e)} if kind != "sim" else {"sim": "FAIL", "sim_detail": repr(e)}
            if kind == "sim":
                row.update(r)
            else:
                row["families"][kind] = r
            print(f"{kind:<5} {row['matrix']:<11} {row['variant']:<11} "
                  + (f"{r.get('sim')} {r.get('sim_detail', '')}" if kind == "sim"
                     else f"lut={r.get('lut')} carry={r.get('carry')} cells={r.get('total_cells')} ({r.get('synth_s')} s)"),
                  flush=True)
    if args.pnr:  # sequential: nextpnr is the slow part
        for m, row in designs:
            if row["variant"] not in PNR_VARIANTS or row.get("error"):
                continue
            luts = row["families"].get("ice40", {}).get("lut")
            if luts is None or luts > UP5K_LCS:
                row["pnr"] = {"pnr_error": f"not run: {luts} SB_LUT4 > {UP5K_LCS} logic cells of the UP5K"}
            else:
                row["pnr"] = pnr_ice40(row, work, args.pnr_timeout)
            print(f"pnr   {row['matrix']:<11} {row['variant']:<11} {row['pnr'].get('fmax_mhz')} MHz "
                  f"{row['pnr'].get('pnr_error', '')}", flush=True)

    rows = [r for _, r in designs]
    for r in rows:  # a fixed order (the jobs finish in any order)
        if "families" in r:
            r["families"] = {f: r["families"][f] for f in ("ice40", "ecp5") if f in r["families"]}
    for r in rows:  # paths relative to the repository
        r["files"] = [os.path.relpath(f, HERE.parent.parent) for f in r.get("files", [])]
    n_pass = sum(1 for r in rows if r.get("sim") == "pass")
    n_vec = sum(r.get("sim_vectors", 0) for r in rows if r.get("sim") == "pass")
    ok = n_pass == len(rows) and all(
        "lut" in r.get("families", {}).get(f, {}) for r in rows for f in ("ice40", "ecp5"))
    res = {
        "tool": "da4ml",
        "command": os.environ.get("DA4ML_BENCH_CMD") or "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "run_s": round(time.time() - t_start, 1),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {"da4ml": da4ml.__version__, "numpy": np.__version__,
                     "yosys": tool_version(["yosys", "-V"]), "iverilog": tool_version(["iverilog", "-V"]),
                     "nextpnr-ice40": tool_version(["nextpnr-ice40", "--version"])},
        "settings": {"input": "8-bit signed integer, [-128, 127] (k=1, i=7, f=0)",
                     "solver_defaults": SOLVER_DEFAULTS, "hwconfig": HWCONFIG,
                     "variants": {k: v[0] for k, v in VARIANTS.items()},
                     "sim_vectors": f"8 corner + {N_RANDOM} random (numpy default_rng({VEC_SEED}))"},
        "pnr": bool(args.pnr),
        "sim_summary": f"{n_pass}/{len(rows)} designs pass, {n_vec} vectors, every output bit-exact against W·x",
        "all_ok": ok,
        "designs": rows,
    }
    # the table the brief asks for: one row per (matrix, variant, family)
    res["rows"] = []
    for r in rows:
        for fam, f in r.get("families", {}).items():
            res["rows"].append({
                "matrix": r["matrix"], "variant": r["variant"], "family": fam,
                "lut": f.get("lut"), "carry": f.get("carry"),
                "carry_cell": "SB_CARRY" if fam == "ice40" else "CCU2C",
                "lut_cell": "SB_LUT4" if fam == "ice40" else "LUT4",
                "lut_equiv": f.get("lut_equiv", f.get("lut")), "ff": f.get("ff"),
                "total_cells": f.get("total_cells"), "output_bits": r.get("output_bits"),
                "output_widths": r.get("output_widths"), "da4ml_cost": r.get("da4ml_cost"),
                "da4ml_adders": r.get("da4ml_adders"), "sim": r.get("sim")})
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    write_md(res, out / "results.md")
    print(f"{res['sim_summary']}; wrote {out / 'results.json'} and {out / 'results.md'} "
          f"in {res['run_s']} s", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
