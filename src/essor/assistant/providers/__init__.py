"""Language-model providers behind one protocol; ``get_provider`` picks one from settings."""

from __future__ import annotations

from essor.assistant.providers.base import ChatProvider, Completion, Message, ProviderError
from essor.assistant.providers.openai_compat import OpenAICompatProvider
from essor.settings import Settings

__all__ = [
    "ChatProvider",
    "Completion",
    "Message",
    "OpenAICompatProvider",
    "ProviderError",
    "get_provider",
]


def get_provider(settings: Settings) -> ChatProvider | None:
    """The configured provider, or None: no ``llm_base_url`` means answers stay extractive."""
    if not settings.llm_base_url.strip():
        return None
    # Every server we support (OpenAI, Azure OpenAI, Mistral, vLLM, Ollama, llama.cpp) speaks
    # the chat-completions protocol; a new protocol would get its own module here.
    return OpenAICompatProvider(settings)
