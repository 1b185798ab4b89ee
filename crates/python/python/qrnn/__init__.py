"""qrnn: qrnn-hw from Python.

Quantized recurrent networks (LSTM, GRU, ConvLSTM with binary, ternary or quaternary weights) in
the versioned ``.qw`` model file: load and convert models, run the bit-exact integer golden model
and the float reference on numpy arrays, evaluate on data sets, import a PyTorch state dict given
as numpy arrays, train with quantization-aware training, and generate a hardware project.

This is a thin layer over the Rust crates of qrnn-hw (the native module ``qrnn._qrnn``): every
function makes the library calls that the matching ``qrnn-hw`` subcommand makes, so the numbers
are the same as the command line's (the test suite checks that on every bundled model). This
module only converts numpy arrays to lists and JSON results to Python objects.

Errors are raised as subclasses of :class:`QrnnError`, each with ``code`` (the diagnostic code
``qrnn-hw`` prints, e.g. ``qrnn::qw::magic``), ``help`` and ``report`` (the whole diagnostic as
the command line renders it). docs/PYTHON.md is the guide.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _qrnn
from ._qrnn import (
    DataError,
    GenerateError,
    InternalError,
    ModelFormatError,
    OptionError,
    QrnnError,
    StateDictError,
    TrainError,
)

__version__: str = _qrnn.__version__

__all__ = [
    "Model",
    "GoldenRun",
    "load",
    "convert",
    "import_state_dict",
    "import_file",
    "train",
    "save_dataset",
    "QrnnError",
    "ModelFormatError",
    "DataError",
    "StateDictError",
    "TrainError",
    "GenerateError",
    "OptionError",
    "InternalError",
]

PathLike = Union[str, "os.PathLike[str]"]
ArrayLike = Any


def _error(cls: type, message: str, code: Optional[str] = None) -> QrnnError:
    """An exception raised by this layer, with the attributes the native ones carry."""
    e = cls(message)
    e.code = code
    e.help = None
    e.report = message
    return e


class GoldenRun(NamedTuple):
    """What ``qrnn-hw run --json`` prints for one sequence.

    ``outputs``: the golden model's output integers, shape (T, outputs), int64.
    ``outputs_real``: the real values they stand for (the output format's scale), float64.
    ``float``: the float reference's outputs (``run --float``), float64, or None.
    """

    outputs: np.ndarray
    outputs_real: np.ndarray
    float: Optional[np.ndarray]


def _rows(a: Sequence[Sequence[Any]], width: int, dtype: Any) -> np.ndarray:
    """A list of rows as a 2-D array, also when it has no rows."""
    return np.array(a, dtype=dtype).reshape(len(a), width)


class Model:
    """A validated quantized recurrent model (immutable).

    Load one with :meth:`Model.load` (or :func:`load`); :func:`import_state_dict`,
    :func:`import_file` and :func:`train` make new ones.
    """

    __slots__ = ("_m", "path", "report", "_info")

    def __init__(self, native: Any, path: Optional[PathLike] = None, report: Optional[dict] = None):
        self._m = native
        #: The file it was loaded from, if any.
        self.path: Optional[str] = None if path is None else os.fspath(path)
        #: What made it: the summary of ``import --json`` or ``train --json``, if it was made here.
        self.report: Optional[dict] = report
        self._info: Optional[dict] = None

    # ------------------------------------------------------------------ files

    @classmethod
    def load(cls, path: PathLike) -> "Model":
        """Load and validate a ``.qw`` or ``.qw.toml`` file. Raises :class:`ModelFormatError`."""
        return cls(_qrnn.Model.load(os.fspath(path)), path)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Model":
        """Read a model from the bytes of a ``.qw`` file or the text of a ``.qw.toml``."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return cls(_qrnn.Model.from_bytes(bytes(data)))

    def save(self, path: PathLike) -> None:
        """Write atomically: the text twin when the path ends in ``.toml``, else binary ``.qw``."""
        self._m.save(os.fspath(path))

    def to_bytes(self) -> bytes:
        """The binary ``.qw`` file's bytes."""
        return self._m.to_bytes()

    def to_text(self) -> str:
        """The text twin (``.qw.toml``), as ``qrnn-hw convert model.qw model.qw.toml`` writes it."""
        return self._m.to_text()

    def renamed(self, name: str) -> "Model":
        """The same model under another name (1 to 64 of A-Z a-z 0-9 _ . -)."""
        return Model(self._m.renamed(name), None, self.report)

    # ------------------------------------------------------------------ description

    @property
    def name(self) -> str:
        return self._m.name

    @property
    def hash(self) -> str:
        """The model's sha256 (hex), as ``qrnn-hw inspect`` prints it."""
        return self._m.hash

    @property
    def input_len(self) -> int:
        """Values per input timestep (for ConvLSTM: height × width × channels)."""
        return self._m.input_len

    @property
    def output_len(self) -> int:
        """Values per output timestep."""
        return self._m.output_len

    def info(self) -> dict:
        """The summary of ``qrnn-hw inspect --json``: layers, shapes, schemes, scales, formats,
        accumulator widths, head, weight bits, provenance, hash."""
        if self._info is None:
            self._info = json.loads(self._m.info_json())
        return json.loads(json.dumps(self._info))

    @property
    def cell(self) -> str:
        """``lstm``, ``gru`` or ``convlstm`` (of the first layer)."""
        return self.info()["layers"][0]["cell"]

    @property
    def scheme(self) -> str:
        """The weight scheme of the first layer's input weights (``binary``, ``ternary``, …)."""
        return self.info()["layers"][0]["w"]["scheme"]

    @property
    def layers(self) -> List[dict]:
        """One dict per recurrent layer, as ``inspect --json`` lists them."""
        return self.info()["layers"]

    @property
    def input_size(self) -> int:
        """Features per timestep (channels per pixel for ConvLSTM)."""
        return self.info()["input"]["size"]

    @property
    def input_map(self) -> Optional[Tuple[int, int]]:
        """ConvLSTM: the frame's (height, width); None otherwise."""
        m = self.info()["input"]["map"]
        return None if m is None else (m[0], m[1])

    @property
    def output_size(self) -> int:
        """Values per output timestep (same as :attr:`output_len`)."""
        return self.output_len

    @property
    def provenance(self) -> dict:
        """Tool, data set, task, seed, epochs, metrics and notes recorded in the file."""
        return self.info()["provenance"]

    def summary(self) -> str:
        """A short text summary (``qrnn-hw inspect`` prints the full one)."""
        i = self.info()
        inp = i["input"]
        lines = [f"model   {i['name']}", f"hash    sha256:{i['hash']}"]
        if inp["map"] is not None:
            h, w = inp["map"]
            lines.append(f"input   {h}×{w} frames, {inp['size']} channels, {inp['format']}")
        else:
            lines.append(f"input   {inp['size']} features per timestep, {inp['format']}")
        for k, l in enumerate(i["layers"]):
            f = l["formats"]
            lines.append(
                f"layer{k}  {l['cell']} {l['input']}→{l['hidden']}"
                + (f" k{l['kernel']}" if l["kernel"] > 1 else "")
                + f", W {l['w']['scheme']} {'×'.join(map(str, l['w']['shape']))},"
                + f" U {l['u']['scheme']} {'×'.join(map(str, l['u']['shape']))},"
                + f" pre {f['pre']}, h {f['h']}" + (f", c {f['c']}" if f["c"] else "")
            )
        hd = i["head"]
        if hd is not None:
            lines.append(f"head    {hd['outputs']} outputs, {hd['scheme']}, output {hd['output']}")
        lines.append(f"weights {i['weight_bits']} bits")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return repr(self._m)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    # ------------------------------------------------------------------ running

    def _sequence(self, x: ArrayLike, what: str = "x") -> np.ndarray:
        """One sequence as a (T, input_len) array: (T, input_len) as it is, (T,) for one input,
        (T, H, W[, C]) frames for ConvLSTM (pixels in raster order, channels together: HWC)."""
        a = np.asarray(x)
        n = self.input_len
        if a.ndim == 1 and n == 1:
            a = a.reshape(-1, 1)
        elif a.ndim >= 3:
            a = a.reshape(a.shape[0], -1)
        if a.ndim != 2 or a.shape[1] != n:
            raise _error(
                DataError,
                f"{what}: expected a sequence of shape (timesteps, {n}) for model {self.name}, "
                f"found shape {np.shape(x)}",
                "qrnn::golden::input_len",
            )
        return a

    def _reals(self, x: ArrayLike, what: str = "x") -> np.ndarray:
        a = self._sequence(x, what).astype(np.float64)
        if not np.all(np.isfinite(a)):
            t, j = np.argwhere(~np.isfinite(a))[0]
            raise _error(DataError, f"{what}: timestep {t}, value {j} is {a[t, j]}, not a finite number", "qrnn::data")
        return a

    def _ints(self, x: ArrayLike, what: str = "x") -> List[List[int]]:
        a = self._sequence(x, what)
        if a.dtype.kind not in "iu":
            f = a.astype(np.float64)
            bad = ~np.isfinite(f) | (f != np.round(f)) | (np.abs(f) > 1e15)
            if np.any(bad):
                t, j = np.argwhere(bad)[0]
                raise _error(
                    DataError, f"{what}: raw input timestep {t}, value {j} is {f[t, j]}, not an integer", "qrnn::data"
                )
            a = f.astype(np.int64)
        return a.astype(np.int64).tolist()

    def quantize(self, x: ArrayLike) -> np.ndarray:
        """The integers the golden model gets for real inputs (round half up, saturate), (T, input_len)."""
        xq = self._m.quantize(self._reals(x).tolist())
        return _rows(xq, self.input_len, np.int64)

    def dequantize(self, outputs: ArrayLike) -> np.ndarray:
        """The real values of output integers (``outputs_real`` of ``run --json``)."""
        o = np.asarray(outputs, dtype=np.int64).reshape(-1, self.output_len)
        return _rows(self._m.output_reals(o.tolist()), self.output_len, np.float64)

    def run(self, x: ArrayLike, *, raw: bool = False, float: bool = False) -> GoldenRun:
        """Run one sequence through the golden model, as ``qrnn-hw run MODEL --input X --json``.

        ``x``: shape (T, input_len) of real values, quantized to the model's input format exactly
        as the command line does; with ``raw=True``, integers already in that format. With
        ``float=True`` the float reference runs too (``run --float``). Raises :class:`DataError`
        for a wrong shape or an input outside the format.
        """
        if raw:
            xq = self._ints(x)
            reals = self._m.input_reals(xq)
        else:
            r = self._reals(x)
            reals = r.tolist()
            xq = self._m.quantize(reals)
        outs = self._m.run(xq)
        real = self._m.output_reals(outs)
        fl = _rows(self._m.run_float(reals), self.output_len, np.float64) if float else None
        return GoldenRun(
            _rows(outs, self.output_len, np.int64),
            _rows(real, self.output_len, np.float64),
            fl,
        )

    def run_float(self, x: ArrayLike, *, raw: bool = False) -> np.ndarray:
        """The float reference's outputs (f64, unquantized activations), shape (T, outputs)."""
        reals = self._m.input_reals(self._ints(x)) if raw else self._reals(x).tolist()
        return _rows(self._m.run_float(reals), self.output_len, np.float64)

    def trace(self, x: ArrayLike, *, raw: bool = False) -> List[dict]:
        """The golden model's full trace, one dict per timestep (``run --trace t.json``): the
        quantized input ``x`` and per layer ``pre``, ``gates``, ``hn``/``c``/``tanh_c`` and ``h``,
        and ``head``."""
        xq = self._ints(x) if raw else self._m.quantize(self._reals(x).tolist())
        return json.loads(self._m.trace_json(xq))

    # ------------------------------------------------------------------ evaluation

    def evaluate(
        self,
        data: Union[PathLike, ArrayLike],
        *,
        labels: Optional[ArrayLike] = None,
        targets: Optional[ArrayLike] = None,
    ) -> dict:
        """Golden model against the float reference on a data set, as ``qrnn-hw eval --json``.

        ``data`` is what ``eval --data`` takes — a JSON data set file, a single sequence file
        (deviation only) or a named source (``"ucr:GunPoint"``, ``"digits-moving"``, …: its test
        split, prepared as the model's provenance records) — or the sequences themselves: an
        array (N, T, input_len) or a list of (T, input_len) arrays, with ``labels`` (N class
        indices: accuracy) or ``targets`` (N × (T, outputs): MSE) or neither (deviation only).
        Returns the figures: ``golden_accuracy``, ``float_accuracy``, ``agreement`` or
        ``golden_mse``, ``float_mse``; ``max_abs_deviation``, ``mean_abs_deviation``, …
        """
        if isinstance(data, (str, os.PathLike)):
            if labels is not None or targets is not None:
                raise _error(OptionError, "labels and targets go with sequences, not with a file or source", "qrnn::option")
            return json.loads(self._m.evaluate_spec(os.fspath(data)))
        seqs = [self._reals(s, f"sequences[{i}]").tolist() for i, s in enumerate(data)]
        lab = None
        if labels is not None:
            la = np.asarray(labels)
            if la.dtype.kind not in "iu" or np.any(la < 0):
                raise _error(DataError, "labels: expected class indices 0..N-1 (non-negative integers)", "qrnn::data")
            lab = [int(v) for v in la.reshape(-1)]
        tg = None
        if targets is not None:
            tg = [np.asarray(t, dtype=np.float64).reshape(-1, self.output_len).tolist() for t in targets]
        return json.loads(self._m.evaluate_data(seqs, lab, tg))

    # ------------------------------------------------------------------ hardware

    def generate(
        self,
        output: PathLike,
        *,
        target: Optional[str] = None,
        board: Optional[str] = None,
        device: Optional[str] = None,
        fit: bool = False,
        allow_overfit: bool = False,
        fold: Union[str, Sequence[str]] = (),
        weights: str = "auto",
        place: Union[str, Sequence[str]] = (),
        pipeline: Optional[str] = None,
        target_rate: Optional[float] = None,
        clock_mhz: Optional[float] = None,
        sim_steps: Sequence[int] = (),
        seed: int = 1,
        force: bool = False,
    ) -> dict:
        """Write a hardware project into the directory ``output``, as ``qrnn-hw gen`` does (the
        options are its options: ``fold=["layer0=2x8"]`` is ``--fold layer0=2x8``).

        The files are those ``gen`` writes for the same options (Verilog and ROMs, the testbench
        with the golden model's vectors, Makefile, qrnn.json, README.md), without the project file
        ``qrnn.toml`` (it records a ``gen`` command line). Returns ``output``, ``files``, the
        ``manifest`` (qrnn.json), the fit or feasibility ``table`` and ``notes``. Raises
        :class:`GenerateError`.
        """
        fold = [fold] if isinstance(fold, str) else list(fold)
        place = [place] if isinstance(place, str) else list(place)
        r = self._m.generate(
            os.fspath(output), target, board, device, fit, allow_overfit, fold, weights, place,
            pipeline, target_rate, clock_mhz, [int(s) for s in sim_steps], int(seed), force,
        )
        return json.loads(r)


# ---------------------------------------------------------------------- functions


def load(path: PathLike) -> Model:
    """Load and validate a ``.qw`` or ``.qw.toml`` file (:meth:`Model.load`)."""
    return Model.load(path)


def convert(input: PathLike, output: PathLike, *, name: Optional[str] = None) -> Model:
    """``qrnn-hw convert IN OUT [--name NEW]``: binary ``.qw`` ⇄ text twin ``.qw.toml`` by
    OUT's extension, optionally renamed (which also repairs a file whose name breaks the naming
    rule). Returns the model written."""
    m, _notes = _qrnn.convert(os.fspath(input), os.fspath(output), name)
    return Model(m, output)


def _options(**kw: Any) -> str:
    """The options object for the native side: the CLI's option names, None left out."""
    out = {}
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        out[k] = v
    return json.dumps(out)


_DTYPES = {
    "float32": "F32",
    "float64": "F64",
    "float16": "F16",
    "uint8": "U8",
    "int8": "I8",
    "int16": "I16",
    "uint16": "U16",
    "int32": "I32",
    "uint32": "U32",
    "int64": "I64",
    "uint64": "U64",
    "bool": "BOOL",
}


def _tensor(name: str, value: Any) -> Tuple[str, str, List[int], bytes]:
    if not isinstance(value, np.ndarray) and hasattr(value, "numpy"):
        # a torch tensor (or anything with .numpy()), without importing torch
        value = value.detach().cpu().numpy() if hasattr(value, "detach") else value.numpy()
    a = np.asarray(value)
    dt = _DTYPES.get(a.dtype.name)
    if dt is None:
        raise _error(
            StateDictError,
            f"tensor `{name}`: dtype {a.dtype} has no safetensors equivalent "
            f"(expected one of {', '.join(_DTYPES)})",
            "qrnn::import::dtype",
        )
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    return (str(name), dt, [int(d) for d in a.shape], a.tobytes())


_IMPORT_DOC = """
    Options (keyword-only; None is the command line's default), as ``qrnn-hw import``'s:
    ``quant`` (binary, ternary [default], quaternary), ``threshold`` ("twn" or a number Δ),
    ``reference`` ("max" or "unit"), ``alpha`` ("l2" or "one"), ``per_row``, ``pow2``,
    ``stochastic`` (seed), ``quant_bias``, ``quant_head``, ``larq_bits``, ``rnn_prefix``,
    ``head_prefix``, ``no_head``, ``cell`` ("lstm" or "gru"), ``name``, ``x_format``
    ("fixed<8,6>"), ``h_format``, ``c_format``, ``pre_format``, ``act_frac``, ``bias_format``
    ("auto" or a format), ``out_format``. The returned model's ``report`` is what
    ``import --json`` prints (cell, sizes, relative quantization errors, hash).
"""


def import_state_dict(
    state_dict: Mapping[str, ArrayLike],
    *,
    source: str = "state_dict",
    quant: Optional[str] = None,
    threshold: Union[str, float, None] = None,
    reference: Optional[str] = None,
    alpha: Optional[str] = None,
    per_row: Optional[bool] = None,
    pow2: Optional[bool] = None,
    stochastic: Optional[int] = None,
    quant_bias: Optional[bool] = None,
    quant_head: Optional[bool] = None,
    larq_bits: Optional[bool] = None,
    rnn_prefix: Optional[str] = None,
    head_prefix: Optional[str] = None,
    no_head: Optional[bool] = None,
    cell: Optional[str] = None,
    name: Optional[str] = None,
    x_format: Optional[str] = None,
    h_format: Optional[str] = None,
    c_format: Optional[str] = None,
    pre_format: Optional[str] = None,
    act_frac: Optional[int] = None,
    bias_format: Optional[str] = None,
    out_format: Optional[str] = None,
) -> Model:
    """Import a PyTorch ``nn.LSTM``/``nn.GRU`` (+ ``nn.Linear``) state dict given as a mapping
    of tensor names (``lstm.weight_ih_l0``, ``fc.weight``, …) to numpy arrays (or torch tensors),
    quantized after training, as ``qrnn-hw import`` does.

    The tensors are serialised as the safetensors file ``{source}.safetensors`` would hold them
    and imported from there, so the model (provenance and hash included) is the one
    ``qrnn-hw import {source}.safetensors`` writes for a file saved by
    ``safetensors.numpy.save_file(state_dict, ...)``; its name defaults to ``source``.
    Raises :class:`StateDictError` (tensors) or :class:`OptionError` (options).
    """
    tensors = [_tensor(k, v) for k, v in state_dict.items()]
    opts = _options(
        quant=quant, threshold=threshold, reference=reference, alpha=alpha, per_row=per_row,
        pow2=pow2, stochastic=stochastic, quant_bias=quant_bias, quant_head=quant_head,
        larq_bits=larq_bits, rnn_prefix=rnn_prefix, head_prefix=head_prefix, no_head=no_head,
        cell=cell, name=name, x_format=x_format, h_format=h_format, c_format=c_format,
        pre_format=pre_format, act_frac=act_frac, bias_format=bias_format, out_format=out_format,
    )
    m, report = _qrnn.import_state_dict(tensors, source, opts)
    return Model(m, None, json.loads(report))


def import_file(
    path: PathLike,
    *,
    quant: Optional[str] = None,
    threshold: Union[str, float, None] = None,
    reference: Optional[str] = None,
    alpha: Optional[str] = None,
    per_row: Optional[bool] = None,
    pow2: Optional[bool] = None,
    stochastic: Optional[int] = None,
    quant_bias: Optional[bool] = None,
    quant_head: Optional[bool] = None,
    larq_bits: Optional[bool] = None,
    rnn_prefix: Optional[str] = None,
    head_prefix: Optional[str] = None,
    no_head: Optional[bool] = None,
    cell: Optional[str] = None,
    name: Optional[str] = None,
    x_format: Optional[str] = None,
    h_format: Optional[str] = None,
    c_format: Optional[str] = None,
    pre_format: Optional[str] = None,
    act_frac: Optional[int] = None,
    bias_format: Optional[str] = None,
    out_format: Optional[str] = None,
) -> Model:
    """``qrnn-hw import FILE``: a ``.safetensors`` or ``.npz`` state dict file (the model is
    returned, not written; :meth:`Model.save` writes it)."""
    opts = _options(
        quant=quant, threshold=threshold, reference=reference, alpha=alpha, per_row=per_row,
        pow2=pow2, stochastic=stochastic, quant_bias=quant_bias, quant_head=quant_head,
        larq_bits=larq_bits, rnn_prefix=rnn_prefix, head_prefix=head_prefix, no_head=no_head,
        cell=cell, name=name, x_format=x_format, h_format=h_format, c_format=c_format,
        pre_format=pre_format, act_frac=act_frac, bias_format=bias_format, out_format=out_format,
    )
    m, report = _qrnn.import_file(os.fspath(path), opts)
    return Model(m, None, json.loads(report))


import_state_dict.__doc__ = (import_state_dict.__doc__ or "") + _IMPORT_DOC
import_file.__doc__ = (import_file.__doc__ or "") + _IMPORT_DOC


def train(
    data: PathLike,
    *,
    test: Optional[PathLike] = None,
    cell: Optional[str] = None,
    hidden: Optional[int] = None,
    layers: Optional[int] = None,
    kernel: Optional[int] = None,
    quant: Optional[str] = None,
    threshold: Union[str, float, None] = None,
    reference: Optional[str] = None,
    alpha: Optional[str] = None,
    per_row: Optional[bool] = None,
    pow2: Optional[bool] = None,
    stochastic: Optional[int] = None,
    quant_bias: Optional[bool] = None,
    quant_head: Optional[bool] = None,
    epochs: Optional[int] = None,
    lr: Optional[float] = None,
    batch: Optional[int] = None,
    seed: Optional[int] = None,
    patience: Optional[int] = None,
    val_fraction: Optional[float] = None,
    clip_norm: Optional[float] = None,
    checkpoint: Optional[PathLike] = None,
    resume: Optional[bool] = None,
    name: Optional[str] = None,
    text_len: Optional[int] = None,
    vocab: Optional[int] = None,
    embed_dim: Optional[int] = None,
    videos: Optional[int] = None,
    frames: Optional[int] = None,
    canvas: Optional[int] = None,
    stride: Optional[int] = None,
    normalize: Optional[str] = None,
    progress: Optional[Callable[[dict], None]] = None,
) -> Model:
    """Quantization-aware training, then export with calibrated formats, as ``qrnn-hw train``.

    ``data``: ``"ucr:NAME"``, ``"digits-moving"``, ``"rt-sentiment"``, ``"imdb:DIR"`` or a JSON
    data set file (:func:`save_dataset` writes one from arrays). The options are ``train``'s
    (None: its default; ``quant="none"`` trains full precision, exported as int8); the model's
    name defaults to ``"trained"``. ``progress``, if given, is called after every epoch with its
    figures (``epoch``, ``epochs``, ``train_loss``, ``val_loss``, ``val_metric``, ``best``,
    ``seconds``). The returned model's ``report`` is the summary of ``train --json`` (epochs, best
    epoch, test metrics, formats); the metrics are also in its provenance. Raises
    :class:`TrainError`, :class:`DataError` or :class:`OptionError`.
    """
    opts = _options(
        test=test, cell=cell, hidden=hidden, layers=layers, kernel=kernel, quant=quant,
        threshold=threshold, reference=reference, alpha=alpha, per_row=per_row, pow2=pow2,
        stochastic=stochastic, quant_bias=quant_bias, quant_head=quant_head, epochs=epochs, lr=lr,
        batch=batch, seed=seed, patience=patience, val_fraction=val_fraction, clip_norm=clip_norm,
        checkpoint=checkpoint, resume=resume, name=name, text_len=text_len, vocab=vocab,
        embed_dim=embed_dim, videos=videos, frames=frames, canvas=canvas, stride=stride,
        normalize=normalize,
    )
    cb = None
    if progress is not None:
        def cb(text: str) -> None:
            progress(json.loads(text))
    m, report = _qrnn.train(os.fspath(data), opts, cb)
    return Model(m, None, json.loads(report))


def save_dataset(
    path: PathLike,
    sequences: ArrayLike,
    *,
    labels: Optional[ArrayLike] = None,
    targets: Optional[ArrayLike] = None,
) -> None:
    """Write a JSON data set (``{"sequences": …, "labels"|"targets": …}``), the file format of
    ``qrnn-hw eval --data`` and ``train --data``: ``sequences`` an array (N, T, F) or a list of
    (T, F) arrays; ``labels`` N class indices, or ``targets`` N arrays (T, outputs)."""
    if (labels is None) == (targets is None):
        raise _error(OptionError, "save_dataset: give labels (classification) or targets (regression)", "qrnn::option")
    seqs = []
    for s in sequences:
        a = np.asarray(s, dtype=np.float64)
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if not np.all(np.isfinite(a)):
            raise _error(DataError, "save_dataset: a sequence holds a value that is not a finite number", "qrnn::data")
        seqs.append(a.tolist())
    doc: Dict[str, Any] = {"sequences": seqs}
    if labels is not None:
        doc["labels"] = [int(v) for v in np.asarray(labels).reshape(-1)]
    else:
        doc["targets"] = [np.asarray(t, dtype=np.float64).tolist() for t in targets]  # type: ignore[union-attr]
    tmp = os.fspath(path) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)
