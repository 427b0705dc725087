"""The champions network: who the champions are (by role), which departments in or near the
rollout lack one, and their shared feed of questions, answers and success stories.

A person is a champion of a department while they hold the ``champion`` role for it
(``governance.actions.grant_role``) and are employed. Coverage flags a department with no
champion when it is in ``pilot`` or ``rolling_out``, or still ``planned`` in a wave that
starts within ``NEAR_ROLLOUT_DAYS`` days (or has already started).

Who may do what on the feed: champions (of any department), programme leads and
administrators post; they and department admins read it; authors delete their own posts (a
question that has answers stays, an administrator may hide it); administrators and programme
leads hide or show any post. Success stories that are not hidden are for every signed-in
person.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from essor.db import Base
from essor.governance.access import Identity, Reader
from essor.governance.actions import NotAllowed
from essor.governance.audit import record
from essor.governance.models import RoleGrant
from essor.knowledge.models import utcnow
from essor.people.models import Department, Person
from essor.people.queries import employed_on
from essor.rollout.models import DepartmentRollout, RolloutWave
from essor.training.queries import power_track_status

POST_KINDS = ("question", "answer", "story")
TITLE_MAX = 200
BODY_MAX = 4000
UNIT_MAX = 60
IMPACT_MAX = 1_000_000.0
NEAR_ROLLOUT_DAYS = 60
FEED_LIMIT = 100


class ChampionPost(Base):
    """A question, an answer (``parent_id`` is its question) or a success story."""

    __tablename__ = "champion_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("champion_post.id", ondelete="CASCADE"), index=True, nullable=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # The author's name at the time, kept if they leave the directory.
    author_name: Mapped[str] = mapped_column(String(200), default="")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    workflow_id: Mapped[str] = mapped_column(String(128), default="")
    impact_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    impact_unit: Mapped[str] = mapped_column(String(UNIT_MAX), default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class ChampionsError(ValueError):
    """Bad input for a post (empty text, unknown workflow, impact without a unit...)."""


# -- who may do what --------------------------------------------------------------------------
def holds(identity: Identity, role: str) -> bool:
    """Holds ``role`` for any department (or organisation-wide)."""
    return any(r == role for r, _ in identity.roles)


def can_post(reader: Reader) -> bool:
    if reader.system:
        return True
    i = reader.identity
    return i is not None and (i.is_admin or holds(i, "programme_lead") or holds(i, "champion"))


def can_read_feed(reader: Reader) -> bool:
    i = reader.identity
    return can_post(reader) or (i is not None and holds(i, "department_admin"))


def can_moderate(reader: Reader) -> bool:
    if reader.system:
        return True
    i = reader.identity
    return i is not None and (i.is_admin or holds(i, "programme_lead"))


def roster_scope(reader: Reader) -> set[int] | None:
    """Departments whose champions ``reader`` sees: None for all (champions, programme leads,
    administrators: it is one network), a department admin's own departments, else none."""
    if can_post(reader):
        return None
    i = reader.identity
    if i is None:
        return set()
    return {d for r, d in i.roles if r == "department_admin" and d is not None}


# -- roster and coverage ----------------------------------------------------------------------
@dataclass(frozen=True)
class Champion:
    person_id: int
    name: str
    email: str
    department: str
    department_name: str
    since: datetime
    done: int
    total: int

    @property
    def completion(self) -> float | None:
        """Power-track resources done ÷ resources; None while the track is empty."""
        return self.done / self.total if self.total else None

    @property
    def trained(self) -> bool:
        return self.total > 0 and self.done >= self.total

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "email": self.email,
            "department": self.department,
            "since": self.since.isoformat(),
            "training": {"done": self.done, "total": self.total, "ratio": self.completion},
        }


