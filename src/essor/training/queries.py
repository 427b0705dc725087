"""Reads of training: tracks with each person's progress, people's tiers, and coverage per
department.

Tier rule: a person holding the champion role (for any department) is ``power``; anyone else
has the tier stored in the directory (``person.training_tier``), ``occasional`` when unset.

Coverage rule, per department (people counted in their home department, employed today):
people whose tier is ``power`` or ``occasional`` and whose tier has at least one resource are
*expected* to train; they are *trained* once every resource of every track of their tier is
done. ``everyone`` is the self-service library: nothing is required of that tier, so those
people are left out. Champion coverage: champions of the department (by role) who finished
the power track ÷ its champions. The people figure is hidden below the privacy group size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essor.governance.models import RoleGrant
from essor.people.models import TRAINING_TIERS, Department, Person
from essor.people.queries import employed_on
from essor.training.markdown import render_markdown
from essor.training.models import TrainingCompletion, TrainingResource, TrainingTrack

DEFAULT_TIER = "occasional"
REQUIRED_TIERS = ("power", "occasional")


def effective_tier(stored: str | None, *, champion: bool) -> str:
    if champion:
        return "power"
    return stored if stored in TRAINING_TIERS else DEFAULT_TIER


def champion_ids(session: Session) -> set[int]:
    """People holding the champion role for any department."""
    return set(session.scalars(select(RoleGrant.person_id).where(RoleGrant.role == "champion")))


def tier_of(session: Session, person_id: int) -> str:
    stored = session.scalar(select(Person.training_tier).where(Person.id == person_id))
    champion = session.scalar(
        select(RoleGrant.id)
        .where(RoleGrant.person_id == person_id, RoleGrant.role == "champion")
        .limit(1)
    )
    return effective_tier(stored, champion=champion is not None)


def _pick(language: str, en: str, fr: str) -> str:
    first, second = (fr, en) if language == "fr" else (en, fr)
    return first or second


@dataclass(frozen=True)
class ResourceView:
    id: int
    track_id: int
    position: int
    kind: str
    title: str
    body: Markup
    url: str
    done: bool
    title_en: str = ""
    title_fr: str = ""
    body_en: str = ""
    body_fr: str = ""


@dataclass(frozen=True)
class TrackView:
    id: int
    tier: str
    position: int
    title: str
    description: Markup
    resources: list[ResourceView] = field(default_factory=list)
    title_en: str = ""
    title_fr: str = ""
    description_en: str = ""
    description_fr: str = ""

    @property
    def done(self) -> int:
        return sum(1 for r in self.resources if r.done)

    @property
    def total(self) -> int:
        return len(self.resources)

    @property
    def completion(self) -> float | None:
        """Resources done ÷ resources of the track; None for an empty track."""
        return self.done / self.total if self.total else None


def tracks(
    session: Session,
    *,
    language: str = "en",
    tier: str | None = None,
    person_id: int | None = None,
) -> list[TrackView]:
    """Tracks (of one tier, or all) with their resources in order, and which ones
    ``person_id`` has done."""
    query = select(TrainingTrack)
    if tier is not None:
        query = query.where(TrainingTrack.tier == tier)
    # Tiers in their own order (power, occasional, everyone), then each tier's positions.
    rank = {t: i for i, t in enumerate(TRAINING_TIERS)}
    rows = sorted(
        session.scalars(query),
        key=lambda t: (rank.get(t.tier, len(rank)), t.position, t.id),
    )
    if not rows:
        return []
    resources: dict[int, list[TrainingResource]] = defaultdict(list)
    for r in session.scalars(
        select(TrainingResource)
        .where(TrainingResource.track_id.in_([t.id for t in rows]))
        .order_by(TrainingResource.position, TrainingResource.id)
    ):
        resources[r.track_id].append(r)
    done: set[int] = set()
    if person_id is not None:
        done = set(
            session.scalars(
                select(TrainingCompletion.resource_id).where(
                    TrainingCompletion.person_id == person_id
                )
            )
        )
    return [
        TrackView(
            id=t.id,
            tier=t.tier,
            position=t.position,
            title=_pick(language, t.title_en, t.title_fr),
            description=render_markdown(_pick(language, t.description_en, t.description_fr)),
            resources=[
                ResourceView(
                    id=r.id,
                    track_id=t.id,
                    position=r.position,
                    kind=r.kind,
                    title=_pick(language, r.title_en, r.title_fr),
                    body=render_markdown(_pick(language, r.body_en, r.body_fr)),
                    url=r.url,
                    done=r.id in done,
                    title_en=r.title_en,
                    title_fr=r.title_fr,
                    body_en=r.body_en,
                    body_fr=r.body_fr,
                )
                for r in resources[t.id]
            ],
            title_en=t.title_en,
            title_fr=t.title_fr,
            description_en=t.description_en,
            description_fr=t.description_fr,
        )
        for t in rows
    ]


def resources_per_tier(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(TrainingTrack.tier, func.count(TrainingResource.id))
        .join(TrainingResource, TrainingResource.track_id == TrainingTrack.id)
        .group_by(TrainingTrack.tier)
    )
    counts = dict.fromkeys(TRAINING_TIERS, 0)
    for tier, n in rows:
        counts[tier] = n
    return counts


def done_per_tier(
    session: Session, person_ids: list[int] | None = None
) -> dict[tuple[int, str], int]:
    """(person id, tier) -> resources of that tier's tracks the person has done."""
    query = (
        select(TrainingCompletion.person_id, TrainingTrack.tier, func.count())
        .join(TrainingResource, TrainingResource.id == TrainingCompletion.resource_id)
        .join(TrainingTrack, TrainingTrack.id == TrainingResource.track_id)
        .group_by(TrainingCompletion.person_id, TrainingTrack.tier)
    )
    if person_ids is not None:
        query = query.where(TrainingCompletion.person_id.in_(person_ids))
    return {(pid, tier): n for pid, tier, n in session.execute(query)}


