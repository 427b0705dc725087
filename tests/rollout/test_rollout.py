"""The rollout: stage moves, the readiness checklist (computed items included), the support
model, who may change what, and ``essor rollout``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from essor.cli.rollout import app
from essor.db import dispose_engines, read_session, write_session
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import NotAllowed, grant_role
from essor.governance.models import AuditEvent
from essor.people.models import Department, Person
from essor.people.queries import find_department
from essor.rollout.actions import (
    ReasonRequired,
    RolloutError,
    add_item,
    advance_stage,
    assign_support,
    create_wave,
    set_budget_owner,
    set_item,
    set_sponsor,
    set_targets,
    set_wave,
)
from essor.rollout.models import SUPPORT_AREAS, DepartmentRollout
from essor.rollout.queries import DepartmentOverview, overview, stage_history
from essor.rollout.support import gaps, loads
from essor.settings import Settings, get_settings, reset_settings_cache

DECLARED = ("budget_model", "training_approach", "executive_sponsorship", "success_metrics")

WORKFLOW = """\
id: fin-invoice-helper
department: {department}
status: {status}
owner: fin-lead@x.example
title: {{fr: Aide factures, en: Invoice helper}}
description: {{fr: Répond sur les factures., en: Answers invoice questions.}}
inputs:
  - name: question
    type: text
    label: {{fr: Question, en: Question}}
scope:
  collections: []
sections:
  - id: answer
    title: {{fr: Réponse, en: Answer}}
    query: "{{question}}"
