"""What every parser returns: plain text plus headed sections with character offsets into it."""

from __future__ import annotations

from dataclasses import dataclass, field


class ParseError(Exception):
    """A file (or a JSONL line) that cannot be ingested; ``reason`` is shown to the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSection:
    """``text[start:end]`` of the document is this section's body (headings excluded)."""

    title: str
    path: tuple[str, ...]
    start: int
    end: int
    external_id: str | None = None


@dataclass
class ParsedDocument:
    title: str
    text: str
    sections: list[ParsedSection]
    format: str
    external_id: str | None = None
    url: str | None = None
    language: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse documents with no usable text or with offsets outside the text."""
        if not self.text.strip():
            raise ParseError("no text could be extracted (empty document)")
        for s in self.sections:
            if not (0 <= s.start <= s.end <= len(self.text)):
                raise ParseError(f"section {s.title!r} has offsets outside the text")
