"""Dense vectors for chunks (optional extra ``dense``): a numpy MiniLM encoder and their store."""

from essor.knowledge.embeddings.encoder import (
    DenseUnavailableError,
    MiniLMEncoder,
    TextEncoder,
    get_encoder,
)
from essor.knowledge.embeddings.store import DENSE_LANGUAGES, EmbedSummary, embed_pending

__all__ = [
    "DENSE_LANGUAGES",
    "DenseUnavailableError",
    "EmbedSummary",
    "MiniLMEncoder",
    "TextEncoder",
    "embed_pending",
    "get_encoder",
]
