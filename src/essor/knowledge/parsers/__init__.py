"""Turn uploaded files into ``ParsedDocument``s, refusing hostile or unreadable ones clearly.

``parse_file`` handles the one-document formats. PDF, DOCX and HTML are parsed in a sandboxed
child process under a timeout and a memory cap (see ``sandbox``); plain text and markdown are
parsed here, by linear-time code of our own. ``iter_jsonl`` streams a corpus file of many
documents, one per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from essor.knowledge.parsers.base import ParsedDocument, ParsedSection, ParseError
from essor.knowledge.parsers.markdown import parse_markdown
from essor.knowledge.parsers.text import parse_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ParseError",
    "ParsedDocument",
    "ParsedSection",
    "detect_format",
    "iter_jsonl",
    "parse_file",
]

_FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".jsonl": "jsonl",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
_IN_PROCESS = {"markdown": parse_markdown, "text": parse_text}
_LANGUAGES = frozenset({"fr", "en"})
# Record fields that map onto ParsedDocument attributes; the other scalars become metadata.
_RECORD_FIELDS = frozenset({"id", "title", "text", "url", "language", "passages"})


def detect_format(path: Path) -> str | None:
    """The parser format for ``path`` from its suffix, or None when it is not supported."""
    return _FORMATS.get(path.suffix.lower())


def parse_file(path: Path, *, max_bytes: int, timeout: float) -> ParsedDocument:
    """Parse one document; ParseError (with a reason for the person) when it cannot be used."""
    fmt = detect_format(path)
    if fmt is None:
        shown = path.suffix or "(no extension)"
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ParseError(f"unsupported file type {shown}; supported: {supported}")
    if fmt == "jsonl":
        raise ParseError("a .jsonl file holds many documents; import it as a corpus instead")
    size = _checked_size(path, max_bytes)
    if size == 0:
        raise ParseError("the file is empty")
    if fmt in _IN_PROCESS:
        document = _IN_PROCESS[fmt](path.read_bytes(), path.stem)
    else:
        # Imported on use: running the sandbox module as the child's __main__ must not find it
        # already imported by this package.
        from essor.knowledge.parsers.sandbox import run_sandboxed

        document = run_sandboxed(fmt, path, timeout=timeout)
    document.check()
    return document


def iter_jsonl(path: Path, *, max_bytes: int) -> Iterator[tuple[int, ParsedDocument | ParseError]]:
    """``(line number, document or error)`` for each non-blank line, streamed.

    A bad line yields its ParseError and the iteration goes on; a file over ``max_bytes`` yields a
    single error numbered 0. Reasons never quote the line's content.
    """
    try:
        _checked_size(path, max_bytes)
    except ParseError as exc:
        yield 0, exc
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield number, _record_document(raw)
            except ParseError as exc:
                yield number, exc


def _checked_size(path: Path, max_bytes: int) -> int:
    """The file's size from stat, refused before anything is read when it is over the limit."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ParseError(f"the file cannot be read ({exc.strerror or 'not found'})") from None
    if not path.is_file():
        raise ParseError("not a regular file")
    if info.st_size > max_bytes:
        raise ParseError(
            f"the file is {_megabytes(info.st_size)}, over the {_megabytes(max_bytes)} limit"
        )
    return info.st_size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _record_document(raw: bytes) -> ParsedDocument:
    try:
        record = json.loads(raw)
    except UnicodeDecodeError:
        raise ParseError("the line is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ParseError(f"a record must be a JSON object, not {type(record).__name__}")
    record_id = record.get("id")
    if isinstance(record_id, bool) or not isinstance(record_id, str | int) or record_id == "":
        raise ParseError("the record has no id")
    doc_id = str(record_id)
    text = record.get("text")
    if not isinstance(text, str):
        raise ParseError(f"record {doc_id!r} has no text")
    sections: list[ParsedSection] = []
    passages = record.get("passages")
    if passages:
        joined, sections = _passages(doc_id, passages)
        if sections:  # passages that are all blank leave the record's own text
            text = joined
    if not text.strip():
        raise ParseError(f"record {doc_id!r} has an empty text")
    title = _string(record.get("title")) or doc_id
    if not sections:
        sections = [ParsedSection(title=title, path=(), start=0, end=len(text))]
    language = _string(record.get("language")).lower()[:2]
    document = ParsedDocument(
        title=title,
        text=text,
        sections=sections,
        format="jsonl",
        external_id=doc_id,
        url=_string(record.get("url")) or None,
        language=language if language in _LANGUAGES else None,
        metadata=_metadata(record),
    )
    document.check()
    return document


def _passages(doc_id: str, passages: Any) -> tuple[str, list[ParsedSection]]:
    """Document text = passage texts joined by a blank line; one section per passage."""
    if not isinstance(passages, list):
        raise ParseError(f"record {doc_id!r}: passages must be a list")
    parts: list[str] = []
    sections: list[ParsedSection] = []
    pos = 0
    for index, passage in enumerate(passages):
        if not isinstance(passage, dict) or not isinstance(passage.get("text"), str):
            raise ParseError(f"record {doc_id!r}: passage {index} has no text")
        passage_text: str = passage["text"]
        if not passage_text.strip():
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        passage_title = _string(passage.get("title"))
        passage_id = passage.get("id")
        sections.append(
            ParsedSection(
                title=passage_title,
                path=(passage_title,) if passage_title else (),
                start=pos,
                end=pos + len(passage_text),
                external_id=str(passage_id) if isinstance(passage_id, str | int) else None,
            )
        )
        parts.append(passage_text)
        pos += len(passage_text)
    return "".join(parts), sections


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _metadata(record: dict[str, Any]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for key, value in record.items():
        if key in _RECORD_FIELDS or value is None:
            continue
        if isinstance(value, str | int | float | bool):
            metadata[key] = str(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            metadata[key] = ", ".join(value)
    return metadata
