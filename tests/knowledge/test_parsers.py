"""Parsers on real files written in the test: good documents, hostile ones and real corpus lines."""

from __future__ import annotations

import itertools
import json
import random
import shutil
import time
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from essor.knowledge.parsers import (
    SUPPORTED_SUFFIXES,
    ParsedDocument,
    ParseError,
    detect_format,
    iter_jsonl,
    parse_file,
)
from essor.knowledge.parsers.sandbox import run_sandboxed

MAX = 50 * 1024 * 1024
TIMEOUT = 5.0
# A hostile file must be refused well within this, whatever it does to the parser.
REJECT_WITHIN = 15.0
DATA = Path("/work/shared/data")


def parse(path: Path, timeout: float = TIMEOUT) -> ParsedDocument:
    return parse_file(path, max_bytes=MAX, timeout=timeout)


def body(doc: ParsedDocument, *path: str) -> str:
    [section] = [s for s in doc.sections if s.path == path]
    return doc.text[section.start : section.end]


def rejected(path: Path, timeout: float = TIMEOUT) -> tuple[str, float]:
    """Parse a file that must fail; the reason and how long the refusal took."""
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse(path, timeout)
    elapsed = time.monotonic() - started
    assert elapsed < REJECT_WITHIN, f"took {elapsed:.1f} s to reject {path.name}"
    return caught.value.reason, elapsed


# ---- PDF construction (by hand, so the hostile variants are exactly what they claim) -----------

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF whose object i+1 is objects[i], object 1 the catalog, with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(data: bytes, flate: bool = False) -> bytes:
    extra = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def text_content(*lines: str) -> bytes:
    shown = b" ".join(b"(%s) Tj 0 -16 Td" % line.encode("latin-1") for line in lines)
    return b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"


def pages_pdf(contents: list[bytes], kids_extra: bytes = b"") -> bytes:
    """Catalog, page tree, font, then one page + content stream per entry of ``contents``."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s%s] /Count %d >>" % (kids_extra, kids, len(contents)),
        FONT,
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i)
        )
        objects.append(content)
    return pdf_bytes(objects)


def flate_of_repeated(prefix: bytes, chunk: bytes, times: int, suffix: bytes) -> bytes:
    """zlib of prefix + chunk*times + suffix, without holding the inflated bytes in memory."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(prefix)]
    parts += [compressor.compress(chunk) for _ in range(times)]
    parts += [compressor.compress(suffix), compressor.flush()]
    return b"".join(parts)


@pytest.fixture
def good_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "leave-policy.pdf"
    path.write_bytes(
        pages_pdf(
            [
                stream(text_content("Annual leave policy", "Employees get 25 days per year.")),
                stream(text_content("Carry-over rules", "Up to five days move to next year.")),
            ]
        )
    )
    return path


# ---- markdown ------------------------------------------------------------------------------

MARKDOWN = """---
title: Staff Handbook
---
Intro with **bold** words and a [useful link](https://example.org/x).

# Leave
General leave rules.

## Annual leave
You get *25 days* per year, see `policy_v2`.

### Carry-over
Up to 5 days.

## Sick leave
Call your manager.

```python
# not a heading
x = 1
```

Remote work
===========
Allowed two days a week.

Equipment
---------
Laptop provided.
"""


def test_markdown_nested_headings_give_paths_and_body_offsets(tmp_path: Path) -> None:
    path = tmp_path / "handbook.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = parse(path)
    assert doc.format == "markdown"
    assert doc.title == "Staff Handbook"  # front matter wins over the first H1
    assert [s.path for s in doc.sections] == [
        (),
        ("Leave",),
        ("Leave", "Annual leave"),
        ("Leave", "Annual leave", "Carry-over"),
        ("Leave", "Sick leave"),
        ("Remote work",),
        ("Remote work", "Equipment"),
    ]
    assert body(doc) == "Intro with bold words and a useful link."
    assert body(doc, "Leave") == "General leave rules."
    assert body(doc, "Leave", "Annual leave") == "You get 25 days per year, see policy_v2."
    assert body(doc, "Leave", "Annual leave", "Carry-over") == "Up to 5 days."
    sick = body(doc, "Leave", "Sick leave")
    assert sick.startswith("Call your manager.")
    assert "# not a heading\nx = 1" in sick  # code is kept verbatim and is not a heading
    assert body(doc, "Remote work") == "Allowed two days a week."
    assert body(doc, "Remote work", "Equipment") == "Laptop provided."
    assert "https://example.org" not in doc.text
    assert "**" not in doc.text
    assert "title:" not in doc.text


