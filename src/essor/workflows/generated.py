"""Model-written workflow sections: the same passages, written by a language model, verified.

The runner retrieves and filters a section's passages exactly as for the extractive composer
(only what the reader may read, inside the workflow's scope), so a model never sees more than
the extractive result could have quoted. The model writes from them with the section's
instruction as its question, and every sentence is checked as ``ask`` checks its answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from essor.assistant.answer import GENERATE_FROM
from essor.assistant.generate import DraftSentence, generate
from essor.assistant.messages import say
from essor.assistant.providers import ChatProvider
from essor.assistant.verify import verify
from essor.knowledge.search import Passage
from essor.settings import Settings

# What the section is for, in the run's language; the inputs follow as "label: value" lines.
INSTRUCTION = {
    "en": "Write the section “{title}” of a document for this person.",
    "fr": "Rédigez la section « {title} » d'un document pour cette personne.",
}
# The formats' shapes, said to the model: the runner turns each sentence into a step or an
# answer, so one sentence must carry one step or one fact.
FORMAT_HINT = {
    "steps": {
        "en": "Give the steps in order, one short sentence per step.",
        "fr": "Donnez les étapes dans l'ordre, une phrase courte par étape.",
    },
    "quiz": {
        "en": "State the key facts to check, one fact per sentence.",
        "fr": "Énoncez les faits essentiels à vérifier, un fait par phrase.",
    },
}
UNSUPPORTED_EVERYWHERE = "no sentence the language model wrote was backed by the sources"


@dataclass(frozen=True)
class Written:
    """A section as the model wrote it: sentences citing ``given`` (1-based), and the verdicts."""

    given: list[Passage]
    sentences: list[DraftSentence]
    supported: list[bool]


class SectionWriter:
    """Asks the model for one section at a time and keeps the run's model and token totals."""

    def __init__(
        self, session: Session, provider: ChatProvider, settings: Settings, language: str
    ) -> None:
        self.session = session
        self.provider = provider
        self.settings = settings
        self.language = language
        self.model: str | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None

    def write(
        self,
        title: str,
        format: str,
        inputs: Mapping[str, str],
        passages: Sequence[Passage],
        max_sentences: int,
    ) -> Written:
        """The model's sentences for the section; ``ProviderError`` propagates to the runner,
        which then composes the whole run extractively (a half-generated run would mix modes
        for no reason the person could see)."""
        given = list(passages[:GENERATE_FROM])
        question = instruction(title, format, inputs, self.language)
        draft = generate(
            self.provider, question, given, language=self.language, max_sentences=max_sentences
        )
        completion = draft.completion
        self.model = completion.model or self.provider.model
        self.prompt_tokens = _add(self.prompt_tokens, completion.prompt_tokens)
        self.completion_tokens = _add(self.completion_tokens, completion.completion_tokens)
        flags = verify(self.session, draft.sentences, given, settings=self.settings)
        return Written(given, list(draft.sentences), flags)


def instruction(title: str, format: str, inputs: Mapping[str, str], language: str) -> str:
    """The question the model answers: the section's title, its format, the person's inputs."""
    lines = [say(INSTRUCTION, language).format(title=title)]
    hint = FORMAT_HINT.get(format)
    if hint:
        lines.append(say(hint, language))
    lines.extend(f"{label}: {' '.join(value.split())}" for label, value in inputs.items() if value)
    return "\n".join(lines)


def _add(total: int | None, more: int | None) -> int | None:
    # A server that does not report usage leaves the total unknown rather than zero.
    if more is None:
        return total
    return (total or 0) + more


__all__ = ["UNSUPPORTED_EVERYWHERE", "SectionWriter", "Written", "instruction"]
