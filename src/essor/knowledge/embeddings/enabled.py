"""Whether searches use dense vectors: ``ESSOR_DENSE`` when set, otherwise whenever the model
and the libraries that run it are installed (checked once, without importing them)."""

from __future__ import annotations

import functools

from essor.knowledge.embeddings.encoder import installed
from essor.settings import Settings


@functools.cache
def dense_installed() -> bool:
    return installed(("tokenizers", "safetensors"))


def dense_enabled(settings: Settings) -> bool:
    """``ESSOR_DENSE`` true or false wins; unset means on when the dense extra is installed."""
    return settings.dense if settings.dense is not None else dense_installed()
