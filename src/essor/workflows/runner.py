"""Run a workflow: check the inputs, then fill each output section with cited sentences.

Each section is its own retrieval (its query template filled with the inputs) inside the
workflow's scope intersected with what the reader may read, composed by the extractive composer.
Sources are numbered once across the whole result, so "[2]" means the same passage everywhere.

With a language model configured, each section the sources can answer is written by the model
from those same passages and verified sentence by sentence (see ``generated``); a section none
of whose sentences hold up keeps its extractive composition, and a failing model makes the
whole run extractive, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from string import Formatter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.assistant.answer import Source, source_of
from essor.assistant.extractive import Candidate, candidates, select_sentences
from essor.assistant.messages import NOT_IN_SOURCES, say
from essor.assistant.providers import ProviderError, get_provider
from essor.governance.access import Reader
from essor.knowledge.analysis import analyse, fold, query_terms
from essor.knowledge.index import get_backend
from essor.knowledge.models import Collection, Document
from essor.knowledge.queries import documents_with_tags
from essor.knowledge.search import Passage, hydrate, resolve_collections, search_hits
from essor.settings import Settings, get_settings
from essor.workflows.generated import UNSUPPORTED_EVERYWHERE, SectionWriter, Written
from essor.workflows.schema import LANGUAGES, OutputSection, WorkflowDefinition

RETRIEVE = 8
# A pasted customer message has dozens of words; coverage is measured against its most
# distinctive ones, or no sentence could ever cover "enough" of it.
MAX_QUERY_TERMS = 10

NO_SCOPE = {
    "en": "None of this workflow's sources are available to you.",
    "fr": "Aucune des sources de ce workflow ne vous est accessible.",
}
CONTACT = {
    "en": "For an answer, contact {contact}.",
    "fr": "Pour obtenir une réponse, contactez {contact}.",
}
QUIZ = {
    "en": "What does “{title}” say about “{topic}”?",
    "fr": "Que dit « {title} » sur « {topic} » ?",
}


class InputError(ValueError):
    """The inputs do not fit the form; ``problems`` has one human sentence per input."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ResultSentence:
    text: str
    citations: list[int]
    question: str | None = None  # quiz sections: the question this cited sentence answers
    supported: bool = True  # False: a model's sentence its cited sources do not back


@dataclass
class ResultSection:
    id: str
    title: str
    format: str
    sentences: list[ResultSentence] = field(default_factory=list)
    message: str | None = None  # why the section is empty, in the run's language
    # "generated" when the model wrote it; a run with a model may still quote some sections.
    mode: str = "extractive"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "format": self.format,
            "mode": self.mode,
            "sentences": [asdict(s) for s in self.sentences],
            "message": self.message,
        }


@dataclass
class WorkflowResult:
    workflow_id: str
    version: int
    language: str
    inputs: dict[str, str]
    minutes_saved: int
    mode: str = "extractive"
    sections: list[ResultSection] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    model: str | None = None  # the language model consulted for the run, if any
    prompt_tokens: int | None = None  # summed over the run's sections
    completion_tokens: int | None = None
    fallback_reason: str | None = None  # why a configured model's text is not shown

    @property
    def abstained(self) -> bool:
        return not any(s.sentences for s in self.sections)

    @property
    def citations(self) -> int:
        return sum(len(s.citations) for sec in self.sections for s in sec.sentences)

    def as_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow_id,
            "version": self.version,
            "language": self.language,
            "mode": self.mode,
            "inputs": dict(self.inputs),
            "minutes_saved": self.minutes_saved,
            "abstained": self.abstained,
            "sections": [s.as_dict() for s in self.sections],
            "sources": [asdict(s) for s in self.sources],
            # Always said, as for answers: which model (None: none), its cost, and why a
            # configured model's text is not what is shown.
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "fallback_reason": self.fallback_reason,
        }


