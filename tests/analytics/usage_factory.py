"""Small helpers to write a directory and usage events for the analytics tests, and a plain
reference computation of the rollups straight from the raw events."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from essor.analytics.models import UsageEvent
from essor.analytics.rollup_models import (
    ALL_DEPARTMENTS,
    NO_DEPARTMENT,
    UsageDay,
    UsagePersonDay,
    UsagePersonLink,
    UsageWeek,
    UsageWorkflowLink,
    UsageWorkflowPersonDay,
)
from essor.db import read_session, write_session
from essor.people.models import Department, Person
from essor.settings import Settings


@dataclass
class Org:
    settings: Settings
    departments: dict[str, int] = field(default_factory=dict)
    people: dict[int, int | None] = field(default_factory=dict)  # person id -> department id
    _n: int = 0

    def department(self, code: str, people: int = 0, **person: Any) -> list[int]:
        with write_session(self.settings) as session:
            d = Department(code=code, name=f"{code} department")
            session.add(d)
            session.flush()
            self.departments[code] = d.id
        return [self.person(code, **person) for _ in range(people)]

    def person(
        self,
        code: str | None,
        *,
        start: date | None = None,
        end: date | None = None,
        status: str = "active",
        attitude: str | None = None,
    ) -> int:
        self._n += 1
        with write_session(self.settings) as session:
            p = Person(
                email=f"person{self._n}@example.invalid",
                name=f"Person {self._n}",
                department_id=self.departments[code] if code else None,
                start_date=start,
                end_date=end,
                status=status,
                attitude=attitude,
            )
            session.add(p)
            session.flush()
            self.people[p.id] = p.department_id
            return p.id

    def events(self, rows: list[dict[str, Any]]) -> list[int]:
        """Write events in one transaction; each row: person, day, kind, and the rest."""
        with write_session(self.settings) as session:
            objects = []
            for r in rows:
                r = dict(r)
                person = r.pop("person", None)
                day = r.pop("day")
                objects.append(
                    UsageEvent(
                        at=r.pop("at", datetime(day.year, day.month, day.day, 10)),
                        person_id=person,
                        department_id=r.pop("department", self.people.get(person)),
                        **r,
                    )
                )
            session.add_all(objects)
            session.flush()
            return [o.id for o in objects]

    def question(self, person: int | None, day: date, *, abstained: bool = False, **kw: Any) -> int:
        row = {"person": person, "day": day, "kind": "question", "abstained": abstained, **kw}
        return self.events([row])[0]

    def run(self, person: int | None, day: date, workflow: str, **kw: Any) -> int:
        kw.setdefault("abstained", False)
        row = {"person": person, "day": day, "kind": "workflow_run", "workflow_id": workflow}
        return self.events([{**row, **kw}])[0]

    def feedback(self, about: int, day: date, **kw: Any) -> int:
        with read_session(self.settings) as session:
            event = session.get(UsageEvent, about)
            assert event is not None
            person, department = event.person_id, event.department_id
        row = {"person": person, "department": department, "day": day, "kind": "feedback"}
        return self.events([{**row, "about_event_id": about, **kw}])[0]


# -- the reference: rollups computed directly from every raw event -------------------------
def reference_rollups(settings: Settings) -> dict[str, set[tuple[Any, ...]]]:
    with read_session(settings) as session:
        events = session.scalars(select(UsageEvent).order_by(UsageEvent.id)).all()
    verdicts: dict[int, dict[str, Any]] = defaultdict(dict)
    for e in events:
        if e.kind == "feedback" and e.about_event_id is not None:
            v = verdicts[e.about_event_id]
            for name, value in (
                ("helpful", e.helpful),
                ("minutes", e.minutes_saved),
                ("resolved", e.resolved_without_ticket),
            ):
                if value is not None:
                    v[name] = value
    days: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0] * 11)
    people: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0])
    workflows: dict[tuple[str, int, int, int], int] = defaultdict(int)
    for e in events:
        if e.kind == "feedback":
            continue
        v = verdicts.get(e.id, {})
        day = e.at.date().toordinal()
        dept = e.department_id if e.department_id is not None else NO_DEPARTMENT
        run = e.kind == "workflow_run"
        value = run or e.abstained is False
        row = days[(day, dept, (e.workflow_id or "") if run else "")]
        row[0] += int(not run and value)
        row[1] += int(not run and not value)
        row[2] += int(run)
        row[3] += int(run and e.abstained is True)
        row[4] += int(run and v.get("minutes") is None)
        row[5] += v.get("minutes") or 0 if value else 0
        row[6] += int(v.get("helpful") is True)
        row[7] += int(v.get("helpful") is False)
        row[8] += int(value and v.get("resolved") is True)
        row[9] += e.prompt_tokens or 0
        row[10] += e.completion_tokens or 0
        if value and e.person_id is not None:
            for d in (ALL_DEPARTMENTS, dept):
                people[(d, e.person_id, day)][0] += 1
                people[(d, e.person_id, day)][1] += int(v.get("helpful") is not False)
                if run and e.workflow_id:
                    workflows[(e.workflow_id, d, e.person_id, day)] += 1

    def prev(keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int | None]:
        out: dict[tuple[Any, ...], int | None] = {}
        last: dict[tuple[Any, ...], int] = {}
        for key in sorted(keys):
            owner, day = key[:-1], key[-1]
            out[key] = last.get(owner)
            last[owner] = day
        return out

    weeks: dict[tuple[int, int], set[int]] = defaultdict(set)
    for d, person, day in people:
        weeks[(day - (day - 1) % 7, d)].add(person)
    p_prev = prev(list(people))
    w_prev = prev(list(workflows))
    # Link counts: person-day rows per key and previous day (-1: none), the person left out.
    person_links: Counter[tuple[Any, ...]] = Counter()
    for key, before in p_prev.items():
        person_links[(key[0], key[2], -1 if before is None else before)] += 1
    workflow_links: Counter[tuple[Any, ...]] = Counter()
    for key, before in w_prev.items():
        workflow_links[(key[0], key[1], key[3], -1 if before is None else before)] += 1
    return {
        "usage_person_link": {(*k, n) for k, n in person_links.items()},
        "usage_workflow_link": {(*k, n) for k, n in workflow_links.items()},
        "usage_day": {(*k, *v) for k, v in days.items()},
        "usage_person_day": {(*k, p_prev[k], *v) for k, v in people.items()},
        "usage_workflow_person_day": {(*k, w_prev[k], r) for k, r in workflows.items()},
        "usage_week": {(*k, len(v)) for k, v in weeks.items()},
    }


def stored_rollups(settings: Settings) -> dict[str, set[tuple[Any, ...]]]:
    with read_session(settings) as session:
        d = UsageDay
        days = session.execute(
            select(
                d.day,
                d.department_id,
                d.workflow_key,
                d.questions,
                d.questions_abstained,
                d.runs,
                d.runs_abstained,
                d.runs_estimated,
                d.own_minutes,
                d.helpful,
                d.unhelpful,
                d.tickets_avoided,
                d.prompt_tokens,
                d.completion_tokens,
            )
        ).all()
        p = UsagePersonDay
        people = session.execute(
            select(p.department_id, p.person_id, p.day, p.prev_day, p.value_events, p.helped_events)
        ).all()
        w = UsageWorkflowPersonDay
        workflows = session.execute(
            select(w.workflow_id, w.department_id, w.person_id, w.day, w.prev_day, w.runs)
        ).all()
        weeks = session.execute(select(p.day, p.week)).all()
        week_counts = session.execute(
            select(UsageWeek.week, UsageWeek.department_id, UsageWeek.active)
        ).all()
        pl = UsagePersonLink
        person_links = session.execute(
            select(pl.department_id, pl.day, pl.prev_day, pl.people)
        ).all()
        wl = UsageWorkflowLink
        workflow_links = session.execute(
            select(wl.workflow_id, wl.department_id, wl.day, wl.prev_day, wl.people)
        ).all()
    for day, week in weeks:
        assert date.fromordinal(week).weekday() == 0 and 0 <= day - week < 7
    return {
        "usage_day": set(days),
        "usage_person_day": set(people),
        "usage_workflow_person_day": set(workflows),
        "usage_week": {tuple(w) for w in week_counts},
        "usage_person_link": {tuple(r) for r in person_links},
        "usage_workflow_link": {tuple(r) for r in workflow_links},
    }
