"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from essor.analytics import models as analytics_models
from essor.analytics import rollup_models
from essor.budget import models as budget_models
from essor.db import Base
from essor.governance import models as governance_models
from essor.knowledge import models as knowledge_models
from essor.knowledge.embeddings import store as embedding_models
from essor.people import models as people_models
from essor.people.auth import models as auth_models
from essor.rollout import champions as champion_models
from essor.rollout import evidence_models as evidence_file_models
from essor.rollout import models as rollout_models
from essor.rollout import pilot_models
from essor.training import models as training_models

__all__ = [
    "Base",
    "analytics_models",
    "auth_models",
    "budget_models",
    "champion_models",
    "embedding_models",
    "evidence_file_models",
    "governance_models",
    "knowledge_models",
    "people_models",
    "pilot_models",
    "rollout_models",
    "rollup_models",
    "training_models",
]