def validate_inputs(
    definition: WorkflowDefinition, inputs: Mapping[str, str], language: str
) -> dict[str, str]:
    """The values to put in the query templates, or InputError listing every problem.

    A choice is given by its value ("leave") and searched for by its label in the run's
    language ("congés"), which is what the documents say.
    """
    problems: list[str] = []
    if language not in LANGUAGES:
        problems.append(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        language = "en"
    unknown = sorted(set(inputs) - {i.name for i in definition.inputs})
    if unknown:
        problems.append(f"unknown input(s): {', '.join(unknown)}")
    values: dict[str, str] = {}
    for spec in definition.inputs:
        value = (inputs.get(spec.name) or "").strip()
        label = spec.label.get(language)
        if not value:
            if spec.required:
                problems.append(f"{spec.name} ({label}) is required")
            values[spec.name] = ""
            continue
        if len(value) > spec.max_length:
            problems.append(
                f"{spec.name} is too long ({len(value)} > {spec.max_length} characters)"
            )
            continue
        if spec.type == "choice":
            choice = spec.choice(value)
            if choice is None:
                allowed = ", ".join(c.value for c in spec.choices)
                problems.append(f"{spec.name} must be one of {allowed}, not {value!r}")
                continue
            values[spec.name] = choice.label.get(language)
        else:
            values[spec.name] = value
    if problems:
        raise InputError(problems)
    return values


def run_workflow(
    session: Session,
    definition: WorkflowDefinition,
    inputs: Mapping[str, str],
    *,
    reader: Reader,
    language: str,
    settings: Settings | None = None,
) -> WorkflowResult:
    settings = settings or get_settings()
    values = validate_inputs(definition, inputs, language)
    provider = get_provider(settings)
    if provider is None:
        return _compose(session, definition, inputs, values, reader, language, settings, None)
    writer = SectionWriter(session, provider, settings, language)
    try:
        result = _compose(session, definition, inputs, values, reader, language, settings, writer)
    except ProviderError as exc:
        # The person still gets the run, and is told why it is not the model's.
        result = _compose(session, definition, inputs, values, reader, language, settings, None)
        result.fallback_reason = str(exc)
        return result
    if writer.model is None:
        return result  # the sources were silent everywhere: the model was never asked
    result.model = writer.model
    result.prompt_tokens = writer.prompt_tokens
    result.completion_tokens = writer.completion_tokens
    if any(s.mode == "generated" for s in result.sections):
        result.mode = "generated"
    else:
        # The model answered but nothing it wrote held up: what is shown is quoted, and the
        # model and tokens stay recorded because they were spent.
        result.fallback_reason = UNSUPPORTED_EVERYWHERE
    return result


def _compose(
    session: Session,
    definition: WorkflowDefinition,
    inputs: Mapping[str, str],
    values: dict[str, str],
    reader: Reader,
    language: str,
    settings: Settings,
    writer: SectionWriter | None,
) -> WorkflowResult:
    result = WorkflowResult(
        workflow_id=definition.id,
        version=definition.version,
        language=language,
        inputs={k: v.strip() for k, v in inputs.items()},
        minutes_saved=definition.minutes_saved,
    )
    ids = scope_ids(session, definition, reader)
    if not ids:
        # Fail closed: an empty id set must never reach the index as "no filter".
        for section in definition.sections:
            result.sections.append(_empty(section, language, say(NO_SCOPE, language)))
        return result
    documents = _named_documents(session, definition, values, ids)
    composer = _Composer(
        session, settings, language, result, writer, tags=tuple(definition.scope.tags)
    )
    # The person's inputs as the model is shown them: labelled in the run's language.
    labelled = {spec.label.get(language): values[spec.name] for spec in definition.inputs}
    for section in definition.sections:
        query = section.query.get(language).format_map(values)
        names = _placeholders(section)
        # A section with no (filled) placeholder is judged on its fixed query instead.
        user_text = " ".join(values[name] for name in names).strip() or query
        long_text = any(i.type == "long_text" for i in definition.inputs if i.name in names)
        composer.section(
            section,
            query,
            user_text,
            long_text,
            ids,
            documents,
            _fallback(definition, language),
            labelled,
        )
    return result


def scope_ids(session: Session, definition: WorkflowDefinition, reader: Reader) -> frozenset[int]:
    """The workflow's collections the reader may read; a missing or unreadable one is skipped."""
    readable = resolve_collections(session, None, reader)
    if not definition.scope.collections:
        return readable
    rows = session.execute(
        select(Collection.id).where(Collection.name.in_(definition.scope.collections))
    ).scalars()
    return frozenset(rows) & readable


def _named_documents(
    session: Session, definition: WorkflowDefinition, values: dict[str, str], ids: frozenset[int]
) -> frozenset[int]:
    """Documents named by a ``document`` input (by title), to keep the sections on them."""
    titles = {fold(values[i.name]) for i in definition.inputs if i.type == "document"}
    titles.discard("")
    if not titles:
        return frozenset()
    rows = session.execute(
        select(Document.id, Document.title).where(
            Document.collection_id.in_(ids), Document.current_version_id.is_not(None)
        )
    ).all()
    return frozenset(doc_id for doc_id, title in rows if fold(title) in titles)


def _fallback(definition: WorkflowDefinition, language: str) -> str:
    message = say(NOT_IN_SOURCES, language)
    if definition.fallback_contact:
        message += " " + say(CONTACT, language).format(contact=definition.fallback_contact)
    return message


def _empty(section: OutputSection, language: str, message: str) -> ResultSection:
    return ResultSection(section.id, section.title.get(language), section.format, message=message)


class _Composer:
    """Composes sections one after another, sharing source numbers and never quoting a
    sentence twice in one result."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        language: str,
        result: WorkflowResult,
        writer: SectionWriter | None = None,
        tags: tuple[str, ...] = (),
    ) -> None:
        self.session = session
        self.tags = tags
        self.writer = writer
        self.settings = settings
        self.language = language
        self.result = result
        self.numbers: dict[int, int] = {}  # chunk id -> source number
        self.quoted: set[str] = set()
        self.min_share = settings.abstain_threshold

    def section(
        self,
        section: OutputSection,
        query: str,
        user_text: str,
        long_text: bool,
        ids: frozenset[int],
        documents: frozenset[int],
        fallback: str,
        inputs: Mapping[str, str],
    ) -> None:
        passages, on_named = self._retrieve(query, ids, documents)
        if on_named:
            bar = 0.0  # the person named the document: it is the evidence
        elif long_text:
            bar = self.min_share / 2  # a pasted message is mostly words no policy uses
        else:
            bar = self.min_share
        chosen = self._choose(passages, query, user_text, section.sentences, bar)
        if not chosen:
            # No model call either: it would only be asked to write what the sources lack.
            self.result.sections.append(_empty(section, self.language, fallback))
            return
        if self.writer is not None:
            # The passages the extractive sentences come from go first: they are the evidence
            # the section's own words found, and they differ between sections.
            firsts = list(dict.fromkeys(c.passage_index for c in chosen))
            rest = [i for i in range(len(passages)) if i not in firsts]
            ordered = [passages[i] for i in firsts + rest]
            title = section.title.get(self.language)
            written = self.writer.write(title, section.format, inputs, ordered, section.sentences)
            if self._generated(section, written):
                return
        out = ResultSection(section.id, section.title.get(self.language), section.format)
        for c in chosen:
            p = passages[c.passage_index]
            text = " ".join(c.text.split())
            self.quoted.add(_key(text))
            question = _quiz_question(p, self.language) if section.format == "quiz" else None
            out.sentences.append(ResultSentence(text, [self._number(p)], question))
        self.result.sections.append(out)

    def _generated(self, section: OutputSection, written: Written) -> bool:
        """Add the model's section; False when none of its sentences is supported (or new)."""
        policy = self.settings.llm_unsupported
        kept: list[tuple[str, list[int], bool]] = []
        for draft, ok in zip(written.sentences, written.supported, strict=True):
            text = " ".join(draft.text.split())
            if (not ok and policy == "remove") or _key(text) in self.quoted:
                continue  # never show the same sentence twice in one result
            if section.format == "quiz" and not draft.citations:
                continue  # a quiz answer must cite the passage its question is about
            kept.append((text, draft.citations, ok))
        if len(kept) > section.sentences:
            # Over the section's size, the sentences the sources back are kept first: a marked
            # sentence is a warning worth showing, never at the expense of a supported one.
            best = sorted(range(len(kept)), key=lambda i: (not kept[i][2], i))
            kept = [kept[i] for i in sorted(best[: section.sentences])]
        if not any(ok for _t, _c, ok in kept):
            return False  # the caller keeps the extractive composition
        out = ResultSection(
            section.id, section.title.get(self.language), section.format, mode="generated"
        )
        for text, cites, ok in kept:
            self.quoted.add(_key(text))
            cited = [written.given[n - 1] for n in cites]
            question = _quiz_question(cited[0], self.language) if section.format == "quiz" else None
            numbers = [self._number(p) for p in cited]
            out.sentences.append(ResultSentence(text, numbers, question, supported=ok))
        self.result.sections.append(out)
        return True

    def _retrieve(
        self, query: str, ids: frozenset[int], documents: frozenset[int]
    ) -> tuple[list[Passage], bool]:
        # With a named document, fetch wider and keep its passages: the index ranks the whole
        # scope, and the document's best passages may sit below other documents'.
        limit = RETRIEVE * 4 if documents else RETRIEVE
        if self.tags:
            limit *= 4  # tags filter after ranking: fetch wider so enough survive
        hits = search_hits(self.session, query, ids, limit=limit, settings=self.settings)
        passages = hydrate(self.session, hits)
        if self.tags:
            # A scope with tags keeps only documents carrying one of them.
            tagged = documents_with_tags(self.session, (p.document_id for p in passages), self.tags)
            passages = [p for p in passages if p.document_id in tagged]
        named = [p for p in passages if p.document_id in documents]
        passages = named or passages
        # Prefer passages in the run's language, keeping the index's order within each group:
        # a French run should quote French policies when both versions exist.
        same = [p for p in passages if p.language == self.language]
        other = [p for p in passages if p.language != self.language]
        return (same + other)[:RETRIEVE], bool(named)

    def _choose(
        self, passages: list[Passage], query: str, user_text: str, n: int, bar: float
    ) -> list[Candidate]:
        if not passages:
            return []
        backend = get_backend(self.settings)
        present: set[str] = set()
        for p in passages:
            present |= set(analyse(f"{p.section}\n{p.text}", p.language))
        # Evidence first, on the person's own words only (the template's extra words steer the
        # search but prove nothing): the passages must contain enough of their weight.
        user = _top(backend.term_rarity(self.session, _terms(user_text)))
        total = sum(user.values())
        found = sum(w for t, w in user.items() if t in present)
        if bar > 0 and (total <= 0 or found / total < bar):
            return []
        # Then rank sentences on the query words the passages do contain: a long message's
        # absent words would otherwise dilute every sentence below the threshold.
        weights = backend.term_rarity(self.session, _terms(query))
        weights = _top({t: w for t, w in weights.items() if t in present})
        cands = [c for c in candidates(passages, weights) if _key(c.text) not in self.quoted]
        # Sentences are measured against the whole template, scaffolding words included, so
        # the bar is lower than for the evidence: a sentence need only carry part of it.
        if not cands or cands[0].coverage < self.min_share / 2:
            return []
        return select_sentences(cands, n)

    def _number(self, p: Passage) -> int:
        n = self.numbers.get(p.chunk_id)
        if n is None:
            n = self.numbers[p.chunk_id] = len(self.numbers) + 1
            self.result.sources.append(source_of(n, p))
        return n


def _terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(query_terms(text)))


def _top(weights: dict[str, float]) -> dict[str, float]:
    return dict(sorted(weights.items(), key=lambda kv: -kv[1])[:MAX_QUERY_TERMS])


def _key(text: str) -> str:
    return fold(" ".join(text.split()))


def _placeholders(section: OutputSection) -> list[str]:
    names = [
        f for tpl in (section.query.fr, section.query.en) for _, f, _, _ in Formatter().parse(tpl)
    ]
    return list(dict.fromkeys(n for n in names if n))


def _quiz_question(p: Passage, language: str) -> str:
    # Extractive mode cannot write questions; asking about the passage's heading keeps the
    # question answerable by exactly the cited sentence.
    topic = _last_heading(p.section) or p.title
    return say(QUIZ, language).format(title=p.title, topic=topic)


def _last_heading(path: str) -> str:
    for sep in (" › ", " > ", "/"):
        if sep in path:
            return path.split(sep)[-1].strip()
    return path.strip()


__all__ = [
    "InputError",
    "ResultSection",
    "ResultSentence",
    "WorkflowResult",
    "run_workflow",
    "scope_ids",
    "validate_inputs",
]
