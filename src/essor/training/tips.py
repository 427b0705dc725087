"""Tips in context: short hints on a page (``ask``, ``search``...) or a workflow
(``workflow:<id>``), for one tier or all, dismissible for good.

Counting: every page view that shows tips adds one to their ``displays`` in a single UPDATE,
in its own short transaction after the page's data is gathered; a dismissal is one row per
person and tip, so the dismissal count is exact and a dismissed tip never comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from essor.governance.access import Reader
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.models import TRAINING_TIERS
from essor.training.actions import TrainingError, require_manager
from essor.training.models import TARGET_MAX, TIP_MAX, Tip, TipDismissal

PAGE_TARGETS = ("ask", "search", "workflows", "training", "stories", "champions")
WORKFLOW_PREFIX = "workflow:"
_WORKFLOW_TARGET = re.compile(r"^workflow:[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SHOWN = 3  # a page shows at most this many tips at once, oldest first


def checked_target(target: str) -> str:
    target = target.strip()
    if len(target) > TARGET_MAX or not (target in PAGE_TARGETS or _WORKFLOW_TARGET.match(target)):
        raise TrainingError(
            f"a tip's target is one of {', '.join(PAGE_TARGETS)} or workflow:<workflow id>"
        )
    return target


def _checked_tier(tier: str | None) -> str | None:
    if not tier:
        return None
    if tier not in TRAINING_TIERS:
        raise TrainingError(f"unknown tier {tier!r}; one of {', '.join(TRAINING_TIERS)}")
    return tier


def _checked_texts(text_en: str, text_fr: str) -> tuple[str, str]:
    en, fr = text_en.strip(), text_fr.strip()
    if not en and not fr:
        raise TrainingError("a tip needs its text in English or French")
    if len(en) > TIP_MAX or len(fr) > TIP_MAX:
        raise TrainingError(f"a tip has at most {TIP_MAX} characters")
    return en, fr


def save_tip(
    session: Session,
    *,
    actor: Reader,
    target: str,
    text_en: str = "",
    text_fr: str = "",
    tier: str | None = None,
    active: bool = True,
    tip_id: int | None = None,
) -> Tip:
    """Create a tip (``tip_id`` None) or replace an existing one's fields; an inactive tip
    keeps its counts but is shown to nobody."""
    require_manager(actor, "tip.save", tip_id or "new")
    target = checked_target(target)
    en, fr = _checked_texts(text_en, text_fr)
    if tip_id is None:
        tip = Tip()
        session.add(tip)
    else:
        found = session.get(Tip, tip_id)
        if found is None:
            raise TrainingError(f"unknown tip: {tip_id}")
        tip = found
    tip.target, tip.tier, tip.text_en, tip.text_fr = target, _checked_tier(tier), en, fr
    tip.active = active
    tip.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "tip.save",
        object_type="tip",
        object_id=tip.id,
        detail={"target": target, "tier": tip.tier, "active": active},
    )
    return tip


def dismiss(session: Session, tip_id: int, *, actor: Reader) -> bool:
    """Never show this tip to the actor again; returns whether it was newly dismissed."""
    identity = actor.identity
    if identity is None:
        raise NotAllowed("only a signed-in person dismisses tips")
    if session.get(Tip, tip_id) is None:
        raise TrainingError(f"unknown tip: {tip_id}")
    if session.get(TipDismissal, (tip_id, identity.person_id)) is not None:
        return False
    session.add(TipDismissal(tip_id=tip_id, person_id=identity.person_id))
    record(session, actor, "tip.dismiss", object_type="tip", object_id=tip_id)
    return True


@dataclass(frozen=True)
class ShownTip:
    id: int
    text: str
    language: str


def tips_to_show(
    session: Session, *, person_id: int, tier: str, targets: tuple[str, ...], language: str
) -> list[ShownTip]:
    """Active tips for these targets and this tier (or all tiers) the person has not
    dismissed, in the page's language when written in it, else in the other one."""
    dismissed = select(TipDismissal.tip_id).where(TipDismissal.person_id == person_id)
    rows = session.scalars(
        select(Tip)
        .where(
            Tip.active.is_(True),
            Tip.target.in_(targets),
            (Tip.tier.is_(None)) | (Tip.tier == tier),
            Tip.id.not_in(dismissed),
        )
        .order_by(Tip.id)
        .limit(MAX_SHOWN)
    )
    out = []
    for tip in rows:
        if language == "fr":
            text, lang = (tip.text_fr, "fr") if tip.text_fr else (tip.text_en, "en")
        else:
            text, lang = (tip.text_en, "en") if tip.text_en else (tip.text_fr, "fr")
        out.append(ShownTip(tip.id, text, lang))
    return out


def count_displays(session: Session, tip_ids: list[int]) -> None:
    """One UPDATE for a page view's tips (the caller keeps it in its own short transaction)."""
    if tip_ids:
        session.execute(update(Tip).where(Tip.id.in_(tip_ids)).values(displays=Tip.displays + 1))


@dataclass(frozen=True)
class TipStats:
    id: int
    target: str
    tier: str | None
    text_en: str
    text_fr: str
    active: bool
    displays: int
    dismissals: int

    @property
    def dismissal_rate(self) -> float | None:
        return self.dismissals / self.displays if self.displays else None


def tip_stats(session: Session) -> list[TipStats]:
    """Every tip with its display and dismissal counts, by target then id."""
    dismissals = dict(
        session.execute(
            select(TipDismissal.tip_id, func.count()).group_by(TipDismissal.tip_id)
        ).all()
    )
    return [
        TipStats(
            id=t.id,
            target=t.target,
            tier=t.tier,
            text_en=t.text_en,
            text_fr=t.text_fr,
            active=t.active,
            displays=t.displays,
            dismissals=dismissals.get(t.id, 0),
        )
        for t in session.scalars(select(Tip).order_by(Tip.target, Tip.id))
    ]
