"""``/privacy``: exactly what Essor collects and keeps, for every signed-in person.

The usage-event fields are read from the table itself (``UsageEvent.__table__``), so a column
added later shows up here at once, marked "not described yet" until it gets a description
(and a test fails meanwhile). Retention periods and thresholds come from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from essor.analytics.models import UsageEvent
from essor.people.auth.throttle import KEEP as SIGNIN_ATTEMPTS_KEPT
from essor.web import i18n_budget
from essor.web.i18n import STRINGS
from essor.web.identity import require_identity, settings_of
from essor.web.pages import render

router = APIRouter(include_in_schema=False)
i18n_budget.merge()

ALL_KINDS = ("question", "workflow_run", "feedback")
# Which events write each field (analytics/events.py); a field not listed is on every event.
WRITTEN_FOR: dict[str, tuple[str, ...]] = {
    "workflow_id": ("workflow_run", "feedback"),
    "mode": ("question", "workflow_run"),
    "model": ("question", "workflow_run"),
    "latency_ms": ("question", "workflow_run"),
    "prompt_tokens": ("question", "workflow_run"),
    "completion_tokens": ("question", "workflow_run"),
    "citations": ("question", "workflow_run"),
    "abstained": ("question", "workflow_run"),
    "language": ("question", "workflow_run"),
    "question_text": ("question",),
    "about_event_id": ("feedback",),
    "helpful": ("feedback",),
    "minutes_saved": ("feedback",),
    "resolved_without_ticket": ("feedback",),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    kinds: tuple[str, ...]
    key: str  # the i18n key of its description
    described: bool


def usage_event_fields() -> list[Field]:
    """Every column of the usage_event table, in table order."""
    out = []
    for column in UsageEvent.__table__.columns:
        key = f"privacy.field.{column.name}"
        out.append(
            Field(
                name=column.name,
                type=str(column.type).lower(),
                kinds=WRITTEN_FOR.get(column.name, ALL_KINDS),
                key=key,
                described=key in STRINGS["en"],
            )
        )
    return out


@router.get("/privacy")
def privacy_page(request: Request) -> Response:
    require_identity(request)
    settings = settings_of(request)
    context = {
        "fields": usage_event_fields(),
        "store_text": settings.store_question_text,
        "text_days": settings.question_text_retention_days,
        "event_days": settings.event_retention_days,
        "session_days": settings.session_days,
        "attempt_hours": int(SIGNIN_ATTEMPTS_KEPT.total_seconds() // 3600),
        "min_group": settings.privacy_min_group_size,
    }
    return render(request, "privacy.html", context)