def power_track_status(session: Session, person_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Person id -> (resources done, resources) of the power track: a champion's training
    status on the roster."""
    total = resources_per_tier(session)["power"]
    done = done_per_tier(session, person_ids)
    return {pid: (done.get((pid, "power"), 0), total) for pid in person_ids}


@dataclass(frozen=True)
class DepartmentCoverage:
    code: str
    name: str
    expected: int
    trained: int
    champions: int
    champions_trained: int
    min_group: int

    @property
    def suppressed(self) -> bool:
        """Too few people to show their share without pointing at individuals."""
        return 0 < self.expected < self.min_group

    @property
    def ratio(self) -> float | None:
        if self.suppressed or not self.expected:
            return None
        return self.trained / self.expected

    @property
    def champion_ratio(self) -> float | None:
        return self.champions_trained / self.champions if self.champions else None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "expected": None if self.suppressed else self.expected,
            "trained": None if self.suppressed else self.trained,
            "ratio": self.ratio,
            "champions": self.champions,
            "champions_trained": self.champions_trained,
            "champion_ratio": self.champion_ratio,
        }


def department_coverage(
    session: Session,
    *,
    min_group: int,
    on: date | None = None,
    department_ids: set[int] | None = None,
) -> list[DepartmentCoverage]:
    """Coverage of every department (or of ``department_ids``), by code; see the module
    docstring for the rule."""
    on = on or date.today()
    totals = resources_per_tier(session)
    done = done_per_tier(session)
    champions = champion_ids(session)

    def finished(person_id: int, tier: str) -> bool:
        return totals[tier] > 0 and done.get((person_id, tier), 0) >= totals[tier]

    expected: dict[int, int] = defaultdict(int)
    trained: dict[int, int] = defaultdict(int)
    people = session.execute(
        select(Person.id, Person.department_id, Person.training_tier).where(
            employed_on(on), Person.department_id.is_not(None)
        )
    )
    for person_id, department_id, stored in people:
        tier = effective_tier(stored, champion=person_id in champions)
        if department_id is None or tier not in REQUIRED_TIERS or totals[tier] == 0:
            continue
        expected[department_id] += 1
        trained[department_id] += finished(person_id, tier)
    champ_count: dict[int, int] = defaultdict(int)
    champ_trained: dict[int, int] = defaultdict(int)
    grants = session.execute(
        select(RoleGrant.department_id, RoleGrant.person_id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(RoleGrant.role == "champion", employed_on(on))
        .distinct()
    )
    for department_id, person_id in grants:
        if department_id is None:
            continue
        champ_count[department_id] += 1
        champ_trained[department_id] += finished(person_id, "power")
    out = []
    for department in session.scalars(select(Department).order_by(Department.code)):
        if department_ids is not None and department.id not in department_ids:
            continue
        out.append(
            DepartmentCoverage(
                code=department.code,
                name=department.name,
                expected=expected[department.id],
                trained=trained[department.id],
                champions=champ_count[department.id],
                champions_trained=champ_trained[department.id],
                min_group=min_group,
            )
        )
    return out
