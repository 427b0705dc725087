"""Run the PDF, DOCX or HTML extractor in a throw-away child process with hard limits.

pypdf, python-docx and lexbor parse hostile input: a crafted file can make them loop, recurse or
allocate without bound (lexbor, for one, takes time quadratic in the nesting depth: 100,000
unclosed ``<div>``, 500 KB, keep it busy for over 20 s). In the child, address space is capped
(RLIMIT_AS) so a bomb ends in MemoryError rather than swapping the server, CPU time is capped
(RLIMIT_CPU) as a second stop, and the parent kills the child when the wall-clock timeout
passes. The child answers with one JSON object on stdout; anything else counts as a failed parse.

Child usage: ``python -m essor.knowledge.parsers.sandbox FORMAT PATH MEMORY_BYTES CPU_SECONDS``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from essor.knowledge.parsers.base import ParsedDocument, ParsedSection, ParseError

MEMORY_LIMIT_BYTES = 1024**3
SANDBOXED_FORMATS = frozenset({"pdf", "docx", "html"})
_SRC_ROOT = Path(__file__).resolve().parents[3]
_log = logging.getLogger(__name__)


def run_sandboxed(
    fmt: str, path: Path, *, timeout: float, memory_bytes: int = MEMORY_LIMIT_BYTES
) -> ParsedDocument:
    """Parse ``path`` as ``fmt`` in a child process; ParseError for anything short of success."""
    if fmt not in SANDBOXED_FORMATS:
        raise ValueError(f"no sandboxed extractor for {fmt!r}")
    cpu_seconds = math.ceil(timeout) + 1
    command = [sys.executable, "-m", __name__, fmt, str(path), str(memory_bytes), str(cpu_seconds)]
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=_child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        # subprocess.run has already killed (SIGKILL) and reaped the child.
        raise ParseError(_too_slow(fmt, timeout)) from None
    if done.stderr:
        _log.debug("%s parser stderr: %s", fmt, done.stderr[-2000:].decode("utf-8", "replace"))
    if done.returncode < 0:
        raise ParseError(_killed_reason(fmt, -done.returncode, timeout))
    try:
        payload = json.loads(done.stdout)
    except ValueError:
        raise ParseError(
            f"the {fmt.upper()} parser failed unexpectedly (exit status {done.returncode})"
        ) from None
    return _from_payload(fmt, payload)


def _child_env() -> dict[str, str]:
    # The child must import this package whether it is installed or only on sys.path (src/).
    env = dict(os.environ)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(_SRC_ROOT) + (os.pathsep + existing if existing else "")
    return env


def _too_slow(fmt: str, timeout: float) -> str:
    return (
        f"{fmt.upper()} took longer than {timeout:g} s to parse and was stopped "
        "(the file may be malicious or pathologically complex)"
    )


def _killed_reason(fmt: str, signum: int, timeout: float) -> str:
    if signum == signal.SIGXCPU:
        return _too_slow(fmt, timeout)
    if signum == signal.SIGKILL:
        return f"{fmt.upper()} parsing was stopped: it needed too much memory or time"
    return f"the {fmt.upper()} parser crashed on this file (signal {signum})"


def _from_payload(fmt: str, payload: Any) -> ParsedDocument:
    """Rebuild the document from the child's JSON, trusting nothing about its shape."""
    invalid = ParseError(f"the {fmt.upper()} parser returned an invalid result")
    if not isinstance(payload, dict):
        raise invalid
    if not payload.get("ok"):
        reason = payload.get("reason")
        raise ParseError(reason if isinstance(reason, str) and reason else invalid.reason)
    doc: Any = payload.get("document")
    try:
        sections = [
            ParsedSection(
                title=str(s["title"]),
                path=tuple(str(p) for p in s["path"]),
                start=int(s["start"]),
                end=int(s["end"]),
                external_id=None if s["external_id"] is None else str(s["external_id"]),
            )
            for s in doc["sections"]
        ]
        return ParsedDocument(
            title=str(doc["title"]),
            text=str(doc["text"]),
            sections=sections,
            format=str(doc["format"]),
            metadata={str(k): str(v) for k, v in doc["metadata"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise invalid from None


# ---- child side ---------------------------------------------------------------------------


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: only the parent's wall-clock timeout protects us
        return
    # A hard limit one second above the soft one: SIGXCPU first, SIGKILL if that is ignored.
    limits = (
        (resource.RLIMIT_AS, (memory_bytes, memory_bytes)),
        (resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1)),
    )
    for resource_id, soft_hard in limits:
        # Refused when the host already set a lower hard limit: that stricter one then holds.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource_id, soft_hard)


def _extract(fmt: str, path: Path) -> ParsedDocument:
    # Imported on use: pypdf, python-docx and lxml load only in the child that needs them.
    if fmt == "pdf":
        from essor.knowledge.parsers.pdf import extract_pdf

        return extract_pdf(path)
    if fmt == "docx":
        from essor.knowledge.parsers.docx import extract_docx

        return extract_docx(path)
    from essor.knowledge.parsers.html import parse_html

    return parse_html(path.read_bytes(), path.stem)


def main(argv: list[str]) -> int:
    fmt, path, memory_bytes, cpu_seconds = argv
    _apply_limits(int(memory_bytes), int(cpu_seconds))
    label = fmt.upper()
    try:
        payload: dict[str, Any] = {"ok": True, "document": asdict(_extract(fmt, Path(path)))}
        output = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except ParseError as exc:
        output = json.dumps({"ok": False, "reason": exc.reason}).encode("utf-8")
    except MemoryError:
        reason = (
            f"{label} rejected: parsing it needs more than {int(memory_bytes) // 2**20} MiB of "
            "memory (a decompression bomb, or a file too large or complex to index)"
        )
        output = json.dumps({"ok": False, "reason": reason}).encode("utf-8")
    except RecursionError:
        reason = f"{label} rejected: its structure is nested too deeply to be read"
        output = json.dumps({"ok": False, "reason": reason}).encode("utf-8")
    except Exception as exc:  # a parser bug is still this file's failure, reported by type only
        reason = f"the {label} parser could not read this file ({type(exc).__name__})"
        output = json.dumps({"ok": False, "reason": reason}).encode("utf-8")
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
