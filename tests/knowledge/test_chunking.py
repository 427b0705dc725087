from essor.knowledge.chunking import SPECIAL_TOKENS, chunk_document, estimate_tokens
from essor.knowledge.parsers.base import ParsedDocument, ParsedSection
from essor.knowledge.sentences import sentence_spans


def _doc(bodies: list[str]) -> ParsedDocument:
    text = ""
    sections = []
    for i, body in enumerate(bodies):
        if text:
            text += "\n\n"
        start = len(text)
        text += body
        sections.append(ParsedSection(f"S{i}", ("Top", f"S{i}"), start, len(text)))
    return ParsedDocument(title="T", text=text, sections=sections, format="text")


def test_chunks_stay_inside_their_section_and_fit_the_window() -> None:
    long_body = " ".join(f"Sentence number {i} talks about annual leave rules." for i in range(200))
    doc = _doc(["Short intro.", long_body, "Closing words here."])
    chunks = chunk_document(doc, max_tokens=256)
    assert len(chunks) > 3
    for c in chunks:
        section = doc.sections[c.section_index]
        assert section.start <= c.start < c.end <= section.end
        assert estimate_tokens(doc.text[c.start : c.end]) <= 256 - SPECIAL_TOKENS
    # Every sentence of the long section lands in exactly one chunk.
    covered = "".join(doc.text[c.start : c.end] for c in chunks if c.section_index == 1)
    assert covered.replace(" ", "") == long_body.replace(" ", "")


def test_a_sentence_longer_than_the_window_is_cut_at_words() -> None:
    body = "word " * 2000 + "x" * 5000
    chunks = chunk_document(_doc([body]), max_tokens=128)
    assert len(chunks) > 10
    assert all(estimate_tokens(_doc([body]).text[c.start : c.end]) <= 126 for c in chunks)


def test_sentence_spans_keep_abbreviations_and_lines() -> None:
    text = "See art. 12 of the code. Then ask HR!\nA new line starts here"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["See art. 12 of the code.", "Then ask HR!", "A new line starts here"]


def test_token_estimate_counts_accents_and_punctuation() -> None:
    assert estimate_tokens("a, b.") == 4
    assert estimate_tokens("rémunération") > estimate_tokens("remuneration") - 1