def roster(
    session: Session, *, on: date | None = None, department_ids: Collection[int] | None = None
) -> list[Champion]:
    """Employed champions by department code then name, with the date they became one and
    their power-track progress."""
    query = (
        select(
            Person.id,
            Person.name,
            Person.email,
            Department.id,
            Department.code,
            Department.name,
            func.min(RoleGrant.created_at),
        )
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Department, Department.id == RoleGrant.department_id)
        .where(RoleGrant.role == "champion", employed_on(on or date.today()))
        .group_by(Person.id, Person.name, Person.email, Department.id, Department.code)
        .order_by(Department.code, Person.name, Person.email)
    )
    rows = [r for r in session.execute(query) if department_ids is None or r[3] in department_ids]
    status = power_track_status(session, sorted({r[0] for r in rows}))
    return [
        Champion(
            person_id=pid,
            name=name,
            email=email,
            department=code,
            department_name=dname,
            since=since,
            done=status[pid][0],
            total=status[pid][1],
        )
        for pid, name, email, _did, code, dname, since in rows
    ]


@dataclass(frozen=True)
class Coverage:
    code: str
    name: str
    stage: str
    wave: str | None
    wave_start: date | None
    champions: int
    # Why the department counts as in or near the rollout: "pilot", "rolling_out",
    # "wave_soon"; empty when it does not.
    near: str

    @property
    def flagged(self) -> bool:
        return bool(self.near) and self.champions == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "stage": self.stage,
            "wave": self.wave,
            "wave_start": self.wave_start.isoformat() if self.wave_start else None,
            "champions": self.champions,
            "near_rollout": self.near or None,
            "flagged": self.flagged,
        }


def near_rollout(stage: str, wave_start: date | None, on: date) -> str:
    if stage in ("pilot", "rolling_out"):
        return stage
    soon = on + timedelta(days=NEAR_ROLLOUT_DAYS)
    if stage == "planned" and wave_start is not None and wave_start <= soon:
        return "wave_soon"
    return ""


def coverage(
    session: Session, *, on: date | None = None, department_ids: Collection[int] | None = None
) -> list[Coverage]:
    """Every department (or those in ``department_ids``) by code, with its champions and
    whether it is flagged: in or near the rollout without a champion."""
    on = on or date.today()
    counts = dict(
        session.execute(
            select(RoleGrant.department_id, func.count(func.distinct(RoleGrant.person_id)))
            .join(Person, Person.id == RoleGrant.person_id)
            .where(RoleGrant.role == "champion", employed_on(on))
            .group_by(RoleGrant.department_id)
        ).all()
    )
    rows = session.execute(
        select(Department, DepartmentRollout.stage, RolloutWave.name, RolloutWave.start_date)
        .outerjoin(DepartmentRollout, DepartmentRollout.department_id == Department.id)
        .outerjoin(RolloutWave, RolloutWave.id == DepartmentRollout.wave_id)
        .order_by(Department.code)
    ).all()
    out = []
    for department, stage, wave, start in rows:
        if department_ids is not None and department.id not in department_ids:
            continue
        stage = stage or "planned"
        out.append(
            Coverage(
                code=department.code,
                name=department.name,
                stage=stage,
                wave=wave,
                wave_start=start,
                champions=counts.get(department.id, 0),
                near=near_rollout(stage, start, on),
            )
        )
    return out


def flagged_departments(session: Session, *, on: date | None = None) -> list[str]:
    """Codes of the departments in or near the rollout without a champion."""
    return [c.code for c in coverage(session, on=on) if c.flagged]


# -- the feed ---------------------------------------------------------------------------------
def _refuse(actor: Reader, message: str, action: str, object_id: str | int) -> NotAllowed:
    return NotAllowed(
        message, actor=actor, action=action, object_type="champion_post", object_id=str(object_id)
    )


def _impact(value: float | None, unit: str) -> tuple[float | None, str]:
    unit = unit.strip()
    if value is None:
        if unit:
            raise ChampionsError("an impact unit needs a figure")
        return None, ""
    if not math.isfinite(value) or not 0 < value <= IMPACT_MAX:
        raise ChampionsError(f"an impact figure is a number above 0 and at most {IMPACT_MAX:,.0f}")
    if not unit or len(unit) > UNIT_MAX:
        raise ChampionsError(
            f"an impact figure needs its unit (1 to {UNIT_MAX} characters, e.g. minutes saved "
            "per week)"
        )
    return value, unit


