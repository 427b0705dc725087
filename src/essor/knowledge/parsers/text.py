"""Plain text, the text decoding every text-like parser shares, and the outline builder.

``OutlineBuilder`` lives here because markdown, HTML and DOCX all reduce to the same thing: a
run of headings and body blocks laid end to end, with each section's offsets pointing at its body.
"""

from __future__ import annotations

import codecs
import contextlib

from essor.knowledge.parsers.base import ParsedDocument, ParsedSection, ParseError

TITLE_MAX_CHARS = 120


def decode_text(data: bytes, *, declared: str | None = None) -> str:
    """Bytes to ``str`` with ``\\n`` line ends; UTF-8 first, cp1252 only when UTF-8 fails.

    ``declared`` is an encoding the file names itself (an HTML ``<meta charset>``); it is tried
    after a BOM and before the UTF-8/cp1252 guesses, and ignored when Python does not know it.
    """
    candidates: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append("utf-16")
    else:
        if b"\x00" in data[:8192]:
            # UTF-8 and cp1252 text never hold NUL; this is a binary file with a text suffix.
            raise ParseError("file looks binary, not text (it contains NUL bytes)")
        if declared:
            with contextlib.suppress(LookupError):  # an unknown label is just ignored
                candidates.append(codecs.lookup(declared).name)
        candidates += ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return normalise_newlines(text)
    raise ParseError("text could not be decoded (neither UTF-8 nor Windows-1252)")


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def short_title(text: str, fallback: str) -> str:
    """The first non-empty line when it reads like a title, else ``fallback``."""
    for line in text.split("\n", 50)[:50]:
        stripped = " ".join(line.split())
        if stripped:
            return stripped if len(stripped) < TITLE_MAX_CHARS else fallback
    return fallback


def parse_text(data: bytes, stem: str) -> ParsedDocument:
    text = decode_text(data).strip("\n")
    title = short_title(text, stem)
    return ParsedDocument(
        title=title,
        text=text,
        sections=[ParsedSection(title=title, path=(), start=0, end=len(text))],
        format="text",
    )


class OutlineBuilder:
    """Accumulates headings and body blocks into one text plus one section per headed body.

    Heading texts are written into the document text too (a reader of a chunk wants them), but
    a section's ``start``/``end`` cover only the body blocks after its heading. Sections whose
    body is empty (a heading directly followed by a sub-heading) are left out: the sub-heading's
    path already carries the parent.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self._stack: list[tuple[int, str]] = []
        self._title = ""
        self._path: tuple[str, ...] = ()
        self._start: int | None = None
        self._end = 0
        self.sections: list[ParsedSection] = []
        self.first_h1: str | None = None

    def add_heading(self, level: int, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            return
        self._close_section()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        if level == 1 and self.first_h1 is None:
            self.first_h1 = title
        self._append(title, "\n\n")
        self._title = title
        self._path = tuple(t for _, t in self._stack)

    def add_block(self, text: str, separator: str = "\n\n") -> None:
        text = text.strip()
        if not text:
            return
        start = self._append(text, separator)
        if self._start is None:
            self._start = start
        self._end = self._pos

    def build(self) -> tuple[str, list[ParsedSection]]:
        self._close_section()
        return "".join(self._parts), self.sections

    def _append(self, text: str, separator: str) -> int:
        if self._parts:
            self._parts.append(separator)
            self._pos += len(separator)
        start = self._pos
        self._parts.append(text)
        self._pos += len(text)
        return start

    def _close_section(self) -> None:
        if self._start is not None:
            self.sections.append(
                ParsedSection(title=self._title, path=self._path, start=self._start, end=self._end)
            )
        self._start = None
