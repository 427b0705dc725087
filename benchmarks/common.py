"""Paths and small helpers shared by the benchmark scripts (not a test suite)."""

from __future__ import annotations

import json
import os
import platform
import resource
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
# Everything a benchmark writes (databases, index caches, scratch dirs) lives here; git-ignored.
OUT_DIR = BENCH_DIR / "out"
# The shared evaluation data; overridable so the scripts run on another machine's copy.
DATA_DIR = Path(os.environ.get("ESSOR_BENCH_DATA", "/work/shared/data"))
CORPORA = ("cdtn-travail-fr", "conditionalqa-govuk", "scifact")


def corpus_path(name: str) -> Path:
    return DATA_DIR / name / "corpus.jsonl"


def questions_path(name: str) -> Path:
    return DATA_DIR / name / "questions-dev.jsonl"


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency_summary(seconds: Sequence[float], wall: float) -> dict[str, float]:
    """p50/p95/p99 in milliseconds, and queries per second over the whole timed loop."""
    ms = np.asarray(seconds) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "qps": round(len(ms) / wall, 1) if wall > 0 else 0.0,
        "n": len(ms),
    }


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], digits: int = 3) -> None:
    """A plain fixed-width table (Markdown-compatible), so output can be pasted into docs."""
    cells = [[str(h) for h in headers], *[[_fmt(v, digits) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _fmt(value: object, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