def test_markdown_title_falls_back_to_first_h1_then_stem(tmp_path: Path) -> None:
    with_h1 = tmp_path / "notes.md"
    with_h1.write_text("Preamble.\n\n## Minor\ntext\n\n# Main title\nbody\n", encoding="utf-8")
    assert parse(with_h1).title == "Main title"
    without = tmp_path / "meeting-notes.markdown"
    without.write_text("## Only a sub-heading\nSome text.\n", encoding="utf-8")
    assert parse(without).title == "meeting-notes"


# ---- plain text ----------------------------------------------------------------------------


def test_text_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "reglement.txt"
    path.write_bytes("\ufeffRèglement intérieur\r\n\r\nArticle 1 : horaires.\r\n".encode())
    doc = parse(path)
    assert doc.title == "Règlement intérieur"
    assert doc.text == "Règlement intérieur\n\nArticle 1 : horaires."
    assert [(s.start, s.end) for s in doc.sections] == [(0, len(doc.text))]


def test_text_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes("Café crème à 2 €\nservi jusqu’à midi".encode("cp1252"))
    doc = parse(path)
    assert doc.text == "Café crème à 2 €\nservi jusqu’à midi"


def test_text_long_first_line_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "long-line.text"
    path.write_text("word " * 60, encoding="utf-8")
    assert parse(path).title == "long-line"


def test_text_undecodable_and_binary_are_refused(tmp_path: Path) -> None:
    undecodable = tmp_path / "bad.txt"
    undecodable.write_bytes(b"abc \x81\x8d\x8f\x90\x9d def")  # invalid UTF-8, undefined in cp1252
    assert "decoded" in rejected(undecodable)[0]
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in rejected(binary)[0]


# ---- HTML ----------------------------------------------------------------------------------

HTML = """<!doctype html><html><head><title>Expense policy</title>
<style>body { color: red }</style><script>alert("pwned")</script></head>
<body><nav>Home | About</nav><header>Site banner</header>
<h1>Expenses</h1>
<p onclick="steal()">Submit   receipts
   within <b>30 days</b>.</p>
<script>document.write("evil")</script><noscript>Enable JavaScript</noscript>
<div hidden>Invisible draft</div>
<h2>Travel</h2>
<ul><li>Train, second class</li><li>Hotel up to 120 EUR</li></ul>
<table><tr><th>Item</th><th>Limit</th></tr><tr><td>Meal</td><td>25 EUR</td></tr></table>
<footer>Copyright 2024</footer></body></html>"""


def test_html_drops_scripts_and_chrome_and_builds_sections(tmp_path: Path) -> None:
    path = tmp_path / "expenses.html"
    path.write_text(HTML, encoding="utf-8")
    doc = parse(path)
    assert doc.title == "Expense policy"
    for hidden in ("alert", "pwned", "evil", "steal", "color", "Home", "banner", "Copyright"):
        assert hidden not in doc.text
    assert "Enable JavaScript" not in doc.text
    assert "Invisible draft" not in doc.text
    assert [s.path for s in doc.sections] == [("Expenses",), ("Expenses", "Travel")]
    assert body(doc, "Expenses") == "Submit receipts within 30 days."
    travel = body(doc, "Expenses", "Travel")
    assert "Train, second class\nHotel up to 120 EUR" in travel
    assert "Meal 25 EUR" in travel


