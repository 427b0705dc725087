"""Writes to training: tracks and resources (programme leads and administrators), a person's
own progress, and people's tiers. Each change is audited in its transaction; a refusal raises
``NotAllowed`` carrying its denied audit entry."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from essor.governance.access import Reader, can_manage_rollout
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.knowledge.models import utcnow
from essor.people.models import TRAINING_TIERS, Person
from essor.people.queries import known_person
from essor.training.models import (
    RESOURCE_KINDS,
    TEXT_MAX,
    TITLE_MAX,
    URL_MAX,
    TrainingCompletion,
    TrainingResource,
    TrainingTrack,
)


class TrainingError(ValueError):
    """Bad input for a training change (unknown tier, empty title, unsafe link...)."""


def can_manage_training(reader: Reader) -> bool:
    """Tracks, resources and tips are the programme's: administrators and programme leads."""
    if reader.system:
        return True
    identity = reader.identity
    return identity is not None and (identity.is_admin or identity.has_role("programme_lead"))


def require_manager(reader: Reader, action: str, object_id: str | int) -> None:
    if not can_manage_training(reader):
        raise NotAllowed(
            "only programme leads and administrators manage training",
            actor=reader,
            action=action,
            object_type="training",
            object_id=str(object_id),
        )


def _texts(title_en: str, title_fr: str, what: str) -> tuple[str, str]:
    en, fr = title_en.strip(), title_fr.strip()
    if not en and not fr:
        raise TrainingError(f"a {what} needs a title in English or French")
    if len(en) > TITLE_MAX or len(fr) > TITLE_MAX:
        raise TrainingError(f"a {what} title has at most {TITLE_MAX} characters")
    return en, fr


def _body(text: str) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise TrainingError(f"a text has at most {TEXT_MAX:,} characters")
    return text


def _tier(tier: str) -> str:
    if tier not in TRAINING_TIERS:
        raise TrainingError(f"unknown tier {tier!r}; one of {', '.join(TRAINING_TIERS)}")
    return tier


def checked_url(url: str | None) -> str:
    # Recordings are shown as links: web addresses only, never javascript: or data:.
    url = (url or "").strip()
    if url and not re.match(r"https?://[^\s<>\"']+$", url, re.IGNORECASE):
        raise TrainingError("a link must be an http(s) address")
    if len(url) > URL_MAX:
        raise TrainingError(f"a link has at most {URL_MAX} characters")
    return url


def _track(session: Session, track_id: int) -> TrainingTrack:
    track = session.get(TrainingTrack, track_id)
    if track is None:
        raise TrainingError(f"unknown track: {track_id}")
    return track


def _resource(session: Session, resource_id: int) -> TrainingResource:
    resource = session.get(TrainingResource, resource_id)
    if resource is None:
        raise TrainingError(f"unknown resource: {resource_id}")
    return resource


def _audit(session: Session, actor: Reader, action: str, object_id: int, **detail: Any) -> None:
    record(session, actor, action, object_type="training", object_id=object_id, detail=detail)


def _next_position(
    session: Session, position: InstrumentedAttribute[int], among: ColumnElement[bool]
) -> int:
    """One past the last position among ``among`` (1 for the first), so new ones go last."""
    return (session.scalar(select(func.max(position)).where(among)) or 0) + 1


# -- tracks -----------------------------------------------------------------------------------
def save_track(
    session: Session,
    *,
    actor: Reader,
    tier: str,
    title_en: str,
    title_fr: str = "",
    description_en: str = "",
    description_fr: str = "",
    position: int | None = None,
    track_id: int | None = None,
) -> TrainingTrack:
    """Create a track (``track_id`` None) or replace an existing one's fields."""
    require_manager(actor, "training.track", track_id or "new")
    en, fr = _texts(title_en, title_fr, "track")
    tier = _tier(tier)
    if track_id is None and position is None:
        position = _next_position(session, TrainingTrack.position, TrainingTrack.tier == tier)
    track = _track(session, track_id) if track_id is not None else TrainingTrack()
    track.tier = tier
    track.title_en, track.title_fr = en, fr
    track.description_en, track.description_fr = _body(description_en), _body(description_fr)
    if position is not None:
        track.position = position
    track.updated_at = utcnow()
    session.add(track)
    session.flush()
    _audit(session, actor, "training.track", track.id, tier=track.tier, title=en or fr)
    return track


