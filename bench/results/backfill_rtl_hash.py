#!/usr/bin/env python3
"""One-off: add `rtl_sha256` (qrnn-bench's hw::rtl_hash) to cached design records written before
the field existed, from the generated projects they were built from (build/bench/hw/<slug>/hw/rtl).
Usage: backfill_rtl_hash.py bench/results/designs build/bench/hw"""
import hashlib, json, re, sys
from pathlib import Path

designs, work = Path(sys.argv[1]), Path(sys.argv[2])
for f in sorted(designs.glob("*.json")):
    d = json.loads(f.read_text())
    if "rtl_sha256" in d:
        continue
    slug = re.sub(r"[^A-Za-z0-9]", "_", f"{d['group']}-{d['scheme']}-{d['fold']}-{d['family']}")
    rtl = work / slug / "hw" / "rtl"
    if not rtl.is_dir():
        print(f"{f}: no {rtl}, left without rtl_sha256 (it will be rebuilt)")
        continue
    h = hashlib.sha256()
    for p in sorted((str(p.relative_to(rtl)), p) for p in rtl.rglob("*") if p.is_file()):
        h.update(p[0].encode()); h.update(b"\0"); h.update(p[1].read_bytes()); h.update(b"\0")
    d["rtl_sha256"] = h.hexdigest()
    f.write_text(json.dumps(d, indent=2) + "\n")
    print(f"{f}: rtl_sha256 {d['rtl_sha256'][:16]}")
