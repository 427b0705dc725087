"""The citation verifier: is each generated sentence backed by the passages it cites?

A sentence is supported when (1) it cites at least one passage, (2) the cited passages contain
at least ``COVERAGE_THRESHOLD`` of its content terms, weighted by rarity (so "the", "leave" and
"employee" count less than "paternity" or "Zanzibar"), and (3) every number in it appears in a
cited passage: a wrong figure is the most harmful error and the easiest to check exactly.

Lexical checking cannot prove entailment ("is" vs "is not" share their terms), but it catches
what matters most in practice: sentences that cite nothing, cite the wrong passage, or bring
facts and figures from outside the sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from essor.assistant.generate import DraftSentence
from essor.knowledge.analysis import analyse
from essor.knowledge.index import get_backend
from essor.knowledge.search import Passage
from essor.settings import Settings

COVERAGE_THRESHOLD = 0.6
# Separators inside one number: "1,000", "1 000", "1 000", "3.5".
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*")
_SEPARATORS = re.compile(r"[.,\u00a0\u202f ]")


def sentence_terms(sentence: DraftSentence, passages: Sequence[Passage]) -> list[str]:
    """The sentence's content terms, analysed in the language of the first source it cites."""
    cited = [passages[n - 1] for n in sentence.citations]
    language = cited[0].language if cited else "en"
    return list(dict.fromkeys(analyse(sentence.text, language)))


def numbers_in(text: str) -> set[str]:
    """Each number as written and with its separators removed, so "1,000" meets "1000"."""
    out: set[str] = set()
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        out.add(_SEPARATORS.sub("", raw))
        out.update(re.findall(r"\d+", raw))
    return out


def is_supported(
    sentence: DraftSentence, passages: Sequence[Passage], weights: dict[str, float]
) -> bool:
    if not sentence.citations:
        return False
    cited = [passages[n - 1] for n in sentence.citations]
    terms = sentence_terms(sentence, passages)
    if not terms:
        return False  # nothing checkable ("Yes.") is not evidence of anything
    source_terms: set[str] = set()
    for p in cited:
        source_terms.update(analyse(f"{p.title}\n{p.section}\n{p.text}", p.language))
    total = sum(weights.get(t, 1.0) for t in terms)
    covered = sum(weights.get(t, 1.0) for t in terms if t in source_terms)
    if total <= 0 or covered / total < COVERAGE_THRESHOLD:
        return False
    source_numbers: set[str] = set()
    for p in cited:
        source_numbers |= numbers_in(p.text)
    return all(_number_backed(m.group(0), source_numbers) for m in _NUMBER.finditer(sentence.text))


def _number_backed(raw: str, source_numbers: set[str]) -> bool:
    return _SEPARATORS.sub("", raw) in source_numbers or all(
        part in source_numbers for part in re.findall(r"\d+", raw)
    )


def verify(
    session: Session,
    sentences: Sequence[DraftSentence],
    passages: Sequence[Passage],
    *,
    settings: Settings,
) -> list[bool]:
    """Per sentence: supported by the passages it cites (numbers are 1-based into passages)."""
    terms = tuple(dict.fromkeys(t for s in sentences for t in sentence_terms(s, passages)))
    weights = get_backend(settings).term_rarity(session, terms) if terms else {}
    return [is_supported(s, passages, weights) for s in sentences]
