"""Word .docx with python-docx: Heading 1-6 styles give the section paths, tables are kept.

Runs inside the sandbox child; the zip is measured before python-docx (and lxml) inflate it,
so a zip bomb is refused from its directory alone.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from essor.knowledge.parsers.base import ParsedDocument, ParseError
from essor.knowledge.parsers.text import OutlineBuilder

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ENTRIES = 10_000
# Built-in heading styles keep their English name in styles.xml even in localised Word, so
# "Heading N" covers French "Titre N" documents too; the style id catches the rest.
_HEADING_NAME = re.compile(r"heading ([1-6])$", re.IGNORECASE)
_HEADING_ID = re.compile(r"(?:heading|titre|berschrift)([1-6])$", re.IGNORECASE)


def check_zip(path: Path) -> None:
    """Refuse what is not a Word archive, or what would inflate far beyond its size."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError("corrupt DOCX: not a valid zip archive") from exc
    if len(entries) > MAX_ENTRIES:
        raise ParseError(f"DOCX rejected: {len(entries)} archive entries (zip bomb?)")
    if not any(info.filename == "word/document.xml" for info in entries):
        raise ParseError("corrupt DOCX: word/document.xml is missing")
    uncompressed = sum(info.file_size for info in entries)
    compressed = sum(info.compress_size for info in entries)
    if uncompressed > MAX_UNCOMPRESSED_BYTES:
        raise ParseError(
            f"DOCX rejected: it would expand to {uncompressed // (1024 * 1024)} MB (zip bomb?)"
        )
    if uncompressed > MAX_COMPRESSION_RATIO * max(compressed, 1) and uncompressed > 1024 * 1024:
        raise ParseError("DOCX rejected: its compression ratio is implausibly high (zip bomb?)")


def extract_docx(path: Path) -> ParsedDocument:
    check_zip(path)
    # Imported here so that only the sandbox child pays for loading python-docx and lxml.
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx surfaces lxml, KeyError and zip errors alike
        raise ParseError(f"corrupt DOCX: {type(exc).__name__}") from exc
    builder = OutlineBuilder()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            builder.add_block("\n".join(_table_rows(block)))
            continue
        level = _heading_level(block)
        if level:
            builder.add_heading(level, block.text)
        else:
            builder.add_block(block.text)
    text, sections = builder.build()
    core_title = " ".join((document.core_properties.title or "").split())
    return ParsedDocument(
        title=core_title or builder.first_h1 or path.stem,
        text=text,
        sections=sections,
        format="docx",
    )


def _heading_level(paragraph: Any) -> int:
    style = paragraph.style
    if style is None:
        return 0
    match = _HEADING_NAME.match(style.name or "") or _HEADING_ID.match(style.style_id or "")
    return int(match.group(1)) if match else 0


def _table_rows(table: Any) -> list[str]:
    """One line per row, cells joined by " | "; a merged cell is reported once per row."""
    rows: list[str] = []
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cell_text = " ".join(cell.text.split())
            if cell_text:
                cells.append(cell_text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
