"""The budget and privacy pages over a real server: who may see and change what, CSRF, bad
input, escaping, the projection drawn from measured usage, and the privacy page listing every
usage-event column (on the page and in docs/privacy.md), in English and French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from essor.analytics.models import UsageEvent
from essor.budget.models import CostLine
from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.governance.models import AuditEvent
from essor.people.auth.actions import create_admin, set_password
from essor.people.models import Department, Person
from essor.rollout.models import DepartmentRollout
from essor.settings import Settings
from essor.web import create_app
from essor.web.i18n import STRINGS
from essor.web.i18n_budget import BUDGET_STRINGS
from tests.servers import serve
from tests.web.conftest import Browser, browser_client, sign_in

COLUMNS = [c.name for c in UsageEvent.__table__.columns]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _line(**extra: str) -> dict[str, str]:
    return {
        "budget": "IT run budget",
        "category": "platform_hosting",
        "label": "Servers",
        "period": "monthly",
        "amount": "1 500,50",
        **extra,
    }


def _lines(settings: Settings) -> list[CostLine]:
    with read_session(settings) as s:
        return list(s.scalars(select(CostLine).order_by(CostLine.id)))


# -- privacy -----------------------------------------------------------------------------
def test_every_usage_event_column_is_described_in_both_languages() -> None:
    for lang in ("en", "fr"):
        missing = [c for c in COLUMNS if f"privacy.field.{c}" not in STRINGS[lang]]
        assert missing == [], lang
    assert set(BUDGET_STRINGS["en"]) == set(BUDGET_STRINGS["fr"])


def test_docs_list_every_usage_event_column() -> None:
    text = (DOCS / "privacy.md").read_text(encoding="utf-8")
    assert [c for c in COLUMNS if f"`{c}`" not in text] == []


def test_every_member_reads_the_privacy_page(
    member_client: httpx.Client, web_settings: Settings
) -> None:
    page = member_client.get("/privacy")
    assert page.status_code == 200
    listed = re.findall(r'data-field="([^"]+)"', page.text)
    assert listed == COLUMNS
    assert "not described yet" not in page.text
    assert f"{web_settings.event_retention_days} days" in page.text
    assert f"fewer than {web_settings.privacy_min_group_size} people" in page.text
    assert "is not kept on this installation" in page.text  # question text is off by default
    french = member_client.get("/privacy?lang=fr")
    assert "Ce qu&#39;Essor collecte et conserve" in french.text
    assert re.findall(r'data-field="([^"]+)"', french.text) == COLUMNS


def test_privacy_needs_a_sign_in(anonymous: httpx.Client) -> None:
    assert anonymous.get("/privacy", follow_redirects=False).status_code in (302, 303, 401)


# -- budget on the demo ---------------------------------------------------------------------
def test_members_may_not_see_or_change_the_budget(
    member_client: httpx.Client, web_settings: Settings
) -> None:
    assert member_client.get("/budget").status_code == 403
    before = len(_lines(web_settings))
    assert member_client.post("/budget/lines", data=_line()).status_code == 403
    assert len(_lines(web_settings)) == before
    with read_session(web_settings) as s:
        denied = s.scalars(
            select(AuditEvent.action).where(
                AuditEvent.outcome == "denied", AuditEvent.action.like("budget.%")
            )
        ).all()
    assert {"budget.read", "budget.line.add"} <= set(denied)


def test_lines_added_edited_and_deleted_through_forms(
    base_url: str, admin_browser: Browser, web_settings: Settings
) -> None:
    # A browser form: the token in the form field, no header.
    with browser_client(base_url, admin_browser, csrf=False) as c:
        page = c.get("/budget")
        assert page.status_code == 200
        token = TOKEN.findall(page.text)[-1]
        assert c.post("/budget/lines", data=_line()).status_code == 403  # no token
        added = c.post("/budget/lines", data={"csrf_token": token, **_line()})
        assert added.status_code == 303, added.text
        line = _lines(web_settings)[-1]
        assert (line.label, line.amount) == ("Servers", 1500.5)
        shown = c.get("/budget")
        assert "IT run budget" in shown.text and f'data-line="{line.id}"' in shown.text
        edit = c.get(f"/budget/lines/{line.id}/edit")
        assert edit.status_code == 200 and 'value="1500.5"' in edit.text
        changed = c.post(
            f"/budget/lines/{line.id}",
            data={
                "csrf_token": token,
                **_line(
                    category="llm_usage", label="Model API", price_input="2.5", price_output="10"
                ),
            },
        )
        assert changed.status_code == 303, changed.text
        with read_session(web_settings) as s:
            row = s.get(CostLine, line.id)
            assert row is not None
            assert (row.period, row.price_output_per_million) == ("usage", 10)
        gone = c.post(f"/budget/lines/{line.id}/delete", data={"csrf_token": token})
        assert gone.status_code == 303
        assert (
            c.post(f"/budget/lines/{line.id}/delete", data={"csrf_token": token}).status_code == 404
        )
    with read_session(web_settings) as s:
        assert s.get(CostLine, line.id) is None
        actions = s.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "cost_line",
                AuditEvent.object_id == str(line.id),
                AuditEvent.outcome == "ok",
            )
        ).all()
    assert actions == ["budget.line.add", "budget.line.update", "budget.line.delete"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_line(amount="-5"), "amount must be a number of at least 0"),
        (_line(amount="lots"), "amount: not a number"),
        (_line(category="marketing"), "category must be one of"),
        (_line(label="x" * 300), "label must have 1 to 200 characters"),
        (_line(category="llm_usage"), "price per million input tokens is required"),
    ],
)
def test_bad_lines_are_refused_with_the_reason(
    client: httpx.Client, web_settings: Settings, data: dict[str, str], message: str
) -> None:
    before = len(_lines(web_settings))
    page = client.post("/budget/lines", data=data)
    assert page.status_code == 422
    assert message in page.text
    assert len(_lines(web_settings)) == before


def test_huge_text_is_refused(client: httpx.Client, web_settings: Settings) -> None:
    before = len(_lines(web_settings))
    assert client.post("/budget/lines", data=_line(label="x" * 50_000)).status_code == 422
    assert len(_lines(web_settings)) == before


def test_names_are_escaped(client: httpx.Client, web_settings: Settings) -> None:
    hostile = "<script>alert(1)</script>"
    assert (
        client.post("/budget/lines", data=_line(budget=hostile, label=hostile)).status_code == 303
    )
    page = client.get("/budget")
    assert hostile not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    for line in _lines(web_settings):
        if line.label == hostile:
            assert client.post(f"/budget/lines/{line.id}/delete").status_code == 303


def test_bad_projection_inputs(client: httpx.Client) -> None:
    page = client.get("/budget?seat_price=-1")
    assert page.status_code == 422 and "seat price" in page.text
    assert client.get("/budget?from=2026-10-05&to=2026-10-01").status_code == 422


# -- the projection on a small organisation of its own -----------------------------------------
PASSWORD = "budget-password-1234"


@pytest.fixture(scope="module")
def budget_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """Department PIL (pilot, 6 people, 5 active in the last days) and OFF (planned, 4), an
    administrator, and an owner of PIL's budget with no role."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("budget-site"),
        environment="test",
        _env_file=None,
    )
    app = create_app(settings)
    with serve(app) as url:  # startup migrates the database
        with write_session(settings) as s:
            pil, off = Department(code="PIL", name="Pilot"), Department(code="OFF", name="Off")
            s.add_all([pil, off])
            s.flush()
            people = [
                Person(email=f"p{i}@x.example", name=f"P{i}", department_id=pil.id)
                for i in range(6)
            ]
            people += [
                Person(email=f"o{i}@x.example", name=f"O{i}", department_id=off.id)
                for i in range(4)
            ]
            s.add_all(people)
            s.flush()
            s.add(
                DepartmentRollout(department_id=pil.id, stage="pilot", budget_owner_id=people[5].id)
            )
            s.add(DepartmentRollout(department_id=off.id, stage="planned"))
            now = datetime.now(UTC) - timedelta(hours=1)
            for person in people[:5]:
                for _ in range(3):
                    s.add(
                        UsageEvent(
                            kind="question",
                            at=now,
                            person_id=person.id,
                            department_id=pil.id,
                            prompt_tokens=10_000,
                            completion_tokens=2_000,
                            abstained=False,
                        )
                    )
            set_password(s, people[5], PASSWORD, actor=SYSTEM)
            create_admin(s, "boss@x.example", password=PASSWORD, actor=SYSTEM)
        with write_session(settings) as s:
            from essor.budget.actions import LineInput, add_cost_line

            add_cost_line(
                s,
                LineInput("IT run budget", "platform_hosting", "Servers", amount=300),
                actor=SYSTEM,
            )
            add_cost_line(
                s,
                LineInput(
                    "PIL budget",
                    "llm_usage",
                    "Model",
                    department="PIL",
                    price_input_per_million=3,
                    price_output_per_million=15,
                ),
                actor=SYSTEM,
            )
        yield url, settings


