"""A simulated organisation and its usage history, for demos and scale tests.

Everything written here is labelled: simulated departments have codes starting ``SIM-`` and
names ending "(simulated)", simulated people have ``@example.invalid`` addresses, and every
simulated usage event has ``mode = "simulated"`` and ``model = "simulated"``. Nothing is ever
sent to a language model.

Adoption follows curves that differ by department (launch day, ceiling, speed, and for some a
decline after a peak) and by attitude: enthusiasts start early and use it often, sceptics start
late, rarely, and many never do. Runs use the prebuilt workflows of the person's department and
the plain "ask" workflow; about a third of answers and runs get feedback (helpful or not, the
person's own minutes, resolved without a ticket).

Rows are written with the database driver's ``executemany`` in batches, in day order, so event
ids grow with time as they do in real use; a generated run of 100,000 people and 10 million
events takes minutes, not hours.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from essor.analytics.models import UsageEvent
from essor.db import write_session
from essor.people.models import Department, Person
from essor.people.queries import employed_on
from essor.rollout.models import DepartmentRollout
from essor.rollout.pilot_models import CohortMember
from essor.settings import Settings
from essor.workflows.registry import load_registry

MODE = "simulated"
CODE_PREFIX = "SIM-"
EMAIL_DOMAIN = "example.invalid"
INSERT_BATCH = 20_000

ATTITUDE_SHARES = (("enthusiast", 0.2), ("neutral", 0.55), ("sceptic", 0.25))


@dataclass(frozen=True)
class AttitudeProfile:
    reach: float  # share who ever start, within a department at full adoption
    delay_days: float  # mean days after the department's launch before they start
    daily: float  # chance of an active working day once started


PROFILES = {
    "enthusiast": AttitudeProfile(0.95, 4, 0.55),
    "neutral": AttitudeProfile(0.75, 18, 0.35),
    "sceptic": AttitudeProfile(0.40, 40, 0.18),
}

SIMULATED_DEPARTMENTS = (
    ("FIN", "Finance"),
    ("LEGAL", "Legal"),
    ("MKT", "Marketing"),
    ("CS", "Customer service"),
    ("SALES", "Sales"),
    ("HR", "Human resources"),
    ("OPS", "Operations"),
    ("IT", "IT"),
    ("PROC", "Procurement"),
    ("TRAIN", "Training"),
    ("LOG", "Logistics"),
    ("QUAL", "Quality"),
    ("RND", "Research"),
    ("COMMS", "Communications"),
    ("FAC", "Facilities"),
    ("RISK", "Risk"),
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimPerson:
    id: int
    department_id: int
    department_code: str
    attitude: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class _Curve:
    launch: int  # day index the department starts
    ceiling: float  # share of people who end up using it
    speed: float  # days to ramp up
    decline_from: int | None  # day index after which usage fades
    workflows: tuple[str, ...]


@dataclass(frozen=True)
class UsageSummary:
    people: int
    days: int
    events: int
    questions: int
    runs: int
    feedback: int
    first_day: date
    last_day: date
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "people": self.people,
            "days": self.days,
            "events": self.events,
            "questions": self.questions,
            "runs": self.runs,
            "feedback": self.feedback,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class SimulationSummary:
    departments: int
    people: int
    usage: UsageSummary

    def as_dict(self) -> dict[str, object]:
        return {"departments": self.departments, "people": self.people, **self.usage.as_dict()}


# -- the directory -------------------------------------------------------------------------
def simulate_directory(
    session: Session, *, people: int, days: int, seed: int, end: date | None = None
) -> int:
    """Simulated departments and ``people`` people (hired and leaving over the ``days``);
    the number of departments. Written in the caller's transaction."""
    rng = random.Random(f"directory-{seed}")
    end = end or date.today()
    first = end - timedelta(days=days - 1)
    n_departments = max(3, min(len(SIMULATED_DEPARTMENTS) * 3, people // 250))
    codes = []
    for i in range(n_departments):
        code, name = SIMULATED_DEPARTMENTS[i % len(SIMULATED_DEPARTMENTS)]
        suffix = "" if i < len(SIMULATED_DEPARTMENTS) else f"-{i // len(SIMULATED_DEPARTMENTS) + 1}"
        codes.append((f"{CODE_PREFIX}{code}{suffix}", f"{name}{suffix} (simulated)"))
    existing = set(session.scalars(select(Department.code)))
    session.execute(
        insert(Department),
        [{"code": c, "name": n} for c, n in codes if c not in existing],
    )
    ids = {c: i for c, i in session.execute(select(Department.code, Department.id))}
    weights = [rng.uniform(0.3, 2.0) for _ in codes]
    taken = set(session.scalars(select(Person.email).where(Person.email.like(f"%@{EMAIL_DOMAIN}"))))
    attitudes = [a for a, _ in ATTITUDE_SHARES]
    shares = [s for _, s in ATTITUDE_SHARES]
    rows: list[dict[str, Any]] = []
    for i in range(people):
        email = f"sim-{seed}-{i:06d}@{EMAIL_DOMAIN}"
        if email in taken:
            continue
        code, _ = rng.choices(codes, weights)[0]
        start: date | None = first - timedelta(days=rng.randint(30, 3000))
        end_date: date | None = None
        status = "active"
        roll = rng.random()
        if roll < 0.12:  # hired during the simulated period
            start = first + timedelta(days=rng.randint(0, max(0, days - 1)))
        elif roll < 0.17:  # left during it
            end_date = first + timedelta(days=rng.randint(0, max(0, days - 1)))
            status = "left" if end_date < end else "active"
        rows.append(
            {
                "email": email,
                "name": f"Simulated person {i:06d}",
                "department_id": ids[code],
                "job_title": "Simulated employee",
                "status": status,
                "start_date": start,
                "end_date": end_date,
                "attitude": rng.choices(attitudes, shares)[0],
            }
        )
        if len(rows) >= INSERT_BATCH:
            session.execute(insert(Person), rows)
            rows = []
    if rows:
        session.execute(insert(Person), rows)
    return len(codes)


def directory_people(
    session: Session, *, first: date, last: date, seed: int, email_domain: str | None = None
) -> list[SimPerson]:
    """People with a department employed at some point between ``first`` and ``last``; an
    attitude is drawn (from the seed) for those without one."""
    rng = random.Random(f"attitudes-{seed}")
    query = (
        select(
            Person.id,
            Person.department_id,
            Department.code,
            Person.attitude,
            Person.start_date,
            Person.end_date,
            Person.status,
        )
        .join(Department, Department.id == Person.department_id)
        .where(
            (Person.start_date.is_(None)) | (Person.start_date <= last),
            (Person.end_date.is_(None)) | (Person.end_date >= first),
        )
        .order_by(Person.id)
    )
    if email_domain is not None:
        query = query.where(Person.email.like(f"%@{email_domain}"))
    attitudes = [a for a, _ in ATTITUDE_SHARES]
    shares = [s for _, s in ATTITUDE_SHARES]
    out = []
    for pid, dept_id, code, attitude, start, end, status in session.execute(query):
        if dept_id is None or (status == "left" and end is None):
            continue  # left at an unknown date: not employed in the period
        out.append(
            SimPerson(
                pid,
                dept_id,
                code,
                attitude if attitude in PROFILES else rng.choices(attitudes, shares)[0],
                start,
                end,
            )
        )
    return out


# -- usage ---------------------------------------------------------------------------------
def _curves(
    departments: Sequence[str],
    days: int,
    rng: random.Random,
    workflows: dict[str, list[str]],
    launches: Mapping[str, tuple[float, float]],
) -> dict[str, _Curve]:
    out = {}
    general = workflows.get("all", [])
    every = sorted({w for ws in workflows.values() for w in ws} - set(general))
    for i, code in enumerate(sorted(departments)):
        plain = code.removeprefix(CODE_PREFIX).split("-")[0]
        own = workflows.get(plain, []) or workflows.get(code, [])
        if not own and every:
            own = rng.sample(every, k=min(len(every), rng.randint(1, 2)))
        kind = i % 4
        launch = int(days * rng.uniform(0.0, 0.5)) if kind else 0
        ceiling = rng.uniform(0.35, 0.95)
        if code in launches:
            launch, ceiling = int(days * launches[code][0]), launches[code][1]
        out[code] = _Curve(
            launch=launch,
            ceiling=ceiling,
            speed=rng.uniform(7, 35),
            # Every fourth department fades after its peak, so dashboards show a decline.
            decline_from=int(days * rng.uniform(0.55, 0.75)) if kind == 3 else None,
            workflows=tuple(sorted(set(general) | set(own))),
        )
    return out


def _workflows_by_department(settings: Settings) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in load_registry(settings).all():
        if d.status in ("pilot", "production"):
            out.setdefault(
                d.department if d.department == "all" else d.department.upper(), []
            ).append(d.id)
    return out


@dataclass
class _Plan:
    person: SimPerson
    adopt: int  # day index of the first use (beyond the period: never)
    daily: float
    curve: _Curve


def _plans(
    people: Sequence[SimPerson],
    first: date,
    days: int,
    curves: dict[str, _Curve],
    seed: int,
    activity: float = 1.0,
) -> list[_Plan]:
    rng = random.Random(f"plans-{seed}")
    out = []
    for p in people:
        curve = curves[p.department_code]
        profile = PROFILES[p.attitude]
        if rng.random() > profile.reach * curve.ceiling:
            adopt = days  # never starts
        else:
            adopt = curve.launch + int(rng.expovariate(1 / (profile.delay_days + curve.speed)))
        if p.start is not None:
            adopt = max(adopt, (p.start - first).days)
        daily = min(0.95, profile.daily * rng.uniform(0.6, 1.4) * activity)
        out.append(_Plan(p, adopt, daily, curve))
    return out


def _rows(
    plans: Sequence[_Plan],
    first: date,
    days: int,
    rng: random.Random,
    estimates: dict[str, int],
    intensity: float,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Per day: the day index and its events (feedback marked with ``_about``: the index, in
    the day's list, of the event it is about)."""
    for index in range(days):
        day = first + timedelta(days=index)
        weekend = day.weekday() >= 5
        events: list[dict[str, Any]] = []
        for plan in plans:
            if index < plan.adopt:
                continue
            p = plan.person
            if p.end is not None and day > p.end:
                continue
            chance = plan.daily * (0.08 if weekend else 1.0)
            # Ramp up over the first weeks after adopting; fade after a department's peak.
            chance *= min(1.0, 0.35 + (index - plan.adopt) / 21)
            decline = plan.curve.decline_from
            if decline is not None and index > decline:
                chance *= math.exp(-(index - decline) / 20)
            if rng.random() >= chance:
                continue
            n = 1 + int(rng.expovariate(1 / (1.4 * intensity)))
            for _ in range(n):
                at = datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.randint(0, 59))
                workflow = None
                if rng.random() < 0.55 and plan.curve.workflows:
                    workflow = rng.choice(plan.curve.workflows)
                abstained = rng.random() < (0.04 if workflow else 0.08)
                event = {
                    "at": at,
                    "kind": "workflow_run" if workflow else "question",
                    "person_id": p.id,
                    "department_id": p.department_id,
                    "workflow_id": workflow,
                    "abstained": abstained,
                    "prompt_tokens": rng.randint(600, 2600),
                    "completion_tokens": rng.randint(120, 520),
                    "latency_ms": rng.randint(400, 4000),
                    "citations": 0 if abstained else rng.randint(1, 4),
                    "language": "fr" if rng.random() < 0.5 else "en",
                }
                events.append(event)
                if rng.random() < 0.32:
                    helpful = rng.random() < (0.45 if abstained else 0.86)
                    estimate = estimates.get(workflow or "", 5)
                    minutes = None
                    if rng.random() < 0.35:
                        minutes = max(0, int(rng.gauss(estimate, estimate / 3))) if helpful else 0
                    resolved = None
                    if helpful and (workflow is None or "customer" in workflow):
                        resolved = rng.random() < 0.3
                    events.append(
                        {
                            "at": at + timedelta(minutes=rng.randint(1, 30)),
                            "kind": "feedback",
                            "person_id": p.id,
                            "department_id": p.department_id,
                            "workflow_id": workflow,
                            "helpful": helpful,
                            "minutes_saved": minutes,
                            "resolved_without_ticket": resolved,
                            "_about": len(events) - 1,
                        }
                    )
        yield index, events


_EVENT_COLUMNS = (
    "id",
    "at",
    "kind",
    "person_id",
    "department_id",
    "workflow_id",
    "mode",
    "model",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "citations",
    "abstained",
    "language",
    "about_event_id",
    "helpful",
    "minutes_saved",
    "resolved_without_ticket",
)


def insert_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Insert usage events (dicts with UsageEvent's columns; a feedback row's ``_about`` is
    the index, in ``events``, of the event it is about) with explicit ids and the simulated
    mode, through the driver's executemany: an order of magnitude faster than ORM objects at
    millions of rows."""
    next_id = (session.scalar(select(func.max(UsageEvent.id))) or 0) + 1
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO usage_event ({', '.join(_EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(_EVENT_COLUMNS))})"
    )
    params = []
    for offset, e in enumerate(events):
        about = e.get("_about")
        at = e["at"]
        params.append(
            (
                next_id + offset,
                at.strftime("%Y-%m-%d %H:%M:%S.000000") if sqlite else at,
                e["kind"],
                e["person_id"],
                e["department_id"],
                e.get("workflow_id"),
                MODE,
                MODE,
                e.get("latency_ms"),
                e.get("prompt_tokens"),
                e.get("completion_tokens"),
                e.get("citations"),
                e.get("abstained"),
                e.get("language"),
                next_id + about if about is not None else None,
                e.get("helpful"),
                e.get("minutes_saved"),
                e.get("resolved_without_ticket"),
            )
        )
    connection.exec_driver_sql(sql, params)


def simulate_usage(
    session: Session,
    settings: Settings,
    *,
    people: Sequence[SimPerson] | None = None,
    days: int,
    seed: int = 1,
    end: date | None = None,
    intensity: float = 1.0,
    activity: float = 1.0,
    launches: Mapping[str, tuple[float, float]] | None = None,
    commit_every: int | None = None,
    progress: Progress | None = None,
) -> UsageSummary:
    """Usage events for ``days`` days ending ``end`` (default today) for ``people`` (default:
    everyone with a department employed in those days), written in the caller's session.

    ``intensity`` scales the events of an active day, ``activity`` the chance that a person
    who has started uses it on a given day (at most 95 %).
    ``launches``: department code -> (day its usage starts, as a share of ``days``; share of
    its people who end up using it), instead of drawn from the seed.
    ``commit_every``: commit after that many events (a big simulation in several
    transactions); ``progress(day_index, events_so_far)`` after each day.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    started = time.perf_counter()
    end = end or date.today()
    first = end - timedelta(days=days - 1)
    if people is None:
        people = directory_people(session, first=first, last=end, seed=seed)
    rng = random.Random(f"usage-{seed}")
    registry = load_registry(settings)
    estimates = {d.id: d.minutes_saved for d in registry.all()}
    curves = _curves(
        sorted({p.department_code for p in people}),
        days,
        rng,
        _workflows_by_department(settings),
        launches or {},
    )
    plans = _plans(people, first, days, curves, seed, activity)
    total = questions = runs = feedback = uncommitted = 0
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal pending
        if pending:
            insert_events(session, pending)
            pending = []

    for index, events in _rows(plans, first, days, rng, estimates, intensity):
        for e in events:
            kind = e["kind"]
            questions += kind == "question"
            runs += kind == "workflow_run"
            feedback += kind == "feedback"
        # A day's events go in together: its feedback points at events of the same day.
        base = len(pending)
        for e in events:
            if "_about" in e:
                e["_about"] += base
        pending.extend(events)
        total += len(events)
        uncommitted += len(events)
        if len(pending) >= INSERT_BATCH:
            flush()
        if commit_every is not None and uncommitted >= commit_every:
            flush()
            session.commit()
            uncommitted = 0
        if progress is not None:
            progress(index + 1, total)
    flush()
    return UsageSummary(
        len(people),
        days,
        total,
        questions,
        runs,
        feedback,
        first,
        end,
        time.perf_counter() - started,
    )


def has_simulated_usage(session: Session) -> bool:
    return session.scalar(select(UsageEvent.id).where(UsageEvent.mode == MODE).limit(1)) is not None


def simulate_organisation(
    settings: Settings,
    *,
    people: int,
    days: int,
    seed: int = 1,
    end: date | None = None,
    intensity: float = 1.0,
    activity: float = 1.0,
    adoption: tuple[float, float] | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """A simulated directory of ``people`` people and ``days`` days of their usage.

    ``adoption``: (when usage starts, as a share of ``days``; share of people who end up
    using it) for every department, instead of curves drawn from the seed (benchmarks use it
    to reach a steady volume quickly)."""
    if people < 1:
        raise ValueError("people must be at least 1")
    end = end or date.today()
    with write_session(settings) as session:
        departments = simulate_directory(session, people=people, days=days, seed=seed, end=end)
    with write_session(settings) as session:
        first = end - timedelta(days=days - 1)
        sim_people = directory_people(
            session, first=first, last=end, seed=seed, email_domain=EMAIL_DOMAIN
        )
        mine = [p for p in sim_people if p.department_code.startswith(CODE_PREFIX)]
        launches = {p.department_code: adoption for p in mine} if adoption else None
        usage = simulate_usage(
            session,
            settings,
            people=mine,
            days=days,
            seed=seed,
            end=end,
            intensity=intensity,
            activity=activity,
            launches=launches,
            commit_every=200_000,
            progress=progress,
        )
        employed = session.scalar(
            select(func.count(Person.id)).where(
                Person.email.like(f"%@{EMAIL_DOMAIN}"), employed_on(end)
            )
        )
    return SimulationSummary(departments, int(employed or 0), usage)


# -- the demo ------------------------------------------------------------------------------
DEMO_DAYS = 120
DEMO_SEED = 2026
# A department's rollout stage -> (when its usage starts, share of its people who use it):
# the demo's dashboards then agree with its cockpit.
# Share of a pilot cohort who end up using it (each attitude's reach still applies).
PILOT_COHORT_CEILING = 0.95
STAGE_CURVES = {
    "adopted": (0.0, 0.9),
    "rolling_out": (0.2, 0.75),
    "pilot": (0.55, 0.5),
    "planned": (0.8, 0.12),
}


def seed_demo_usage(
    session: Session,
    settings: Settings,
    *,
    days: int = DEMO_DAYS,
    seed: int = DEMO_SEED,
    end: date | None = None,
) -> UsageSummary | None:
    """Months of simulated usage for the demo's own people (once: None when the database
    already has simulated usage), following each department's rollout stage."""
    if has_simulated_usage(session):
        return None
    stages = dict(
        session.execute(
            select(Department.code, DepartmentRollout.stage).outerjoin(
                DepartmentRollout, DepartmentRollout.department_id == Department.id
            )
        ).all()
    )
    launches = {
        code: STAGE_CURVES.get(stage or "planned", STAGE_CURVES["planned"])
        for code, stage in stages.items()
    }
    end = end or date.today()
    first = end - timedelta(days=days - 1)
    people = directory_people(session, first=first, last=end, seed=seed)
    # In a department in pilot with a cohort, only the cohort uses Essor, from the day they were
    # enrolled and with the attitude they were enrolled with, so the comparison has figures.
    cohorts: dict[int, tuple[str, date]] = {
        person_id: (attitude, enrolled)
        for person_id, attitude, enrolled in session.execute(
            select(CohortMember.person_id, CohortMember.attitude, CohortMember.enrolled_on)
        )
    }
    piloting = {
        p.department_code
        for p in people
        if p.id in cohorts and stages.get(p.department_code) == "pilot"
    }
    kept: list[SimPerson] = []
    for p in people:
        if p.department_code not in piloting:
            kept.append(p)
        elif p.id in cohorts:
            attitude, enrolled = cohorts[p.id]
            start = max(p.start, enrolled) if p.start is not None else enrolled
            kept.append(replace(p, attitude=attitude, start=start))
    for code in piloting:
        enrolled_days = [
            cohorts[p.id][1] for p in people if p.department_code == code and p.id in cohorts
        ]
        if enrolled_days:
            launch = max(0, (min(enrolled_days) - first).days) / days
            launches[code] = (launch, PILOT_COHORT_CEILING)
    return simulate_usage(
        session, settings, people=kept, days=days, seed=seed, end=end, launches=launches
    )
