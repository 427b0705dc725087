"""``ask``: a grounded answer with numbered citations, or an honest abstention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from essor.assistant.extractive import candidates, select_sentences
from essor.assistant.generate import generate
from essor.assistant.messages import NO_SOURCES, NOT_IN_SOURCES, say
from essor.assistant.providers import ChatProvider, ProviderError, get_provider
from essor.assistant.verify import verify
from essor.governance.access import Reader
from essor.knowledge.analysis import detect_language_with_confidence, query_terms
from essor.knowledge.index import get_backend
from essor.knowledge.search import Passage, hydrate, resolve_collections, search_hits
from essor.settings import Settings, get_settings

RETRIEVE = 8
GENERATE_FROM = 6  # passages given to a language model: enough context, a bounded prompt


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
    supported: bool = True  # False: a generated sentence its cited sources do not back


@dataclass
class Answer:
    question: str
    language: str
    mode: str
    abstained: bool
    sentences: list[Sentence] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    message: str | None = None
    model: str | None = None  # the language model that wrote a generated answer
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    fallback_reason: str | None = None  # why a configured model's answer is not shown

    @property
    def text(self) -> str:
        if self.abstained:
            return self.message or ""
        return " ".join(
            f"{s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in self.sentences
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "language": self.language,
            "mode": self.mode,
            "abstained": self.abstained,
            "answer": self.text,
            "sentences": [asdict(s) for s in self.sentences],
            "sources": [asdict(s) for s in self.sources],
            # Always said, even when no model was involved (model None): which mode and model
            # produced the answer, what it cost, or why a configured model was not used.
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "fallback_reason": self.fallback_reason,
        }
        return data


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
        n = numbers.get(c.passage_index)
        if n is None:
            n = numbers[c.passage_index] = len(numbers) + 1
            sources.append(source_of(n, passages[c.passage_index]))
        sentences.append(Sentence(text=" ".join(c.text.split()), citations=[n]))
    extractive = Answer(question, language, "extractive", False, sentences, sources)
    provider = get_provider(settings)
    if provider is None:
        return extractive
    try:
        return _generated(session, provider, question, language, passages, settings)
    except ProviderError as exc:
        # The person still gets an answer, and is told why it is not the model's.
        extractive.fallback_reason = str(exc)
        return extractive


def source_of(n: int, p: Passage) -> Source:
    """Source number ``n``, quoting passage ``p`` (answers and workflow results alike)."""
    return Source(
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


def _generated(
    session: Session,
    provider: ChatProvider,
    question: str,
    language: str,
    passages: Sequence[Passage],
    settings: Settings,
) -> Answer:
    """The model's answer from the same passages, each sentence checked against its sources.

    Only passages the reader may read were retrieved, so nothing else can reach the model.
    """
    given = list(passages[:GENERATE_FROM])
    draft = generate(
        provider, question, given, language=language, max_sentences=settings.answer_max_sentences
    )
    flags = verify(session, draft.sentences, given, settings=settings)
    kept = [
        (d, ok)
        for d, ok in zip(draft.sentences, flags, strict=True)
        if ok or settings.llm_unsupported == "mark"
    ]
    completion = draft.completion
    answer = Answer(
        question,
        language,
        "generated",
        False,
        model=completion.model or provider.model,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
    )
    if not any(ok for _d, ok in kept):
        # Nothing the model said is backed by the sources: say so rather than show it.
        answer.abstained = True
        answer.message = say(NOT_IN_SOURCES, language)
        return answer
    # Renumber the cited passages 1..m in order of first citation, as the extractive answer does.
    numbers: dict[int, int] = {}
    for d, ok in kept:
        cites: list[int] = []
        for given_n in d.citations:
            n = numbers.get(given_n)
            if n is None:
                n = numbers[given_n] = len(numbers) + 1
                answer.sources.append(source_of(n, given[given_n - 1]))
            cites.append(n)
        answer.sentences.append(Sentence(d.text, cites, supported=ok))
    return answer
