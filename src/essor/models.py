"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from essor.db import Base
from essor.knowledge import models as knowledge_models

__all__ = ["Base", "knowledge_models"]