minutes_saved: 5
"""


def _directory(settings: Settings) -> None:
    # FIN and LEGAL have no prebuilt workflow, so "use cases" starts open for both.
    with write_session(settings) as s:
        fin = Department(code="FIN", name="Finance")
        legal = Department(code="LEGAL", name="Legal")
        s.add_all([fin, legal])
        s.flush()
        s.add_all(
            [
                Person(email="fina@x.example", name="Fina", department_id=fin.id),
                Person(email="fred@x.example", name="Fred", department_id=fin.id),
                Person(email="flo@x.example", name="Flo", department_id=fin.id),
                Person(email="lea@x.example", name="Lea", department_id=legal.id),
                Person(email="lead@x.example", name="Lead", department_id=legal.id),
                Person(
                    email="gone@x.example",
                    name="Gone",
                    department_id=fin.id,
                    status="left",
                    end_date=date.today() - timedelta(days=2),
                ),
            ]
        )
    with write_session(settings) as s:
        grant_role(s, "fina@x.example", "department_admin", actor=SYSTEM, department="FIN")
        grant_role(s, "lead@x.example", "programme_lead", actor=SYSTEM)


@pytest.fixture
def org(settings: Settings) -> Settings:
    _directory(settings)
    return settings


def reader(settings: Settings, email: str) -> Reader:
    with read_session(settings) as s:
        return Reader(identity=identity_for(s, email))


def department(settings: Settings, code: str) -> DepartmentOverview:
    with read_session(settings) as s:
        return next(d for d in overview(s, settings, reader=SYSTEM) if d.code == code)


def status_of(settings: Settings, code: str, key: str) -> str:
    return next(i.status for i in department(settings, code).items if i.key == key)


def write_workflow(settings: Settings, department: str = "FIN", status: str = "pilot") -> None:
    folder = settings.data_dir / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    text = WORKFLOW.format(department=department, status=status)
    (folder / "fin-invoice-helper.yaml").write_text(text, encoding="utf-8")


def make_ready(settings: Settings, code: str = "FIN") -> None:
    """Every item of the department done: declared ones by hand, computed ones from data."""
    write_workflow(settings, department=code)
    with write_session(settings) as s:
        grant_role(s, "fred@x.example", "champion", actor=SYSTEM, department=code)
        for area in SUPPORT_AREAS:
            assign_support(s, area, "lea@x.example", actor=SYSTEM, weekly_hours=4)
        for key in DECLARED:
            set_item(s, code, key, actor=SYSTEM, status="done", evidence="minutes of the board")


def audit_rows(settings: Settings, action: str) -> list[AuditEvent]:
    with read_session(settings) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- stages -------------------------------------------------------------------------------


def test_a_ready_department_moves_forward_without_a_reason(org: Settings) -> None:
    make_ready(org)
    fin = department(org, "FIN")
    assert (fin.done, fin.total, fin.readiness) == (7, 7, 1.0)
    with write_session(org) as s:
        advance_stage(s, "FIN", actor=reader(org, "fina@x.example"), settings=org)
    assert department(org, "FIN").stage == "pilot"
    with read_session(org) as s:
        fin_id = find_department(s, "FIN").id  # type: ignore[union-attr]
        (move,) = stage_history(s, fin_id)
    assert (move.from_stage, move.to_stage, move.actor, move.reason) == (
        "planned",
        "pilot",
        "fina@x.example",
        "",
    )
    assert move.open_items == ()
    (row,) = audit_rows(org, "rollout.advance")
    assert row.actor_email == "fina@x.example"
    assert json.loads(row.detail)["to"] == "pilot"


def test_open_items_require_a_written_reason_kept_in_the_audit_log(org: Settings) -> None:
    with pytest.raises(ReasonRequired) as caught, write_session(org) as s:
        advance_stage(s, "FIN", actor=SYSTEM, reason="   ", settings=org)
    assert "champions" in caught.value.open_items
    assert len(caught.value.open_items) == 7
    assert department(org, "FIN").stage == "planned"
    assert audit_rows(org, "rollout.advance") == []

    why = "The board wants a pilot before the budget review."
    with write_session(org) as s:
        advance_stage(s, "FIN", actor=SYSTEM, reason=why, settings=org)
    assert department(org, "FIN").stage == "pilot"
    (row,) = audit_rows(org, "rollout.advance")
    detail = json.loads(row.detail)
    assert detail["reason"] == why
    assert set(detail["open_items"]) == {"champions", "use_cases", "support_model", *DECLARED}
    with read_session(org) as s:
        (move,) = stage_history(s, find_department(s, "FIN").id)  # type: ignore[union-attr]
    assert move.reason == why and len(move.open_items) == 7


def test_stages_follow_their_order_and_stop_at_adopted(org: Settings) -> None:
    with pytest.raises(RolloutError, match="only move to pilot"), write_session(org) as s:
        advance_stage(s, "FIN", actor=SYSTEM, reason="skip", to="rolling_out", settings=org)
    seen = []
    for _ in range(3):
        with write_session(org) as s:
            seen.append(advance_stage(s, "FIN", actor=SYSTEM, reason="go", settings=org).to_stage)
    assert seen == ["pilot", "rolling_out", "adopted"]
    with pytest.raises(RolloutError, match="already adopted"), write_session(org) as s:
        advance_stage(s, "FIN", actor=SYSTEM, reason="more", settings=org)
    assert department(org, "FIN").stage == "adopted"
    assert department(org, "LEGAL").stage == "planned"


def test_unknown_department_is_refused(org: Settings) -> None:
    with pytest.raises(RolloutError, match="unknown department"), write_session(org) as s:
        advance_stage(s, "NOPE", actor=SYSTEM, reason="x", settings=org)


# --- readiness ----------------------------------------------------------------------------


def test_champion_item_is_computed_from_role_grants(org: Settings) -> None:
    assert status_of(org, "FIN", "champions") == "open"
    assert department(org, "FIN").champions == 0
    with write_session(org) as s:
        grant_role(s, "fred@x.example", "champion", actor=SYSTEM, department="FIN")
    assert status_of(org, "FIN", "champions") == "done"
    assert department(org, "FIN").champions == 1
    # A champion of another department does not count.
    assert status_of(org, "LEGAL", "champions") == "open"


def test_a_champion_who_left_no_longer_counts(org: Settings) -> None:
    with write_session(org) as s:
        grant_role(s, "gone@x.example", "champion", actor=SYSTEM, department="FIN")
    assert status_of(org, "FIN", "champions") == "open"


def test_use_case_item_is_computed_from_published_workflows(org: Settings) -> None:
    write_workflow(org, status="draft")
    assert status_of(org, "FIN", "use_cases") == "open"
    write_workflow(org, department="fin", status="pilot")  # codes match regardless of case
    assert status_of(org, "FIN", "use_cases") == "done"
    assert status_of(org, "LEGAL", "use_cases") == "open"


def test_support_item_needs_an_owner_for_every_area(org: Settings) -> None:
    with write_session(org) as s:
        for area in SUPPORT_AREAS[:3]:
            assign_support(s, area, "lea@x.example", actor=SYSTEM, weekly_hours=2)
    assert status_of(org, "FIN", "support_model") == "open"
    with write_session(org) as s:
        assign_support(
            s, "governance", "fred@x.example", actor=SYSTEM, weekly_hours=1, department_code="FIN"
        )
    assert status_of(org, "FIN", "support_model") == "done"
    assert status_of(org, "LEGAL", "support_model") == "open"


def test_computed_items_take_no_declared_status(org: Settings) -> None:
    with pytest.raises(RolloutError, match="checked from the data"), write_session(org) as s:
        set_item(s, "FIN", "champions", actor=SYSTEM, status="done")
    with write_session(org) as s:  # an owner and evidence are fine
        set_item(s, "FIN", "champions", actor=SYSTEM, owner="fred@x.example", evidence="roster")
    item = next(i for i in department(org, "FIN").items if i.key == "champions")
    assert (item.status, item.owner_email, item.evidence) == ("open", "fred@x.example", "roster")


def test_readiness_leaves_not_applicable_items_out(org: Settings) -> None:
    with write_session(org) as s:
        set_item(s, "FIN", "budget_model", actor=SYSTEM, status="not_applicable")
        set_item(s, "FIN", "success_metrics", actor=SYSTEM, status="done")
        set_item(
            s,
            "FIN",
            "training_approach",
            actor=SYSTEM,
            status="done",
            owner="flo@x.example",
            evidence_url="https://intranet.example/training",
        )
    fin = department(org, "FIN")
    assert (fin.done, fin.total) == (2, 6)
    assert fin.readiness == pytest.approx(2 / 6)
    training = next(i for i in fin.items if i.key == "training_approach")
    assert training.owner_email == "flo@x.example"
    assert training.updated_at is not None


def test_custom_items_count_and_links_must_be_web_addresses(org: Settings) -> None:
    with write_session(org) as s:
        first = add_item(s, "FIN", "Works council informed", actor=SYSTEM).key
        second = add_item(s, "FIN", "Works council informed!", actor=SYSTEM).key
    assert (first, second) == ("works-council-informed", "works-council-informed-2")
    fin = department(org, "FIN")
    assert fin.total == 9
    assert [i.title for i in fin.items if i.custom] == [
        "Works council informed",
        "Works council informed!",
    ]
    with write_session(org) as s:
        set_item(s, "FIN", first, actor=SYSTEM, status="done")
    assert department(org, "FIN").done == 1
    with pytest.raises(RolloutError, match="http"), write_session(org) as s:
        set_item(s, "FIN", first, actor=SYSTEM, evidence_url="javascript:alert(1)")
    with pytest.raises(RolloutError, match="unknown checklist item"), write_session(org) as s:
        set_item(s, "FIN", "nope", actor=SYSTEM, status="done")


# --- support model ------------------------------------------------------------------------


def test_support_gaps_and_load(org: Settings) -> None:
    assert len(gaps_now(org)) == 2 * len(SUPPORT_AREAS)
    with write_session(org) as s:
        assign_support(s, "technical", "lea@x.example", actor=SYSTEM, weekly_hours=2)
        assign_support(
            s, "adoption", "fred@x.example", actor=SYSTEM, weekly_hours=1.5, department_code="FIN"
        )
    remaining = gaps_now(org)
    assert ("FIN", "adoption") not in remaining and ("LEGAL", "adoption") in remaining
    assert not any(area == "technical" for _, area in remaining)
    with read_session(org) as s:
        by_owner = {(x.area, x.department): x for x in loads(s)}
    # Employed people only: FIN has 3 (one left), LEGAL 2.
    assert by_owner["technical", None].people == 5
    assert by_owner["technical", None].people_per_hour == 2.5
    assert by_owner["adoption", "FIN"].people == 3
    assert by_owner["adoption", "FIN"].people_per_hour == 2.0
    assert department(org, "LEGAL").support_gaps == ("adoption", "content", "governance")
    # Replacing the owner keeps one assignment per area and department.
    with write_session(org) as s:
        assign_support(s, "technical", "lead@x.example", actor=SYSTEM, weekly_hours=5)
    with read_session(org) as s:
        technical = [x for x in loads(s) if x.area == "technical"]
    assert [(x.owner_email, x.people_per_hour) for x in technical] == [("lead@x.example", 1.0)]


def gaps_now(settings: Settings) -> list[tuple[str, str]]:
    with read_session(settings) as s:
        return [(g.department, g.area) for g in gaps(s)]


def test_organisation_owner_serves_only_departments_without_their_own(org: Settings) -> None:
    with write_session(org) as s:
        assign_support(s, "content", "lea@x.example", actor=SYSTEM, weekly_hours=1)
        assign_support(
            s, "content", "fred@x.example", actor=SYSTEM, weekly_hours=3, department_code="FIN"
        )
    with read_session(org) as s:
        shared = next(x for x in loads(s) if x.department is None)
    assert shared.people == 2  # LEGAL only


# --- permissions --------------------------------------------------------------------------


def test_a_department_admin_changes_only_their_own_department(org: Settings) -> None:
    fina = reader(org, "fina@x.example")
    with write_session(org) as s:
        set_item(s, "FIN", "budget_model", actor=fina, status="done")
        set_sponsor(s, "FIN", "fred@x.example", actor=fina)
        set_budget_owner(s, "FIN", "flo@x.example", actor=fina)
        assign_support(
            s, "technical", "fred@x.example", actor=fina, weekly_hours=2, department_code="FIN"
        )
    refused: list[Callable[[Session], object]] = [
        lambda s: advance_stage(s, "LEGAL", actor=fina, reason="x", settings=org),
        lambda s: set_item(s, "LEGAL", "budget_model", actor=fina, status="done"),
        lambda s: add_item(s, "LEGAL", "Mine now", actor=fina),
        lambda s: set_sponsor(s, "LEGAL", "fina@x.example", actor=fina),
        lambda s: assign_support(s, "technical", "fina@x.example", actor=fina, weekly_hours=1),
        lambda s: create_wave(s, "Wave 1", actor=fina),
    ]
    for change in refused:
        with pytest.raises(NotAllowed), write_session(org) as s:
            change(s)
    with read_session(org) as s:
        denied = s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.outcome == "denied", AuditEvent.actor_email == "fina@x.example")
        ).scalar_one()
    assert denied == len(refused)  # each refusal is kept, though its change rolled back
    fin = department(org, "FIN")
    assert (fin.sponsor, fin.budget_owner) == ("fred@x.example", "flo@x.example")
    assert department(org, "LEGAL").done == 0


def test_members_change_nothing_and_leads_change_everything(org: Settings) -> None:
    with pytest.raises(NotAllowed), write_session(org) as s:
        advance_stage(s, "FIN", actor=reader(org, "fred@x.example"), reason="x", settings=org)
    lead = reader(org, "lead@x.example")
    with write_session(org) as s:
        create_wave(s, "Wave 1", actor=lead)
        set_wave(s, "FIN", "Wave 1", actor=lead)
        advance_stage(s, "LEGAL", actor=lead, reason="ready enough", settings=org)
    assert department(org, "FIN").wave == "Wave 1"
    assert department(org, "LEGAL").stage == "pilot"


def test_a_department_admin_sees_only_their_own_department(org: Settings) -> None:
    with read_session(org) as s:
        mine = overview(s, org, reader=reader(org, "fina@x.example"))
        everyone = overview(s, org, reader=reader(org, "lead@x.example"))
        member = overview(s, org, reader=reader(org, "fred@x.example"))
    assert [d.code for d in mine] == ["FIN"]
    assert [d.code for d in everyone] == ["FIN", "LEGAL"]
    assert member == []


# --- waves and dates ----------------------------------------------------------------------


def test_waves_and_targets(org: Settings) -> None:
    start = date(2025, 3, 1)
    with write_session(org) as s:
        create_wave(s, "Wave 1", actor=SYSTEM, goals="two teams", start=start)
        set_wave(s, "FIN", "Wave 1", actor=SYSTEM)
        set_targets(s, "FIN", actor=SYSTEM, pilot=start, adopted=date(2025, 9, 1))
    with pytest.raises(RolloutError, match="already exists"), write_session(org) as s:
        create_wave(s, "Wave 1", actor=SYSTEM)
    with pytest.raises(RolloutError, match="end before"), write_session(org) as s:
        create_wave(s, "Wave 2", actor=SYSTEM, start=start, end=start - timedelta(days=1))
    with pytest.raises(RolloutError, match="stage order"), write_session(org) as s:
        set_targets(s, "FIN", actor=SYSTEM, pilot=start, rolling_out=start - timedelta(days=1))
    fin = department(org, "FIN")
    assert fin.wave == "Wave 1"
    assert fin.targets == {"pilot": start, "rolling_out": None, "adopted": date(2025, 9, 1)}
    with read_session(org) as s:
        assert len(list(s.scalars(select(DepartmentRollout)))) == 1


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CliRunner, Settings]]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    settings = get_settings()
    runner = CliRunner()
    runner.invoke(app, ["status"])  # migrates the database
    _directory(settings)
    yield runner, settings
    dispose_engines()
    reset_settings_cache()


def test_cli_status_table_and_json(cli: tuple[CliRunner, Settings]) -> None:
    runner, settings = cli
    with write_session(settings) as s:
        grant_role(s, "fred@x.example", "champion", actor=SYSTEM, department="FIN")
    result = runner.invoke(app, ["wave", "create", "Wave 1", "--start", "2025-03-01"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["wave", "assign", "FIN", "Wave 1"]).exit_code == 0

    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    fin_line = next(line for line in result.output.splitlines() if "FIN" in line)
    assert "planned" in fin_line and "Wave 1" in fin_line and "1/7" in fin_line

    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = {d["code"]: d for d in json.loads(result.output)["departments"]}
    assert data["FIN"]["readiness"] == {"done": 1, "total": 7, "ratio": pytest.approx(1 / 7)}
    assert data["FIN"]["wave"] == "Wave 1" and data["FIN"]["headcount"] == 3
    assert data["LEGAL"]["stage"] == "planned" and data["LEGAL"]["wave"] is None
    champions = next(i for i in data["FIN"]["items"] if i["key"] == "champions")
    assert champions == champions | {"computed": True, "status": "done"}


def test_cli_advance_needs_a_reason_with_open_items(cli: tuple[CliRunner, Settings]) -> None:
    runner, _ = cli
    result = runner.invoke(app, ["advance", "FIN"])
    assert result.exit_code == 2
    assert "give a reason" in result.output
    result = runner.invoke(app, ["advance", "FIN", "--reason", "pilot agreed by the board"])
    assert result.exit_code == 0, result.output
    assert "planned → pilot" in result.output
    result = runner.invoke(app, ["wave", "create", "W", "--start", "not-a-date"])
    assert result.exit_code == 2 and "not a date" in result.output