def _champion_department(session: Session, identity: Identity) -> int | None:
    for role, department_id in sorted(identity.roles, key=lambda r: (r[0], r[1] or 0)):
        if role == "champion" and department_id is not None:
            return department_id
    return identity.department_id


def create_post(
    session: Session,
    *,
    actor: Reader,
    kind: str,
    body: str,
    title: str = "",
    parent_id: int | None = None,
    workflow_id: str = "",
    impact_value: float | None = None,
    impact_unit: str = "",
    known_workflows: Collection[str] = (),
) -> ChampionPost:
    """Post a question, an answer to a question, or a success story (which may name a
    workflow of ``known_workflows`` and an impact figure with its unit)."""
    if not can_post(actor) or actor.identity is None:
        raise _refuse(
            actor, "only champions, programme leads and administrators post", "champions.post", kind
        )
    identity = actor.identity
    if kind not in POST_KINDS:
        raise ChampionsError(f"unknown kind {kind!r}; one of {', '.join(POST_KINDS)}")
    body, title = body.strip(), title.strip()
    if not body:
        raise ChampionsError("a post needs its text")
    if len(body) > BODY_MAX:
        raise ChampionsError(f"a post has at most {BODY_MAX:,} characters")
    if len(title) > TITLE_MAX:
        raise ChampionsError(f"a title has at most {TITLE_MAX} characters")
    workflow_id = workflow_id.strip()
    if kind != "story" and (workflow_id or impact_value is not None or impact_unit.strip()):
        raise ChampionsError("only a success story names a workflow or an impact")
    if workflow_id and workflow_id not in known_workflows:
        raise ChampionsError(f"unknown workflow: {workflow_id}")
    value, unit = _impact(impact_value, impact_unit)
    if kind == "answer":
        parent = session.get(ChampionPost, parent_id) if parent_id is not None else None
        if parent is None or parent.kind != "question" or parent.hidden:
            raise ChampionsError("an answer replies to a question of the feed")
    elif parent_id is not None:
        raise ChampionsError("only an answer replies to a post")
    if kind == "story" and not title:
        raise ChampionsError("a success story needs a title")
    post = ChampionPost(
        kind=kind,
        parent_id=parent_id if kind == "answer" else None,
        author_id=identity.person_id,
        author_name=identity.name,
        department_id=_champion_department(session, identity),
        title=title,
        body=body,
        workflow_id=workflow_id,
        impact_value=value,
        impact_unit=unit,
    )
    session.add(post)
    session.flush()
    record(
        session,
        actor,
        "champions.post",
        object_type="champion_post",
        object_id=post.id,
        detail={
            "kind": kind,
            "parent": post.parent_id,
            "title": title,
            "workflow": workflow_id or None,
            "impact": [value, unit] if value is not None else None,
            "chars": len(body),
        },
    )
    return post


def delete_post(session: Session, post_id: int, *, actor: Reader) -> None:
    """An author deletes their own post; a question with answers stays (others wrote them)."""
    post = session.get(ChampionPost, post_id)
    if post is None:
        raise ChampionsError(f"unknown post: {post_id}")
    identity = actor.identity
    if identity is None or post.author_id != identity.person_id:
        raise _refuse(actor, "only its author deletes a post", "champions.delete", post_id)
    answers = session.scalar(
        select(func.count()).select_from(ChampionPost).where(ChampionPost.parent_id == post.id)
    )
    if answers:
        raise ChampionsError(
            "this question has answers; an administrator or programme lead can hide it"
        )
    session.delete(post)
    record(
        session,
        actor,
        "champions.delete",
        object_type="champion_post",
        object_id=post_id,
        detail={"kind": post.kind, "title": post.title},
    )


