"""``ask``: a grounded answer with numbered citations, or an honest abstention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from essor.assistant.extractive import candidates, select_sentences
from essor.assistant.messages import NO_SOURCES, NOT_IN_SOURCES, say
from essor.governance.access import Reader
from essor.knowledge.analysis import detect_language_with_confidence, query_terms
from essor.knowledge.index import get_backend
from essor.knowledge.search import Passage, hydrate, resolve_collections, search_hits
from essor.settings import Settings, get_settings

RETRIEVE = 8


@dataclass(frozen=True)
class Source:
    n: int
    document_id: int
    document_ref: str
    chunk_id: int
    passage_ref: str | None
    collection: str
    title: str
    section: str
    url: str | None
    quote: str
    start: int  # offsets of the quote in the document version's text
    end: int


@dataclass(frozen=True)
class Sentence:
    text: str
    citations: list[int]


@dataclass
class Answer:
    question: str
    language: str
    mode: str
    abstained: bool
    sentences: list[Sentence] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    message: str | None = None

    @property
    def text(self) -> str:
        if self.abstained:
            return self.message or ""
        return " ".join(
            f"{s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in self.sentences
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "mode": self.mode,
            "abstained": self.abstained,
            "answer": self.text,
            "sentences": [asdict(s) for s in self.sentences],
            "sources": [asdict(s) for s in self.sources],
        }


def question_language(question: str, passages: Sequence[Passage]) -> str:
    lang, confidence = detect_language_with_confidence(question)
    if confidence >= 0.6 or not passages:
        return lang
    return passages[0].language  # a terse query is most likely in its best source's language


def ask(
    session: Session,
    question: str,
    *,
    reader: Reader,
    collections: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer from what ``reader`` may read only: retrieval is filtered before ranking."""
    settings = settings or get_settings()
    question = question.strip()
    ids = resolve_collections(session, collections, reader)
    hits = search_hits(session, question, ids, limit=RETRIEVE, settings=settings)
    passages = hydrate(session, hits)
    language = question_language(question, passages)
    if not passages:
        table = NOT_IN_SOURCES if ids else NO_SOURCES
        return Answer(question, language, "extractive", True, message=say(table, language))

    terms = tuple(dict.fromkeys(query_terms(question)))
    weights = get_backend(settings).term_rarity(session, terms)
    cands = candidates(passages, weights)
    best = cands[0].coverage if cands else 0.0
    if best < settings.abstain_threshold:
        return Answer(question, language, "extractive", True, message=say(NOT_IN_SOURCES, language))
    chosen = select_sentences(cands, settings.answer_max_sentences)
    numbers: dict[int, int] = {}
    sources: list[Source] = []
    sentences: list[Sentence] = []
    for c in chosen:
        p = passages[c.passage_index]
        n = numbers.get(c.passage_index)
        if n is None:
            n = numbers[c.passage_index] = len(numbers) + 1
            sources.append(
                Source(
                    n=n,
                    document_id=p.document_id,
                    document_ref=p.document_ref,
                    chunk_id=p.chunk_id,
                    passage_ref=p.passage_ref,
                    collection=p.collection,
                    title=p.title,
                    section=p.section,
                    url=p.url,
                    quote=p.text,
                    start=p.start,
                    end=p.end,
                )
            )
        sentences.append(Sentence(text=" ".join(c.text.split()), citations=[n]))
    return Answer(question, language, "extractive", False, sentences, sources)