def test_html_declared_charset_and_h1_title(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    html = '<html><head><meta charset="iso-8859-1"></head><body><h1>Congés payés</h1><p>Été</p>'
    path.write_bytes(html.encode("iso-8859-1"))
    doc = parse(path)
    assert doc.title == "Congés payés"
    assert body(doc, "Congés payés") == "Été"


def test_html_nested_too_deep_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    # lexbor's tree building is quadratic in depth: 500 KB of unclosed <div> take over 20 s.
    path = tmp_path / "nested.html"
    path.write_bytes(b"<html><body>" + b"<div>" * 100_000 + b"deep")
    reason, elapsed = rejected(path, timeout=2.0)
    assert "longer than 2 s" in reason
    assert elapsed < 2.0 + 3.0


# ---- PDF -----------------------------------------------------------------------------------


def test_pdf_text_is_extracted_per_page(good_pdf: Path) -> None:
    doc = parse(good_pdf)
    assert doc.format == "pdf"
    assert doc.title == "leave-policy"
    assert [s.title for s in doc.sections] == ["Page 1", "Page 2"]
    page1, page2 = (doc.text[s.start : s.end] for s in doc.sections)
    assert "Annual leave policy" in page1 and "25 days" in page1
    assert "Carry-over rules" in page2 and "five days" in page2
    assert doc.metadata["pages"] == "2"


def test_pdf_encrypted_with_a_password_is_refused(good_pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    writer = PdfWriter(clone_from=good_pdf)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    writer.write(path)
    reason, _ = rejected(path)
    assert reason == "encrypted PDF: cannot be read without its password"


def test_pdf_encrypted_with_empty_user_password_is_read(good_pdf: Path, tmp_path: Path) -> None:
    # Permission-only encryption (opens without a password) is common and harmless: accepted.
    path = tmp_path / "no-copy.pdf"
    writer = PdfWriter(clone_from=good_pdf)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    writer.write(path)
    assert "Annual leave policy" in parse(path).text


def test_pdf_corrupt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.4\n" + random.Random(7).randbytes(20_000))
    reason, _ = rejected(path)
    assert "PDF" in reason


def test_pdf_without_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "renamed.pdf"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a pdf")
    assert "not a PDF" in rejected(path)[0]


@pytest.fixture(scope="module")
def pdf_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # ~200 KB on disk, a 200 MB content stream once inflated.
    bomb = flate_of_repeated(b"BT ", b"\0" * (1024 * 1024), 200, b" ET")
    path = tmp_path_factory.mktemp("bomb") / "bomb.pdf"
    path.write_bytes(pages_pdf([stream(bomb, flate=True)]))
    assert path.stat().st_size < 1024 * 1024
    return path


def test_pdf_flate_bomb_is_refused(pdf_bomb: Path) -> None:
    reason, _ = rejected(pdf_bomb)
    assert "bomb" in reason


def test_pdf_memory_cap_stops_a_bomb_that_a_normal_file_fits_under(
    good_pdf: Path, pdf_bomb: Path
) -> None:
    # The same cap that lets a normal PDF through turns the bomb into MemoryError in the child:
    # this proves RLIMIT_AS is really applied there (at 1 GiB, pypdf's own limit trips first).
    cap = 128 * 1024 * 1024
    assert run_sandboxed("pdf", good_pdf, timeout=TIMEOUT, memory_bytes=cap).text
    with pytest.raises(ParseError, match="needs more than 128 MiB of memory"):
        run_sandboxed("pdf", pdf_bomb, timeout=TIMEOUT, memory_bytes=cap)


def test_pdf_that_keeps_the_parser_busy_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    # 80 KB that inflate to 27 MB of text operators: pypdf spends minutes on it.
    chunk = b"(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj " * 20_000
    content = flate_of_repeated(b"BT /F1 12 Tf 72 720 Td ", chunk, 30, b" ET")
    path = tmp_path / "slow.pdf"
    path.write_bytes(pages_pdf([stream(content, flate=True)]))
    reason, elapsed = rejected(path, timeout=2.0)
    assert "longer than 2 s" in reason
    assert elapsed < 2.0 + 3.0  # killed at the timeout, not when pypdf would finish


def test_pdf_page_tree_cycle_is_refused(tmp_path: Path) -> None:
    # The Pages node lists itself among its Kids: a naive walk never ends.
    path = tmp_path / "loop.pdf"
    path.write_bytes(pages_pdf([stream(text_content("Looping"))], kids_extra=b"2 0 R "))
    reason, _ = rejected(path)
    assert "PDF" in reason


def test_pdf_deeply_nested_objects_are_refused(tmp_path: Path) -> None:
    depth = 200_000
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * depth + b"]" * depth + b" >>"
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(text_content("Nested")),
        FONT,
    ]
    path = tmp_path / "nested.pdf"
    path.write_bytes(pdf_bytes(objects))
    reason, _ = rejected(path)
    assert "PDF" in reason


def test_pdf_with_too_many_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(pages_pdf([stream(b"BT ET")] * 2_001))
    assert "2001 pages" in rejected(path)[0]


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(pages_pdf([stream(b"0 0 m 100 100 l S")]))
    assert "no text" in rejected(path)[0]


# ---- DOCX ----------------------------------------------------------------------------------


def make_docx(path: Path, core_title: str = "") -> None:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("Read this first.")
    document.add_heading("Onboarding", level=1)
    document.add_paragraph("Welcome to the team.")
    document.add_heading("First week", level=2)
    document.add_paragraph("Meet your buddy.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), value in zip(
        itertools.product(range(2), range(2)), ["Item", "Owner", "Laptop", "IT desk"], strict=True
    ):
        table.cell(row, col).text = value
    document.add_heading("Accounts", level=3)
    document.add_paragraph("Ask for VPN access.")
    document.add_heading("Benefits", level=1)
    document.add_paragraph("Lunch vouchers.")
    document.save(str(path))


def test_docx_headings_tables_and_title(tmp_path: Path) -> None:
    path = tmp_path / "onboarding.docx"
    make_docx(path)
    doc = parse(path)
    assert doc.format == "docx"
    assert doc.title == "Onboarding"  # no core title: the first Heading 1
    assert [s.path for s in doc.sections] == [
        (),
        ("Onboarding",),
        ("Onboarding", "First week"),
        ("Onboarding", "First week", "Accounts"),
        ("Benefits",),
    ]
    assert body(doc) == "Read this first."
    assert body(doc, "Onboarding") == "Welcome to the team."
    assert body(doc, "Onboarding", "First week") == (
        "Meet your buddy.\n\nItem | Owner\nLaptop | IT desk"
    )
    assert body(doc, "Onboarding", "First week", "Accounts") == "Ask for VPN access."
    assert body(doc, "Benefits") == "Lunch vouchers."


def test_docx_core_title_wins(tmp_path: Path) -> None:
    path = tmp_path / "guide.docx"
    make_docx(path, core_title="Onboarding guide 2024")
    assert parse(path).title == "Onboarding guide 2024"


def test_docx_corrupt_is_refused(tmp_path: Path) -> None:
    not_zip = tmp_path / "corrupt.docx"
    not_zip.write_bytes(random.Random(3).randbytes(5_000))
    assert "not a valid zip" in rejected(not_zip)[0]
    no_document = tmp_path / "empty-zip.docx"
    with zipfile.ZipFile(no_document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert "word/document.xml" in rejected(no_document)[0]
    truncated = tmp_path / "truncated.docx"
    make_docx(truncated)
    truncated.write_bytes(truncated.read_bytes()[:2_000])
    assert "DOCX" in rejected(truncated)[0]


def test_docx_zip_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w") as member,
    ):
        for _ in range(50):
            member.write(b"\0" * (1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    assert "zip bomb" in rejected(path)[0]


# ---- refusals common to every format -------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.pdf", "empty.docx"])
def test_empty_file_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert rejected(path)[0] == "the file is empty"


def test_whitespace_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("\n\n   \n# \n", encoding="utf-8")
    assert "no text" in rejected(path)[0]


def sparse(path: Path) -> Path:
    """4 GiB that take no disk: reading it would take long and exhaust memory, stat does not."""
    with path.open("wb") as handle:
        handle.truncate(4 * 1024**3)
    return path


def test_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    reason, elapsed = rejected(sparse(tmp_path / "huge.txt"))
    assert "over the 50.0 MB limit" in reason
    assert elapsed < 0.5


def test_jsonl_over_the_limit_is_one_error(tmp_path: Path) -> None:
    items = list(iter_jsonl(sparse(tmp_path / "huge.jsonl"), max_bytes=MAX))
    assert len(items) == 1
    number, error = items[0]
    assert number == 0 and isinstance(error, ParseError) and "limit" in error.reason


def test_unsupported_types(tmp_path: Path) -> None:
    assert detect_format(Path("budget.XLSX")) is None
    assert detect_format(Path("README")) is None
    assert detect_format(Path("Report.PDF")) == "pdf"
    assert {detect_format(Path("x" + s)) for s in SUPPORTED_SUFFIXES} == {
        "markdown",
        "text",
        "html",
        "pdf",
        "docx",
        "jsonl",
    }
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"PK\x03\x04")
    assert "unsupported file type .xlsx" in rejected(path)[0]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "text": "b"}\n', encoding="utf-8")
    assert "jsonl" in rejected(corpus)[0]


# ---- JSONL ---------------------------------------------------------------------------------


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": "doc-1",
                "title": "Leave",
                "text": "ignored when passages exist",
                "url": "https://example.org/leave",
                "language": "fr",
                "department": "hr",
                "doc_type": "policy",
                "passages": [
                    {"id": "doc-1#a", "title": "Annual", "text": "25 days."},
                    {"id": "doc-1#b", "title": None, "text": "Ask your manager."},
                ],
            }
        ),
        "",
        '{"id": "broken", "text": "api_key=hunter2',
        "[1, 2, 3]",
        json.dumps({"text": "no id here"}),
        json.dumps({"id": "blank", "text": "   ", "password": "hunter2"}),
        json.dumps({"id": 42, "text": "Plain record.", "language": "de", "tags": ["a", "b"]}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(iter_jsonl(path, max_bytes=MAX))
    assert [number for number, _ in items] == [1, 3, 4, 5, 6, 7]
    docs = {n: item for n, item in items if isinstance(item, ParsedDocument)}
    errors = {n: item.reason for n, item in items if isinstance(item, ParseError)}
    assert set(docs) == {1, 7} and set(errors) == {3, 4, 5, 6}
    assert "invalid JSON" in errors[3]
    assert "JSON object" in errors[4]
    assert "no id" in errors[5]
    assert "empty text" in errors[6]
    assert not any("hunter2" in reason for reason in errors.values())

    first = docs[1]
    assert (first.external_id, first.title, first.url, first.language) == (
        "doc-1",
        "Leave",
        "https://example.org/leave",
        "fr",
    )
    assert first.text == "25 days.\n\nAsk your manager."
    assert [(s.external_id, s.title, s.path) for s in first.sections] == [
        ("doc-1#a", "Annual", ("Annual",)),
        ("doc-1#b", "", ()),
    ]
    assert first.metadata == {"department": "hr", "doc_type": "policy"}

    plain = docs[7]
    assert (plain.external_id, plain.title, plain.language) == ("42", "42", None)
    assert [(s.start, s.end) for s in plain.sections] == [(0, len("Plain record."))]
    assert plain.metadata == {"tags": "a, b"}


@pytest.mark.parametrize("corpus", ["cdtn-travail-fr", "conditionalqa-govuk"])
def test_jsonl_real_corpus_lines(tmp_path: Path, corpus: str) -> None:
    source = DATA / corpus / "corpus.jsonl"
    if not source.exists():
        pytest.skip(f"{source} is not available here")
    with source.open("rb") as handle:
        head = list(itertools.islice(handle, 50))
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b"".join(head))
    items = list(iter_jsonl(path, max_bytes=MAX))
    assert [number for number, _ in items] == list(range(1, 51))
    with_passages = 0
    for (_, doc), raw in zip(items, head, strict=True):
        record = json.loads(raw)
        assert isinstance(doc, ParsedDocument), doc
        assert doc.external_id == record["id"]
        assert doc.title == record["title"]
        assert doc.language == record["language"]
        assert doc.metadata["doc_type"] == record["doc_type"]
        assert doc.metadata["department"] == record["department"]
        passages = record.get("passages")
        if not passages:
            assert doc.text == record["text"]
            assert [(s.start, s.end) for s in doc.sections] == [(0, len(doc.text))]
            continue
        with_passages += 1
        assert [s.external_id for s in doc.sections] == [p["id"] for p in passages]
        assert [s.title for s in doc.sections] == [p["title"] for p in passages]
        for section, passage in zip(doc.sections, passages, strict=True):
            assert doc.text[section.start : section.end] == passage["text"]
    assert with_passages > 0


@pytest.mark.slow
def test_jsonl_whole_cdtn_corpus_streams_fast() -> None:
    source = DATA / "cdtn-travail-fr" / "corpus.jsonl"
    if not source.exists():
        pytest.skip(f"{source} is not available here")
    started = time.monotonic()
    count = errors = 0
    for _, item in iter_jsonl(source, max_bytes=MAX):
        count += 1
        errors += isinstance(item, ParseError)
    elapsed = time.monotonic() - started
    assert (count, errors) == (11_983, 0)
    assert elapsed < 10.0, f"{elapsed:.1f} s"


def test_sandbox_works_from_any_working_directory(
    good_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child is started with a PYTHONPATH pointing at this package, not at the cwd.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "copy.pdf"
    shutil.copy(good_pdf, copy)
    monkeypatch.chdir(elsewhere)
    assert "Annual leave policy" in parse(Path("copy.pdf")).text
