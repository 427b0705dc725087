"""Files attached to a readiness checklist item as evidence.

The bytes live under ``data_dir/evidence`` under a random name the server chose
(``stored_name``); the name the uploader gave is kept, cleaned, only to show and to offer as
the download's name, so it can never steer where a file is written or read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from essor.db import Base
from essor.knowledge.models import utcnow
from essor.rollout.models import KEY_MAX

FILENAME_MAX = 200
CONTENT_TYPE_MAX = 100
STORED_NAME_MAX = 64


class EvidenceFile(Base):
    """One evidence file of one checklist item (an item may have several)."""

    __tablename__ = "readiness_evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    item_key: Mapped[str] = mapped_column(String(KEY_MAX))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    content_type: Mapped[str] = mapped_column(String(CONTENT_TYPE_MAX))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(STORED_NAME_MAX), unique=True)
    # The uploader's email at the time, kept if they later leave the directory.
    uploaded_by: Mapped[str] = mapped_column(String(320), default="")
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
