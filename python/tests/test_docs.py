"""docs/PYTHON.md's walkthrough runs as written: its ```python blocks, in order, in one namespace,
from a fresh directory that has the repository's examples/ and tests/ (as the repository root
has them), so the guide cannot drift from the package."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import unittest
from pathlib import Path

ROOT = Path(os.environ.get("QRNN_ROOT") or Path(__file__).resolve().parents[2])


class Walkthrough(unittest.TestCase):
    def test_every_python_block_runs(self) -> None:
        text = (ROOT / "docs" / "PYTHON.md").read_text()
        blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
        self.assertGreaterEqual(len(blocks), 7)
        here = os.getcwd()
        with tempfile.TemporaryDirectory(prefix="qrnn-doc-") as d:
            for name in ("examples", "tests"):
                os.symlink(ROOT / name, Path(d) / name)
            os.chdir(d)
            try:
                ns: dict = {}
                out = io.StringIO()
                for k, b in enumerate(blocks):
                    with self.subTest(block=k), contextlib.redirect_stdout(out):
                        exec(compile(b, f"docs/PYTHON.md block {k}", "exec"), ns)
                self.assertTrue((Path(d) / "hw" / "Makefile").is_file())
                self.assertTrue((Path(d) / "imported.qw").is_file())
                self.assertIn("qrnn::qw::magic", out.getvalue())
            finally:
                os.chdir(here)


if __name__ == "__main__":
    unittest.main()
