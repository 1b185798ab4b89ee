#!/usr/bin/env python3
"""The constant matrices of the da4ml baseline, generated deterministically.

The JSON files under bench/da4ml/matrices/ are the source of truth: run.py reads them, and a Rust
reader can take the integer codes from `w` directly. This script (pure Python, no numpy) writes
them, and `--check` regenerates them in memory and fails if a file on disk differs.

Each file: {"name", "rows", "cols", "scheme", "scale", "seed", "generator", "w"}; `w` is a list of
`rows` lists of `cols` integers (row-major), the matrix W of y = W·x, rows = outputs,
cols = inputs. The real weight is scale · w (scale is 0.5 for quaternary, 1 otherwise).

Generator (written out so that Rust can reproduce it bit for bit):

  splitmix64, state = seed (u64); next():
      state = state + 0x9E3779B97F4A7C15            (mod 2^64)
      z = state
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9     (mod 2^64)
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB     (mod 2^64)
      return z ^ (z >> 31)

  binary     (scheme "binary",     values {-1, 1}):        for each entry in row-major order,
             w = +1 if next() >> 63 == 0 else -1.
  quaternary (scheme "quaternary", values {-2,-1,1,2}, scale 0.5): for each entry in row-major
             order, w = [-2, -1, 1, 2][next() >> 62].
  ternary    (scheme "ternary",    values {-1, 0, 1}, exactly round(0.4 · rows · cols) zeros, Python
             round(), i.e. half to even): n = rows · cols, z = round(0.4 · n); a flat list
             v[0..n) with v[k] = 0 for k < z and, for k >= z, v[k] = +1 if next() >> 63 == 0 else -1
             (drawn in order k = z .. n-1); then a Fisher-Yates shuffle, for i = n-1 down to 1:
             j = next() % (i + 1); swap v[i], v[j]; then W[r][c] = v[r · cols + c].
"""
import argparse
import json
import sys
from pathlib import Path

MASK = (1 << 64) - 1

# name, rows, cols, scheme, seed
SPECS = [
    ("tern_64x16", 64, 16, "ternary", 0xDA401),
    ("tern_32x64", 32, 64, "ternary", 0xDA402),
    ("bin_32x64", 32, 64, "binary", 0xDA403),
    ("quat_32x64", 32, 64, "quaternary", 0xDA404),
]
ZERO_FRACTION = 0.4  # ternary


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def generate(name: str, rows: int, cols: int, scheme: str, seed: int) -> dict:
    rng = SplitMix64(seed)
    n = rows * cols
    if scheme == "binary":
        flat = [1 if rng.next() >> 63 == 0 else -1 for _ in range(n)]
        scale = 1
    elif scheme == "quaternary":
        flat = [(-2, -1, 1, 2)[rng.next() >> 62] for _ in range(n)]
        scale = 0.5
    elif scheme == "ternary":
        zeros = round(ZERO_FRACTION * n)
        flat = [0] * zeros + [1 if rng.next() >> 63 == 0 else -1 for _ in range(n - zeros)]
        for i in range(n - 1, 0, -1):
            j = rng.next() % (i + 1)
            flat[i], flat[j] = flat[j], flat[i]
        scale = 1
    else:
        raise ValueError(scheme)
    w = [flat[r * cols:(r + 1) * cols] for r in range(rows)]
    return {
        "name": name,
        "rows": rows,
        "cols": cols,
        "scheme": scheme,
        "scale": scale,
        "seed": seed,
        "generator": "splitmix64, see bench/da4ml/matrices.py",
        "w": w,
    }


def to_json(m: dict) -> str:
    """One matrix row per line (readable diffs), otherwise plain JSON."""
    head = {k: v for k, v in m.items() if k != "w"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    lines.append('  "w": [')
    rows = [f"    {json.dumps(r, separators=(',', ':'))}" for r in m["w"]]
    lines.append(",\n".join(rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def all_matrices() -> list[dict]:
    return [generate(*s) for s in SPECS]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "matrices"),
                    help="directory for <name>.json (default: bench/da4ml/matrices)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if the files differ from what the generator makes")
    args = ap.parse_args()
    out = Path(args.out)
    bad = 0
    for m in all_matrices():
        text = to_json(m)
        assert json.loads(text) == m
        p = out / f"{m['name']}.json"
        if args.check:
            ok = p.exists() and p.read_text() == text
            bad += not ok
            print(f"{p}: {'ok' if ok else 'DIFFERS'}")
        else:
            out.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            flat = [x for r in m["w"] for x in r]
            hist = {v: flat.count(v) for v in sorted(set(flat))}
            print(f"wrote {p}: {m['rows']}x{m['cols']} {m['scheme']} values {hist}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
