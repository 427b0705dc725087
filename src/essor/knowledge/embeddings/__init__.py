"""Dense vectors for chunks (optional extra ``dense``): MiniLM encoders (numpy, onnxruntime)
and their store."""

from essor.knowledge.embeddings.encoder import (
    DenseUnavailableError,
    MiniLMEncoder,
    TextEncoder,
    get_encoder,
    get_query_encoder,
)
from essor.knowledge.embeddings.ort_encoder import OrtMiniLMEncoder, ort_available
from essor.knowledge.embeddings.store import DENSE_LANGUAGES, EmbedSummary, embed_pending

__all__ = [
    "DENSE_LANGUAGES",
    "DenseUnavailableError",
    "EmbedSummary",
    "MiniLMEncoder",
    "OrtMiniLMEncoder",
    "TextEncoder",
    "embed_pending",
    "get_encoder",
    "get_query_encoder",
    "ort_available",
]