def set_hidden(session: Session, post_id: int, hidden: bool, *, actor: Reader) -> ChampionPost:
    action = "champions.hide" if hidden else "champions.show"
    if not can_moderate(actor):
        raise _refuse(actor, "only administrators and programme leads hide posts", action, post_id)
    post = session.get(ChampionPost, post_id)
    if post is None:
        raise ChampionsError(f"unknown post: {post_id}")
    post.hidden = hidden
    record(
        session,
        actor,
        action,
        object_type="champion_post",
        object_id=post_id,
        detail={"kind": post.kind},
    )
    return post


@dataclass(frozen=True)
class PostView:
    id: int
    kind: str
    title: str
    body: str
    author: str
    department: str | None
    created_at: datetime
    workflow_id: str
    impact_value: float | None
    impact_unit: str
    hidden: bool
    mine: bool
    answers: list[PostView] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "author": self.author,
            "department": self.department,
            "created_at": self.created_at.isoformat(),
            "workflow": self.workflow_id or None,
            "impact": (
                {"value": self.impact_value, "unit": self.impact_unit}
                if self.impact_value is not None
                else None
            ),
            "answers": [a.as_dict() for a in self.answers],
        }


def _views(session: Session, reader: Reader, posts: list[ChampionPost]) -> list[PostView]:
    me = reader.identity.person_id if reader.identity else None
    codes = dict(session.execute(select(Department.id, Department.code)).all())
    return [
        PostView(
            id=p.id,
            kind=p.kind,
            title=p.title,
            body=p.body,
            author=p.author_name,
            department=codes.get(p.department_id) if p.department_id else None,
            created_at=p.created_at,
            workflow_id=p.workflow_id,
            impact_value=p.impact_value,
            impact_unit=p.impact_unit,
            hidden=p.hidden,
            mine=me is not None and p.author_id == me,
        )
        for p in posts
    ]


def feed(session: Session, *, reader: Reader, limit: int = FEED_LIMIT) -> list[PostView]:
    """Questions and stories, newest first, each question with its answers oldest first.
    Hidden posts are left out, except for those who may show them again."""
    if not can_read_feed(reader):
        raise NotAllowed("the champions' feed is for champions and the rollout's leads")
    moderator = can_moderate(reader)
    query = select(ChampionPost).where(ChampionPost.parent_id.is_(None))
    if not moderator:
        query = query.where(ChampionPost.hidden.is_(False))
    tops = list(
        session.scalars(
            query.order_by(ChampionPost.created_at.desc(), ChampionPost.id.desc()).limit(limit)
        )
    )
    answers_query = select(ChampionPost).where(
        ChampionPost.parent_id.in_([p.id for p in tops if p.kind == "question"])
    )
    if not moderator:
        answers_query = answers_query.where(ChampionPost.hidden.is_(False))
    answers = list(
        session.scalars(answers_query.order_by(ChampionPost.created_at, ChampionPost.id))
    )
    by_parent: dict[int, list[PostView]] = {}
    for view, post in zip(_views(session, reader, answers), answers, strict=True):
        assert post.parent_id is not None
        by_parent.setdefault(post.parent_id, []).append(view)
    return [
        PostView(**{**v.__dict__, "answers": by_parent.get(v.id, [])})
        for v in _views(session, reader, tops)
    ]


def stories(session: Session, *, reader: Reader, limit: int = FEED_LIMIT) -> list[PostView]:
    """Success stories for every signed-in person, newest first; hidden ones left out."""
    if reader.identity is None and not reader.system:
        raise NotAllowed("sign in to read the success stories")
    rows = list(
        session.scalars(
            select(ChampionPost)
            .where(ChampionPost.kind == "story", ChampionPost.hidden.is_(False))
            .order_by(ChampionPost.created_at.desc(), ChampionPost.id.desc())
            .limit(limit)
        )
    )
    return _views(session, reader, rows)


def post_author(session: Session, post_id: int) -> int | None:
    return session.scalar(select(ChampionPost.author_id).where(ChampionPost.id == post_id))