@contextmanager
def _signed_in(url: str, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        assert sign_in(c, email, PASSWORD).status_code == 303
        yield c


def test_projection_from_measured_usage(budget_site: tuple[str, Settings]) -> None:
    url, _ = budget_site
    today = date.today().isoformat()
    with _signed_in(url, "boss@x.example") as c:
        page = c.get(f"/budget?from={today}&to={today}&seat_price=2&hourly_value=60")
        assert page.status_code == 200, page.text
        text = page.text
    assert 'data-testid="projection"' in text and "budget-withheld" not in text
    # 5 of 6 active over 1 day: per person per month 3 × 30 = 90 questions,
    # 900,000 tokens in and 180,000 out (cost 2.70 + 2.70 = 5.40).
    assert "5 of 6 people (83.3 %)" in text
    assert "900,000 in, 180,000 out" in text
    # Everyone: 11 people (10 + the administrator) at 5/6: 55/6 active;
    # usage 300 + 55/6 × 5.40 = 349.50; per seat 2 × 11 = 22.00. Break-even < 0.
    assert "349.50 EUR" in text and "22.00 EUR" in text
    assert "Per-seat pricing costs less than usage-based pricing at any adoption." in text
    assert "<svg" in text and "Cost per month" in text
    assert "Budget owner: p5@x.example." in text
    with _signed_in(url, "boss@x.example") as c:
        french = c.get(f"/budget?from={today}&to={today}&seat_price=2&lang=fr").text
    assert "Tous, à l&#39;usage" in french and "349,50 EUR" in french


def test_budget_owner_reads_without_forms(budget_site: tuple[str, Settings]) -> None:
    url, _ = budget_site
    with _signed_in(url, "p5@x.example") as c:
        page = c.get("/budget")
        assert page.status_code == 200
        assert "/budget/lines" not in page.text  # no add, edit or delete
        token = TOKEN.findall(page.text)[-1]
        assert c.post("/budget/lines", data={"csrf_token": token, **_line()}).status_code == 403
        assert c.get("/budget/lines/1/edit").status_code == 403


def test_withheld_below_the_group_minimum(budget_site: tuple[str, Settings]) -> None:
    url, _ = budget_site
    long_ago = (date.today() - timedelta(days=400)).isoformat()
    with _signed_in(url, "boss@x.example") as c:
        page = c.get(f"/budget?from={long_ago}&to={long_ago}")
    assert page.status_code == 200
    assert 'data-testid="budget-withheld"' in page.text
    assert 'data-testid="projection"' not in page.text
