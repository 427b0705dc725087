"""Whether searches use dense vectors: ``ESSOR_DENSE`` when set, otherwise whenever the model
and the libraries that run it are installed (checked once, without importing them)."""

from __future__ import annotations

import functools
import importlib.util

from essor.knowledge.embeddings.encoder import DenseUnavailableError, model_dir
from essor.settings import Settings

_LIBRARIES = ("tokenizers", "safetensors")


@functools.cache
def dense_installed() -> bool:
    if any(importlib.util.find_spec(name) is None for name in _LIBRARIES):
        return False
    try:
        model_dir()
    except DenseUnavailableError:
        return False
    return True


def dense_enabled(settings: Settings) -> bool:
    """``ESSOR_DENSE`` true or false wins; unset means on when the dense extra is installed."""
    return settings.dense if settings.dense is not None else dense_installed()
