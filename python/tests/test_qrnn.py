"""Tests of the `qrnn` Python package (unittest + numpy only; python/run-tests.sh runs them).

The reference is the `qrnn-hw` binary: Python's results must equal what the command line prints
for the same model, input and options — golden outputs exactly, on every bundled model. The binary
is $QRNN_HW (default target/release/qrnn-hw under the repository root $QRNN_ROOT); without it the
comparisons are skipped, and with QRNN_REQUIRE_TOOLS=1 (CI) they fail. Tests on the packaged data
sets (`ucr:GunPoint`) are skipped when the data is not installed, and fail with
QRNN_REQUIRE_DATA=1, as the Rust tests do.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np

import qrnn

ROOT = Path(os.environ.get("QRNN_ROOT") or Path(__file__).resolve().parents[2])
EXAMPLES = ROOT / "examples"
IMPORT = ROOT / "tests" / "import"
QRNN_HW = Path(os.environ.get("QRNN_HW") or "target/release/qrnn-hw")
if not QRNN_HW.is_absolute():
    QRNN_HW = ROOT / QRNN_HW
REQUIRE_TOOLS = os.environ.get("QRNN_REQUIRE_TOOLS") == "1"
REQUIRE_DATA = os.environ.get("QRNN_REQUIRE_DATA") == "1"

DEMO = EXAMPLES / "demo-lstm-ternary.qw"


def bundled_models() -> list[Path]:
    """Every bundled model: each .qw and each .qw.toml (a text twin beside a .qw is read too)."""
    return sorted(EXAMPLES.glob("*.qw")) + sorted(EXAMPLES.glob("*.qw.toml"))


class CliTest(unittest.TestCase):
    """A test that compares with the `qrnn-hw` binary."""

    tmp: Path

    def setUp(self) -> None:
        if not QRNN_HW.is_file():
            msg = f"{QRNN_HW} is missing (build it: cargo build --release -p qrnn-hw, or set QRNN_HW)"
            if REQUIRE_TOOLS:
                self.fail(msg + "; QRNN_REQUIRE_TOOLS=1 requires it")
            self.skipTest(msg)
        d = tempfile.TemporaryDirectory(prefix="qrnn-py-")
        self.addCleanup(d.cleanup)
        self.tmp = Path(d.name)

    def cli(self, *args: object, ok: bool = True) -> subprocess.CompletedProcess:
        """Run qrnn-hw from the repository root; `ok`: it must succeed."""
        p = subprocess.run(
            [str(QRNN_HW), *map(str, args)], cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        if ok and p.returncode != 0:
            self.fail(f"qrnn-hw {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
        return p

    def cli_json(self, *args: object) -> dict:
        return json.loads(self.cli(*args).stdout)


def sequence(m: qrnn.Model, steps: int, seed: int) -> np.ndarray:
    """Seeded inputs in about [-1.5, 1.5] (beyond the input format's range, so saturation is
    exercised too), shape (steps, input_len)."""
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=(steps, m.input_len))


# ---------------------------------------------------------------------- golden and float


class GoldenEqualsCli(CliTest):
    def test_every_bundled_model_runs_as_the_cli_runs_it(self) -> None:
        models = bundled_models()
        self.assertGreaterEqual(len(models), 6, models)
        for k, path in enumerate(models):
            with self.subTest(model=path.name):
                m = qrnn.load(path)
                x = sequence(m, 12, k)
                npy = self.tmp / f"x{k}.npy"  # .npy: the CLI reads the very same doubles
                np.save(npy, x)
                want = self.cli_json("run", path, "--input", npy, "--json", "--float")
                got = m.run(x, float=True)
                self.assertEqual(want["model"], m.name)
                self.assertEqual(want["hash"], m.hash)
                self.assertEqual(got.outputs.dtype, np.int64)
                self.assertEqual(got.outputs.shape, (12, m.output_len))
                self.assertEqual(got.outputs.tolist(), want["outputs"])  # exact
                self.assertEqual(got.outputs_real.tolist(), want["outputs_real"])
                self.assertEqual(got.float.tolist(), want["float"])
                self.assertEqual(m.run_float(x).tolist(), want["float"])
                # --raw: the quantized integers give the same outputs
                xq = m.quantize(x)
                rq = self.tmp / f"xq{k}.npy"
                np.save(rq, xq.astype(np.float64))
                raw = self.cli_json("run", path, "--input", rq, "--raw", "--json")
                self.assertEqual(m.run(xq, raw=True).outputs.tolist(), raw["outputs"])
                self.assertEqual(raw["outputs"], want["outputs"])

    def test_the_bundled_sequence(self) -> None:
        seq = EXAMPLES / "demo-seq.json"
        want = self.cli_json("run", DEMO, "--input", seq, "--json", "--float")
        x = np.array(json.loads(seq.read_text()))
        got = qrnn.load(DEMO).run(x, float=True)
        self.assertEqual(got.outputs.tolist(), want["outputs"])
        self.assertEqual(got.outputs_real.tolist(), want["outputs_real"])
        # the float reference within 1e-12 only here: the CLI parses this JSON's 17-digit
        # decimals with serde_json's (not always correctly rounded) parser, Python with its own
        np.testing.assert_allclose(got.float, np.array(want["float"]), rtol=0, atol=1e-12)

    def test_trace_matches_the_cli_trace(self) -> None:
        m = qrnn.load(EXAMPLES / "tiny-gru-quaternary.qw.toml")
        x = sequence(m, 5, 99)
        np.save(self.tmp / "x.npy", x)
        self.cli("run", EXAMPLES / "tiny-gru-quaternary.qw.toml", "--input", self.tmp / "x.npy",
                 "--trace", self.tmp / "t.json", "-q")
        self.assertEqual(m.trace(x), json.loads((self.tmp / "t.json").read_text()))

    def test_inspect(self) -> None:
        for path in bundled_models():
            with self.subTest(model=path.name):
                m = qrnn.load(path)
                self.assertEqual(m.info(), self.cli_json("inspect", path, "--json"))
                self.assertIn(m.name, m.summary())
        m = qrnn.load(DEMO)
        self.assertEqual((m.cell, m.scheme, m.input_size, m.output_len), ("lstm", "ternary", 4, 3))
        self.assertIsNone(m.input_map)
        conv = qrnn.load(EXAMPLES / "tiny-convlstm-binary.qw.toml")
        self.assertEqual(conv.cell, "convlstm")
        h, w = conv.input_map
        self.assertEqual(conv.input_len, h * w * conv.input_size)


class RunShapes(unittest.TestCase):
    def test_frames_and_one_input_series_are_accepted(self) -> None:
        conv = qrnn.load(EXAMPLES / "tiny-convlstm-binary.qw.toml")
        h, w = conv.input_map
        frames = np.random.default_rng(1).uniform(-1, 1, size=(3, h, w, conv.input_size))
        self.assertEqual(
            conv.run(frames).outputs.tolist(), conv.run(frames.reshape(3, -1)).outputs.tolist()
        )
        gp = qrnn.load(EXAMPLES / "trained-gunpoint-gru-ternary.qw")
        self.assertEqual(gp.input_len, 1)
        s = np.linspace(-1, 1, 7)
        self.assertEqual(gp.run(s).outputs.tolist(), gp.run(s.reshape(-1, 1)).outputs.tolist())

    def test_an_empty_sequence_has_no_outputs(self) -> None:
        m = qrnn.load(DEMO)
        r = m.run(np.zeros((0, 4)))
        self.assertEqual(r.outputs.shape, (0, 3))


# ---------------------------------------------------------------------- errors


def plain(text: str) -> str:
    """The words of a rendered diagnostic (no box drawing, no wrapping)."""
    return " ".join(re.sub(r"[│×╰─▶├╭┬┴┼┤┌┐└┘]", " ", text).split())


class Errors(CliTest):
    def test_a_bad_file_is_a_model_format_error_naming_the_file(self) -> None:
        bad = self.tmp / "bad.qw"
        bad.write_bytes(b"this is not a model\n")
        with self.assertRaises(qrnn.ModelFormatError) as cm:
            qrnn.load(bad)
        e = cm.exception
        self.assertIsInstance(e, qrnn.QrnnError)
        self.assertIn(str(bad), str(e))
        self.assertEqual(e.code, "qrnn::qw::magic")
        self.assertIn(str(bad), e.report)
        # the message is the one the CLI prints
        p = self.cli("inspect", bad, ok=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(plain(str(e)), plain(p.stderr))

    def test_a_corrupted_model_names_the_checksum(self) -> None:
        data = bytearray(DEMO.read_bytes())
        data[200] ^= 0x01
        bad = self.tmp / "flipped.qw"
        bad.write_bytes(bytes(data))
        with self.assertRaises(qrnn.ModelFormatError) as cm:
            qrnn.load(bad)
        p = self.cli("inspect", bad, ok=False)
        self.assertIn(cm.exception.code, p.stderr)
        self.assertIn(plain(str(cm.exception)), plain(p.stderr))
        with self.assertRaises(qrnn.ModelFormatError):
            qrnn.Model.from_bytes(bytes(data))

    def test_a_missing_file(self) -> None:
        with self.assertRaises(qrnn.ModelFormatError) as cm:
            qrnn.load(self.tmp / "missing.qw")
        self.assertEqual(cm.exception.code, "qrnn::io")
        self.assertIn("missing.qw", str(cm.exception))

    def test_data_errors(self) -> None:
        m = qrnn.load(DEMO)
        with self.assertRaises(qrnn.DataError):
            m.run(np.zeros((3, 5)))
        with self.assertRaises(qrnn.DataError):
            m.run(np.array([[0.5, np.nan, 0, 0]]))
        with self.assertRaises(qrnn.DataError):
            m.run(np.array([[0.5, 0, 0, 0]]), raw=True)  # not an integer
        with self.assertRaises(qrnn.DataError) as cm:
            m.run(np.array([[1000, 0, 0, 0]]), raw=True)  # outside fixed<8,6>
        self.assertEqual(cm.exception.code, "qrnn::golden::input")
        with self.assertRaises(qrnn.DataError) as cm:
            m.evaluate([np.zeros((2, 4))], labels=[7])
        self.assertEqual(cm.exception.code, "qrnn::eval::label")
        with self.assertRaises(qrnn.DataError):
            m.evaluate(self.tmp / "nothing.json")

    def test_option_and_generate_errors(self) -> None:
        m = qrnn.load(DEMO)
        with self.assertRaises(qrnn.OptionError):
            m.renamed("no spaces allowed")
        with self.assertRaises(qrnn.GenerateError) as cm:
            m.generate(self.tmp / "hw", board="no-such-board")
        self.assertIsInstance(cm.exception, qrnn.QrnnError)
        with self.assertRaises(qrnn.GenerateError) as cm:
            m.generate(self.tmp / "hw", fold="layer0=2by8")
        self.assertEqual(cm.exception.code, "qrnn::gen::fold")
        with self.assertRaises(qrnn.GenerateError) as cm:
            m.generate(self.tmp / "hw", fold=["layer9=2x2"])
        self.assertEqual(cm.exception.code, "qrnn::rtl::fold")
        self.assertIn("layer9", str(cm.exception))
        with self.assertRaises(qrnn.GenerateError):
            m.generate(self.tmp / "hw", target="ecp5", weights="spram")
        with self.assertRaises(qrnn.OptionError):
            qrnn.train(EXAMPLES / "demo-data.json", quant="int8")
        with self.assertRaises(qrnn.OptionError):
            qrnn.import_file(IMPORT / "lstm_h4.safetensors", reference="middle")


# ---------------------------------------------------------------------- files


class Convert(CliTest):
    def test_round_trip_equals_the_cli(self) -> None:
        toml = self.tmp / "demo.qw.toml"
        m = qrnn.convert(DEMO, toml)
        self.cli("convert", DEMO, self.tmp / "cli.qw.toml", "-q")
        self.assertEqual(toml.read_bytes(), (self.tmp / "cli.qw.toml").read_bytes())
        self.assertEqual(m.to_text(), toml.read_text())
        back = qrnn.convert(toml, self.tmp / "back.qw")
        self.assertEqual((self.tmp / "back.qw").read_bytes(), DEMO.read_bytes())
        self.assertEqual(back, qrnn.load(DEMO))
        renamed = qrnn.convert(DEMO, self.tmp / "r.qw", name="other")
        self.cli("convert", DEMO, self.tmp / "r-cli.qw", "--name", "other", "-q")
        self.assertEqual((self.tmp / "r.qw").read_bytes(), (self.tmp / "r-cli.qw").read_bytes())
        self.assertEqual(renamed.name, "other")

    def test_bytes_text_and_save(self) -> None:
        m = qrnn.load(DEMO)
        self.assertEqual(m.to_bytes(), DEMO.read_bytes())
        self.assertEqual(qrnn.Model.from_bytes(m.to_bytes()), m)
        self.assertEqual(qrnn.Model.from_bytes(m.to_text()), m)
        m.save(self.tmp / "saved.qw")
        m.save(self.tmp / "saved.qw.toml")
        self.assertEqual((self.tmp / "saved.qw").read_bytes(), DEMO.read_bytes())
        self.assertEqual(qrnn.load(self.tmp / "saved.qw.toml"), m)
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["saved.qw", "saved.qw.toml"])
        self.assertEqual(m.renamed("x").name, "x")
        self.assertNotEqual(m.renamed("x").hash, m.hash)


# ---------------------------------------------------------------------- evaluation


class Evaluate(CliTest):
    def test_a_labelled_set_file_and_arrays(self) -> None:
        data = EXAMPLES / "demo-data.json"
        m = qrnn.load(DEMO)
        want = self.cli_json("eval", DEMO, "--data", data, "--json")
        self.assertEqual(want["task"], "classification")
        self.assertEqual(m.evaluate(data), want)
        ds = json.loads(data.read_text())
        got = m.evaluate(np.array(ds["sequences"]), labels=np.array(ds["labels"]))
        # the same figures from arrays (the JSON's decimals parsed by Python here, by serde_json
        # there: the deviation may differ in the last place)
        for k in ("golden_accuracy", "float_accuracy", "agreement", "sequences", "task"):
            self.assertEqual(got[k], want[k], k)
        self.assertAlmostEqual(got["max_abs_deviation"], want["max_abs_deviation"], places=12)

    def test_regression_and_deviation(self) -> None:
        m = qrnn.load(DEMO)
        rng = np.random.default_rng(5)
        seqs = [rng.integers(-64, 65, size=(t, 4)) / 64 for t in (3, 6, 4)]  # dyadic: exact in JSON
        targets = [rng.integers(-32, 33, size=(len(s), 3)) / 32 for s in seqs]
        path = self.tmp / "reg.json"
        qrnn.save_dataset(path, seqs, targets=targets)
        want = self.cli_json("eval", DEMO, "--data", path, "--json")
        self.assertEqual(want["task"], "regression")
        self.assertEqual(m.evaluate(path), want)
        got = m.evaluate(seqs, targets=targets)
        self.assertEqual({k: v for k, v in got.items()}, want)
        one = EXAMPLES / "demo-seq.json"
        self.assertEqual(m.evaluate(one), self.cli_json("eval", DEMO, "--data", one, "--json"))
        dev = m.evaluate(seqs)
        self.assertEqual(dev["task"], "deviation")
        self.assertEqual(dev["sequences"], 3)

    def test_a_named_source(self) -> None:
        gp = EXAMPLES / "trained-gunpoint-gru-ternary.qw"
        p = self.cli("eval", gp, "--data", "ucr:GunPoint", "--json", ok=False)
        if p.returncode != 0:
            if REQUIRE_DATA:
                self.fail(f"ucr:GunPoint: {p.stderr}")
            self.skipTest("the packaged data sets are not installed (scripts/setup-data.sh)")
        want = json.loads(p.stdout)
        got = qrnn.load(gp).evaluate("ucr:GunPoint")
        self.assertEqual(got, want)
        self.assertEqual(got["golden_accuracy"], qrnn.load(gp).provenance["metrics"]["golden_accuracy"])


# ---------------------------------------------------------------------- import


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays: 8-byte little-endian header length, JSON header
    (name → dtype, shape, data_offsets), then the data."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    dtypes = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "U8": "u1", "I8": "i1", "I32": "<i4", "I64": "<i8"}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


class Import(CliTest):
    def test_a_state_dict_of_numpy_arrays_equals_the_cli_import(self) -> None:
        for stem, opts, args in [
            ("lstm_h4", {"quant": "ternary"}, ["--quant", "ternary"]),
            ("lstm_h4", {"quant": "quaternary", "per_row": True, "pow2": True},
             ["--quant", "quaternary", "--per-row", "--pow2"]),
            ("lstm_larq_h5", {"larq_bits": True}, ["--larq-bits"]),
        ]:
            with self.subTest(stem=stem, opts=opts):
                src = IMPORT / f"{stem}.safetensors"
                sd = read_safetensors(src)
                m = qrnn.import_state_dict(sd, source=stem, **opts)
                out = self.tmp / f"{stem}.qw"
                cli = self.cli_json("import", src, *args, "-o", out, "--json", "-q")
                # the same tensors serialise to the file's bytes: the same model, provenance and all
                self.assertEqual(m.to_bytes(), out.read_bytes())
                self.assertEqual(m.hash, cli["hash"])
                self.assertEqual(m.report, {k: v for k, v in cli.items() if k != "output"})
                self.assertEqual(m, qrnn.import_file(src, **opts))

    def test_an_npz_state_dict(self) -> None:
        src = IMPORT / "gru_h3_2layers.npz"
        out = self.tmp / "gru.qw"
        self.cli("import", src, "-o", out, "-q")
        cli_model = qrnn.load(out)
        self.assertEqual(qrnn.import_file(src), cli_model)
        with np.load(src) as z:
            sd = {k: z[k] for k in z.files}
        m = qrnn.import_state_dict(sd, source="gru_h3_2layers")
        # other container, other recorded sha256: the same network, weights and outputs
        self.assertEqual(m.report["import"]["format"], "safetensors")
        self.assertEqual(m.info()["layers"], cli_model.info()["layers"])
        self.assertEqual(m.info()["head"], cli_model.info()["head"])
        x = sequence(m, 6, 3)
        self.assertEqual(m.run(x).outputs.tolist(), cli_model.run(x).outputs.tolist())

    def test_import_errors(self) -> None:
        sd = read_safetensors(IMPORT / "lstm_h4.safetensors")
        del sd[next(k for k in sd if k.endswith("weight_hh_l0"))]
        with self.assertRaises(qrnn.StateDictError) as cm:
            qrnn.import_state_dict(sd)
        self.assertTrue(cm.exception.code.startswith("qrnn::import::"), cm.exception.code)
        # named as the file the tensors stand for, not the temporary file they went through
        self.assertTrue(str(cm.exception).startswith("state_dict.safetensors: "), str(cm.exception))
        self.assertIn("weight_hh_l0", str(cm.exception))
        self.assertNotIn(tempfile.gettempdir(), cm.exception.report)
        with self.assertRaises(qrnn.StateDictError):
            qrnn.import_state_dict({"x": np.zeros(3, dtype=np.complex64)})


# ---------------------------------------------------------------------- generate


def tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


class Generate(CliTest):
    def assert_same_project(self, py: Path, cli: Path) -> None:
        a, b = tree(py), tree(cli)
        # the CLI's project file records its command line; Python writes none
        b.pop("qrnn.toml", None)
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            if name == "README.md":
                # ... and its README then has a section about that file
                self.assertTrue(b[name].startswith(a[name]), name)
            else:
                self.assertEqual(a[name], b[name], name)

    def test_the_files_are_the_cli_files(self) -> None:
        m = qrnn.load(DEMO)
        r = m.generate(self.tmp / "py-hw", target="ice40")
        self.cli("gen", DEMO, "--target", "ice40", "-o", self.tmp / "cli-hw", "-q")
        self.assert_same_project(self.tmp / "py-hw", self.tmp / "cli-hw")
        self.assertEqual(r["manifest"], json.loads((self.tmp / "py-hw" / "qrnn.json").read_text()))
        self.assertIn("Makefile", r["files"])
        # an existing project is replaced only with force
        with self.assertRaises(qrnn.GenerateError) as cm:
            m.generate(self.tmp / "py-hw")
        self.assertEqual(cm.exception.code, "qrnn::gen::exists")
        m.generate(self.tmp / "py-hw", force=True)

    def test_a_board_project_with_options(self) -> None:
        m = qrnn.load(EXAMPLES / "tiny-gru-quaternary.qw.toml")
        opts = dict(board="icebreaker", fold=["all=2x4"], sim_steps=[3, 5], seed=7)
        r = m.generate(self.tmp / "py-hw", **opts)
        self.cli("gen", EXAMPLES / "tiny-gru-quaternary.qw.toml", "--board", "icebreaker",
                 "--fold", "all=2x4", "--sim-steps", "3,5", "--seed", "7",
                 "-o", self.tmp / "cli-hw", "-q")
        self.assert_same_project(self.tmp / "py-hw", self.tmp / "cli-hw")
        self.assertEqual(r["manifest"]["board"], "icebreaker")
        self.assertTrue(any("core clock" in n for n in r["notes"]), r["notes"])

    def test_fit(self) -> None:
        m = qrnn.load(DEMO)
        r = m.generate(self.tmp / "py-fit", fit=True, device="up5k")
        self.cli("gen", DEMO, "--fit", "--device", "up5k", "-o", self.tmp / "cli-fit", "-q")
        self.assert_same_project(self.tmp / "py-fit", self.tmp / "cli-fit")
        self.assertIsNotNone(r["table"])


# ---------------------------------------------------------------------- train


class Train(CliTest):
    def test_a_short_run_equals_the_cli_run(self) -> None:
        data = EXAMPLES / "demo-data.json"
        epochs: list[dict] = []
        opts = dict(cell="gru", hidden=4, epochs=3, batch=8, seed=3, patience=0, name="short")
        m = qrnn.train(data, progress=epochs.append, **opts)
        self.assertIsInstance(m, qrnn.Model)
        self.assertEqual((m.input_len, m.output_len, m.cell, m.scheme), (4, 3, "gru", "ternary"))
        self.assertEqual([e["epoch"] for e in epochs], [1, 2, 3])
        self.assertEqual(m.report["epochs"], 3)
        self.assertIn("golden_accuracy", m.report["metrics"])
        self.assertEqual(m.provenance["metrics"]["golden_accuracy"], m.report["metrics"]["golden_accuracy"])
        out = self.tmp / "short.qw"
        cli = self.cli_json("train", "--data", data, "--cell", "gru", "--hidden", 4, "--epochs", 3,
                            "--batch", 8, "--seed", 3, "--patience", 0, "-o", out, "--json", "-q")
        # deterministic training: the same model, bit for bit
        self.assertEqual(m.hash, cli["hash"])
        self.assertEqual(m.to_bytes(), out.read_bytes())
        self.assertEqual(m.report["metrics"], cli["metrics"])

    def test_a_failing_callback_is_raised_after_training(self) -> None:
        def boom(_: dict) -> None:
            raise RuntimeError("stop")

        with self.assertRaises(RuntimeError):
            qrnn.train(EXAMPLES / "demo-data.json", hidden=2, epochs=1, progress=boom)


if __name__ == "__main__":
    unittest.main()
