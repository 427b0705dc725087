"""The one protocol every language-model provider speaks, and what it returns.

Kept tiny on purpose: the assistant needs "messages in, text out (optionally streamed),
with token counts"; anything richer (tools, images) is a door documents could push open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int | None  # None when the server does not report usage
    completion_tokens: int | None


class ProviderError(Exception):
    """The model could not be reached or refused the request.

    The message is safe to show and to log: it never carries the API key or request body.
    """


class ChatProvider(Protocol):
    @property
    def model(self) -> str: ...

    def complete(
        self, messages: Sequence[Message], *, stream_to: Callable[[str], None] | None = None
    ) -> Completion:
        """The model's reply; with ``stream_to``, each text delta is passed to it as it comes."""
        ...
