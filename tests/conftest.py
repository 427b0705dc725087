"""Fixtures shared by all tests: a scratch data directory with a migrated SQLite database."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from essor.db import dispose_engines
from essor.knowledge.index import reset_backends
from essor.migrate import upgrade
from essor.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # a checkout elsewhere: look beside the repository's parent
    SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def make_settings(root: Path) -> Settings:
    s = Settings(data_dir=root / "data", _env_file=None)  # type: ignore[call-arg]
    upgrade(s)
    return s


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    yield make_settings(tmp_path)
    dispose_engines()
    reset_backends()


def shared_corpus(name: str) -> Path:
    path = SHARED_DATA / name / "corpus.jsonl"
    if not path.exists():
        pytest.fail(f"shared data missing: {path} (the tests need ../shared/data)")
    return path


def corpus_sample(name: str, dest: Path, n: int) -> Path:
    """The first ``n`` records of a shared corpus, as a JSONL file of its own."""
    out = dest / f"{name}-{n}.jsonl"
    with shared_corpus(name).open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as fh:
        fh.writelines(itertools.islice(src, n))
    return out


def load_questions(name: str) -> list[dict[str, object]]:
    path = SHARED_DATA / name / "questions-dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
