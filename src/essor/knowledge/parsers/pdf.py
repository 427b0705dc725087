"""PDF text with pypdf, one section per page. Only ever imported inside the sandbox child.

Encryption policy: a PDF that opens with the empty user password (an "owner password" that only
restricts printing or copying, very common in office exports) is read like any other; one that
needs a real password is refused. AES-encrypted files need the ``cryptography`` package, which is
not a dependency, so those are refused with a reason that says so.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError, LimitReachedError, PdfReadError

from essor.knowledge.parsers.base import ParsedDocument, ParsedSection, ParseError
from essor.knowledge.parsers.text import normalise_newlines

MAX_PAGES = 2_000
# Far beyond any genuine upload's text: more means a file built to make us exhaust memory.
MAX_TEXT_CHARS = 100_000_000


def extract_pdf(path: Path) -> ParsedDocument:
    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise ParseError("not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ParseError("encrypted PDF: cannot be read without its password")
        # /Count first: it costs nothing, whereas len(pages) walks (and loads) the whole tree.
        page_count = max(_declared_page_count(reader), 0)
        if page_count <= MAX_PAGES:
            page_count = len(reader.pages)
        if page_count > MAX_PAGES:
            raise ParseError(f"PDF has {page_count} pages, more than the {MAX_PAGES} accepted")
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            pages.append(_page_text(page))
            total += len(pages[-1])
            if total > MAX_TEXT_CHARS:
                raise ParseError("PDF rejected: it expands to an implausible amount of text")
        metadata = reader.metadata
        meta_title = metadata.title if metadata is not None else None
    except ParseError:
        raise
    except DependencyError as exc:
        raise ParseError(
            "encrypted PDF: its encryption (AES) cannot be opened here; upload an unencrypted copy"
        ) from exc
    except LimitReachedError as exc:
        raise ParseError(
            "PDF rejected: a compressed stream expands beyond the safety limit (PDF bomb?)"
        ) from exc
    except PdfReadError as exc:
        raise ParseError(f"corrupt PDF: {_short(exc)}") from exc
    except (MemoryError, RecursionError):
        raise  # the sandbox turns these into their own reasons
    except Exception as exc:  # pypdf raises many plain exception types on malformed input
        raise ParseError(f"corrupt PDF: {type(exc).__name__}: {_short(exc)}") from exc
    return _document(pages, meta_title, path.stem)


def _declared_page_count(reader: PdfReader) -> int:
    pages = reader.root_object.get("/Pages")
    count = pages.get_object().get("/Count") if pages is not None else None
    return count if isinstance(count, int) else 0


def _page_text(page: PageObject) -> str:
    text = normalise_newlines(page.extract_text()).replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _document(pages: list[str], meta_title: str | None, stem: str) -> ParsedDocument:
    parts: list[str] = []
    sections: list[ParsedSection] = []
    pos = 0
    for number, page_text in enumerate(pages, start=1):
        if not page_text:
            continue  # scanned page without a text layer
        if parts:
            parts.append("\n\n")
            pos += 2
        sections.append(ParsedSection(f"Page {number}", (), pos, pos + len(page_text)))
        parts.append(page_text)
        pos += len(page_text)
    if not parts:
        raise ParseError("no text could be extracted from this PDF (a scan without OCR?)")
    title = " ".join((meta_title or "").split()) or stem
    return ParsedDocument(
        title=title,
        text="".join(parts),
        sections=sections,
        format="pdf",
        metadata={"pages": str(len(pages))},
    )


def _short(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return message[:200] if message else "unreadable structure"