def delete_track(session: Session, track_id: int, *, actor: Reader) -> None:
    require_manager(actor, "training.track.delete", track_id)
    track = _track(session, track_id)
    session.delete(track)
    _audit(session, actor, "training.track.delete", track_id, title=track.title_en)


# -- resources --------------------------------------------------------------------------------
def save_resource(
    session: Session,
    *,
    actor: Reader,
    kind: str,
    title_en: str,
    title_fr: str = "",
    body_en: str = "",
    body_fr: str = "",
    url: str = "",
    position: int | None = None,
    track_id: int | None = None,
    resource_id: int | None = None,
) -> TrainingResource:
    """Add a resource to ``track_id`` or (``resource_id``) replace one's fields."""
    require_manager(actor, "training.resource", resource_id or track_id or "new")
    if kind not in RESOURCE_KINDS:
        raise TrainingError(f"unknown kind {kind!r}; one of {', '.join(RESOURCE_KINDS)}")
    en, fr = _texts(title_en, title_fr, "resource")
    link = checked_url(url)
    if kind == "recording" and not link:
        raise TrainingError("a recording needs its http(s) link")
    if resource_id is not None:
        resource = _resource(session, resource_id)
    else:
        if track_id is None:
            raise TrainingError("a resource belongs to a track")
        _track(session, track_id)
        if position is None:
            position = _next_position(
                session, TrainingResource.position, TrainingResource.track_id == track_id
            )
        resource = TrainingResource(track_id=track_id)
    resource.kind = kind
    resource.title_en, resource.title_fr = en, fr
    resource.body_en, resource.body_fr = _body(body_en), _body(body_fr)
    resource.url = link
    if position is not None:
        resource.position = position
    resource.updated_at = utcnow()
    session.add(resource)
    session.flush()
    _audit(
        session,
        actor,
        "training.resource",
        resource.id,
        track=resource.track_id,
        kind=kind,
        title=en or fr,
        url=link,
    )
    return resource


def delete_resource(session: Session, resource_id: int, *, actor: Reader) -> None:
    require_manager(actor, "training.resource.delete", resource_id)
    resource = _resource(session, resource_id)
    session.delete(resource)
    _audit(session, actor, "training.resource.delete", resource_id, title=resource.title_en)


# -- a person's progress and tier -------------------------------------------------------------
def mark_done(session: Session, resource_id: int, *, actor: Reader, done: bool = True) -> bool:
    """Mark one's own resource done (or not); returns whether anything changed."""
    identity = actor.identity
    if identity is None:
        raise NotAllowed("only a signed-in person keeps their own progress")
    _resource(session, resource_id)
    row = session.get(TrainingCompletion, (resource_id, identity.person_id))
    if done == (row is not None):
        return False
    if row is None:
        session.add(TrainingCompletion(resource_id=resource_id, person_id=identity.person_id))
    else:
        session.delete(row)
    _audit(session, actor, "training.done" if done else "training.undone", resource_id)
    return True


def set_tier(session: Session, email: str, tier: str | None, *, actor: Reader) -> Person:
    """A person's training tier (None: back to the default); whoever manages the person's
    department's rollout may change it. Champions stay ``power`` whatever is stored."""
    person = known_person(session, email, TrainingError)
    if not can_manage_rollout(actor, person.department_id):
        raise NotAllowed(
            "you may not change this person's training tier",
            actor=actor,
            action="training.tier",
            object_type="person",
            object_id=person.email,
        )
    person.training_tier = _tier(tier) if tier else None
    person.updated_at = utcnow()
    record(
        session,
        actor,
        "training.tier",
        object_type="person",
        object_id=person.email,
        detail={"tier": person.training_tier},
    )
    return person
