"""The workflow definition model: what a YAML file declares once it has been validated.

The loader turns a file into these frozen objects or fails with ``file:line: reason``; nothing
downstream re-checks a definition, so every rule lives in the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("fr", "en")
STATUSES = ("draft", "pilot", "production")
INPUT_TYPES = ("text", "long_text", "choice", "document")
SECTION_FORMATS = ("sentences", "steps", "quiz")
ALL_DEPARTMENTS = "all"

# Defaults for an input's max_length, by type: a one-line field, a pasted message, a title.
DEFAULT_MAX_LENGTH = {"text": 500, "long_text": 4_000, "choice": 100, "document": 300}
MAX_SENTENCES = 10


@dataclass(frozen=True)
class Localized:
    """A text in both languages; a definition without one of them is rejected."""

    fr: str
    en: str

    def get(self, language: str) -> str:
        return self.fr if language == "fr" else self.en

    def as_dict(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en}


@dataclass(frozen=True)
class Choice:
    value: str
    label: Localized

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label.as_dict()}


@dataclass(frozen=True)
class InputField:
    name: str
    type: str
    label: Localized
    required: bool = True
    choices: tuple[Choice, ...] = ()
    max_length: int = 500
    help: Localized | None = None

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label.as_dict(),
            "required": self.required,
            "choices": [c.as_dict() for c in self.choices],
            "max_length": self.max_length,
            "help": self.help.as_dict() if self.help else None,
        }


@dataclass(frozen=True)
class Scope:
    # Empty collections: everything the person may read (the plain "Ask" workflow).
    collections: tuple[str, ...] = ()
    # Only documents carrying one of these tags (empty: any document in the collections).
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"collections": list(self.collections), "tags": list(self.tags)}


@dataclass(frozen=True)
class OutputSection:
    id: str
    title: Localized
    query: Localized  # a template over the inputs: "{message} next steps"
    sentences: int = 3
    format: str = "sentences"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title.as_dict(),
            "query": self.query.as_dict(),
            "sentences": self.sentences,
            "format": self.format,
        }


@dataclass(frozen=True)
class WorkflowDefinition:
    id: str
    department: str  # a department code, or "all"
    title: Localized
    description: Localized
    inputs: tuple[InputField, ...]
    scope: Scope
    sections: tuple[OutputSection, ...]
    minutes_saved: int
    owner: str
    status: str
    version: int
    tips: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: tuple[dict[str, dict[str, str]], ...] = ()  # each: {language: {input: value}}
    fallback_contact: str | None = None
    source: str = ""  # the file it came from, for messages

    def input(self, name: str) -> InputField | None:
        return next((i for i in self.inputs if i.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "department": self.department,
            "title": self.title.as_dict(),
            "description": self.description.as_dict(),
            "inputs": [i.as_dict() for i in self.inputs],
            "scope": self.scope.as_dict(),
            "sections": [s.as_dict() for s in self.sections],
            "minutes_saved": self.minutes_saved,
            "tips": {lang: list(t) for lang, t in self.tips.items()},
            "examples": [dict(e) for e in self.examples],
            "owner": self.owner,
            "status": self.status,
            "version": self.version,
            "fallback_contact": self.fallback_contact,
        }
