"""The dashboards and the executive report's page and CSV exports over a real server, on a
small organisation with hand-made usage (tests/web/dashboard_site.py): the figures on the
pages are those of ``organisation_metrics`` for the same period, hidden groups say so, alerts
fire for the declining department and the unhelpful workflow, who may see what, CSV
injection is guarded, names are escaped, French pages."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import select

from essor.analytics.metrics import OrgMetrics, organisation_metrics
from essor.analytics.periods import Period, complete_weeks, default_period
from essor.db import read_session
from essor.governance.models import AuditEvent
from essor.settings import Settings
from essor.web import create_app
from essor.web.i18n_dashboards import DASHBOARD_STRINGS
from tests.servers import serve
from tests.web.conftest import sign_in
from tests.web.dashboard_site import ACCOUNTS, ADMIN, HOSTILE_NAME, PASSWORD, STORY_TITLE, build

METRIC = re.compile(r'data-metric="([a-z_]+)" data-value="([^"]*)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dashboard-site"), environment="test", _env_file=None
    )
    app = create_app(settings)
    with serve(app) as url:  # startup migrates the database
        build(settings)
        yield url, settings


@contextmanager
def signed_in(url: str, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as c:
        assert sign_in(c, email, PASSWORD).status_code == 303
        yield c


def metrics(settings: Settings, period: Period, department: str | None = None) -> OrgMetrics:
    with read_session(settings) as s:
        return organisation_metrics(s, settings, period=period, department=department)


def shown(html: str) -> dict[str, str]:
    return dict(METRIC.findall(html))


def _value(v: object) -> str:
    return "" if v is None else str(v)


def row_text(html: str, attribute: str, key: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert match is not None, key
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def denied(settings: Settings, action: str) -> list[str]:
    with read_session(settings) as s:
        return list(
            s.scalars(
                select(AuditEvent.object_id).where(
                    AuditEvent.action == action, AuditEvent.outcome == "denied"
                )
            )
        )


def test_both_languages_have_the_same_strings() -> None:
    assert set(DASHBOARD_STRINGS["en"]) == set(DASHBOARD_STRINGS["fr"])


def test_organisation_page_shows_the_metrics_of_the_period(
    site: tuple[str, Settings],
) -> None:
    url, settings = site
    with signed_in(url, ACCOUNTS["lead"]) as c:
        page = c.get("/dashboards")
    assert page.status_code == 200, page.text
    m = metrics(settings, default_period())
    assert m.impact is not None
    figures = shown(page.text)
    assert m.headcount == 24  # 23 in departments and the administrator, in none
    assert figures == {
        "headcount": "24",
        "active": _value(m.active),
        "depth": _value(m.depth),
        "breadth": _value(m.breadth),
        "diversity": _value(m.diversity),
        "hours_saved": _value(m.impact.minutes_saved / 60),
        "tickets_avoided": _value(m.impact.tickets_avoided),
        "employees_helped": _value(m.impact.employees_helped),
        "sustainability": m.sustainability.status,
    }
    # GRO: 8 of 10 active in the last two weeks (80 %), 2 of 3 departments with headcount at
    # 10 % or more (GRO, DEC; TINY's 2 of 3 also count, hidden or not): breadth from the
    # function, GRO's depth by hand.
    assert "80.0 %" in row_text(page.text, "data-department", "GRO")
    gro = m.department_named("GRO")
    assert gro is not None and gro.active == 8
    text = unescape(page.text)
    assert text.count("<svg") >= 3  # depth by department, organisation and departments weekly
    assert "stroke-dasharray" in page.text  # the breadth threshold line
    # The weekly table carries each department's sustainability label.
    assert "growing" in row_text(
        page.text.split('data-testid="weekly"')[1], "data-department", "GRO"
    )
    assert "declining" in row_text(
        page.text.split('data-testid="weekly"')[1], "data-department", "DEC"
    )


def test_hidden_groups_say_so_never_zero(site: tuple[str, Settings]) -> None:
    url, _ = site
    with signed_in(url, ACCOUNTS["lead"]) as c:
        page = c.get("/dashboards").text
        tiny = row_text(page, "data-department", "TINY")
        assert "hidden (group under 5 people)" in tiny
        assert " 0 " not in f" {tiny} " and "0.0 %" not in tiny
        sales = row_text(page, "data-workflow", "sales-proposal")
        assert "hidden (group under 5 people)" in sales
        workflow = c.get("/dashboards/workflows/sales-proposal")
        assert workflow.status_code == 200
        assert shown(workflow.text)["runs"] == ""
        assert "hidden (group under 5 people)" in workflow.text
        assert 'data-testid="runs-chart"' not in workflow.text
        french = c.get("/dashboards?lang=fr").text
    assert "masqué (groupe de moins de 5 personnes)" in row_text(french, "data-department", "TINY")
    assert "Tableau de bord de l&#39;adoption" in french


def test_alerts_for_the_declining_department_and_the_unhelpful_workflow(
    site: tuple[str, Settings],
) -> None:
    url, _ = site
    with signed_in(url, ACCOUNTS["lead"]) as c:
        page = c.get("/dashboards").text
    alerts = unescape(page.split('data-testid="alerts"')[1].split("</ul>")[0])
    assert "Decline (DEC) is declining" in alerts
    # hr-policy-answer: 4 of 6 feedback unhelpful (67 %), over the 30 % threshold with ≥ 5.
    assert "HR policy" in alerts or "hr-policy-answer" in alerts
    assert "67 % of 6 feedback marked unhelpful" in alerts
    # operations-procedure: 4 of 10 runs abstained (40 %), over 30 % with ≥ 10 runs.
    assert "Find a procedure: 40 % of 10 runs found no answer" in alerts
    assert "Growth (GRO)" not in alerts
    assert "customer-service-reply" not in alerts and "Customer" not in alerts


def test_department_page(site: tuple[str, Settings]) -> None:
    url, settings = site
    with signed_in(url, ACCOUNTS["lead"]) as c:
        page = c.get("/dashboards/departments/GRO")
    assert page.status_code == 200, page.text
    m = metrics(settings, default_period(), "GRO")
    figures = shown(page.text)
    assert figures["active"] == "8" and figures["headcount"] == "10"
    assert figures["depth"] == _value(m.depth) == "0.8"
    assert figures["diversity"] == _value(m.diversity)
    assert figures["sustainability"] == "growing"
    assert 'data-testid="trend-chart"' in page.text
    assert "Champions: 1" in page.text and "GRO 0" in page.text
    assert 'data-value="' in page.text and "stage: Pilot" in page.text
    # The department's workflows, with the hand-computed feedback of hr-policy-answer.
    hr = row_text(page.text, "data-workflow", "hr-policy-answer")
    assert "66.7 %" in hr  # 4 unhelpful of 6 rated
    assert "department=GRO" in page.text  # workflow links keep the department scope


def test_workflow_page(site: tuple[str, Settings]) -> None:
    url, settings = site
    with signed_in(url, ACCOUNTS["exec"]) as c:
        page = c.get("/dashboards/workflows/hr-policy-answer")
        missing = c.get("/dashboards/workflows/no-such-workflow")
    assert page.status_code == 200, page.text
    assert missing.status_code == 404
    w = metrics(settings, default_period()).workflow("hr-policy-answer")
    assert w is not None
    assert shown(page.text) == {
        "runs": "6",
        "people": "6",
        "helpful": "2",
        "unhelpful": "4",
        "abstained": "0",
        "minutes_saved": _value(w.minutes_saved),
        "tickets_avoided": "0",
    }
    assert w.minutes_saved == 6 * 6  # six runs at the workflow's 6-minute estimate
    assert 'data-testid="runs-chart"' in page.text and "<svg" in page.text
    last_week = complete_weeks(date.today(), 1)[0].isoformat()
    assert "6 6 4 36" in row_text(page.text, "data-week", last_week)
    assert "67 % of 6 feedback marked unhelpful" in unescape(page.text)


def test_period_selector(site: tuple[str, Settings]) -> None:
    url, settings = site
    end = date.today() - timedelta(days=14)
    start = end - timedelta(days=20)
    with signed_in(url, ACCOUNTS["lead"]) as c:
        page = c.get(f"/dashboards?from={start}&to={end}")
        bad = c.get("/dashboards?from=2026-02-30&to=2026-03-01")
        backwards = c.get(f"/dashboards?from={end}&to={start}")
    assert page.status_code == 200
    m = metrics(settings, Period(start, end))
    assert shown(page.text)["active"] == _value(m.active)
    assert f'value="{start.isoformat()}"' in page.text
    assert bad.status_code == 422 and "from: not a date" in bad.text
    assert backwards.status_code == 422 and "ends before it starts" in backwards.text


def test_who_sees_what(site: tuple[str, Settings]) -> None:
    url, settings = site
    with signed_in(url, ACCOUNTS["member"]) as c:
        assert "/dashboards" not in c.get("/").text  # no nav link
        for path in (
            "/dashboards",
            "/dashboards/departments/GRO",
            "/dashboards/workflows/hr-policy-answer",
            "/reports/executive",
            "/reports/executive.pdf",
            "/reports/executive/departments.csv",
        ):
            assert c.get(path).status_code == 403, path
        assert c.get("/dashboards/departments/NOPE").status_code == 403  # not even a 404
    with signed_in(url, ACCOUNTS["dept_admin"]) as c:
        assert 'href="/dashboards"' in c.get("/").text
        home = c.get("/dashboards", follow_redirects=False)
        assert home.status_code == 303
        assert home.headers["location"] == "/dashboards/departments/DEC"
        dated = c.get("/dashboards?from=2026-01-01&to=2026-01-28", follow_redirects=False)
        assert (
            dated.headers["location"] == "/dashboards/departments/DEC?from=2026-01-01&to=2026-01-28"
        )
        assert c.get("/dashboards/departments/DEC").status_code == 200
        assert c.get("/dashboards/departments/GRO").status_code == 403
        assert c.get("/dashboards/workflows/hr-policy-answer").status_code == 403
        dec = c.get("/dashboards/workflows/customer-service-reply?department=DEC")
        assert dec.status_code == 200
        # DEC's last complete week: 2 people ran it, under the minimum of 5, so that week is
        # hidden while the period's figures (5 or 6 people) are shown.
        last_week = complete_weeks(date.today(), 1)[0].isoformat()
        assert "hidden (group under 5 people)" in row_text(dec.text, "data-week", last_week)
        assert shown(dec.text)["people"] in ("5", "6")
        assert c.get("/dashboards/workflows/hr-policy-answer?department=GRO").status_code == 403
        assert c.get("/reports/executive").status_code == 403
    with signed_in(url, ADMIN) as c:
        assert c.get("/dashboards").status_code == 200
        assert c.get("/dashboards/departments/NOPE").status_code == 404
    refused = denied(settings, "dashboard.read")
    assert {"organisation", "GRO", "hr-policy-answer"} <= set(refused)
    assert "page" in denied(settings, "report.read")


def test_report_page_and_csv_exports(site: tuple[str, Settings]) -> None:
    url, settings = site
    with signed_in(url, ACCOUNTS["exec"]) as c:
        page = c.get("/reports/executive")
        assert page.status_code == 200, page.text
        assert STORY_TITLE in page.text
        assert "Growth (GRO) moved from Planned to Pilot" in unescape(page.text)
        assert "/reports/executive.pdf?" in page.text
        tables = {
            name: c.get(f"/reports/executive/{name}.csv")
            for name in ("departments", "workflows", "weekly", "milestones")
        }
        unknown = c.get("/reports/executive/people.csv")
        french = c.get("/reports/executive/departments.csv?lang=fr")
    assert unknown.status_code == 404
    for name, response in tables.items():
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(tables["departments"].text)))
    assert rows[0][:5] == ["Code", "Department", "Headcount", "Active people", "Depth"]
    by_code = {r[0]: r for r in rows[1:]}
    m = metrics(settings, default_period())
    dec = m.department_named("DEC")
    assert dec is not None
    assert by_code["GRO"][2:5] == ["10", "8", "0.8"]
    assert by_code["DEC"][3] == str(dec.active) and by_code["DEC"][9] == "declining"
    assert by_code["TINY"][3] == "hidden (group under 5 people)"
    # CSV injection: the hostile department name starts with "=", so it is quoted.
    assert by_code["INJ"][1] == "'" + HOSTILE_NAME
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    weekly = list(csv.reader(io.StringIO(tables["weekly"].text)))
    assert weekly[0][:2] == ["Week", "Organisation"] and "GRO" in weekly[0]
    assert [r[weekly[0].index("GRO")] for r in weekly[1:]] == [
        "4",
        "5",
        "5",
        "6",
        "6",
        "7",
        "8",
        "8",
    ]
    milestones = list(csv.reader(io.StringIO(tables["milestones"].text)))
    assert milestones[1][:4] == ["GRO", "Growth", "Planned", "Pilot"]
    assert "Effectif" in french.text and "en baisse" in french.text


def test_names_are_escaped(site: tuple[str, Settings]) -> None:
    url, _ = site
    with signed_in(url, ACCOUNTS["lead"]) as c:
        for path in ("/dashboards", "/reports/executive"):
            text = c.get(path).text
            assert "<script>alert(1)</script>" not in text, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_demo_dashboards_match_the_metrics(client: httpx.Client, web_settings: Settings) -> None:
    """On the demo (months of simulated usage), every dashboard and report answers and the
    organisation page shows the figures ``essor metrics`` computes."""
    page = client.get("/dashboards")
    assert page.status_code == 200, page.text
    m = metrics(web_settings, default_period())
    figures = shown(page.text)
    assert figures["active"] == _value(m.active) and figures["breadth"] == _value(m.breadth)
    assert figures["sustainability"] == m.sustainability.status
    for d in m.departments[:3]:
        assert client.get(f"/dashboards/departments/{d.code}").status_code == 200, d.code
    for w in m.workflows[:3]:
        assert client.get(f"/dashboards/workflows/{w.workflow_id}").status_code == 200
    assert client.get("/reports/executive").status_code == 200
    pdf = client.get("/reports/executive.pdf?lang=fr")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_pages_show_what_essor_metrics_prints(site: tuple[str, Settings]) -> None:
    url, settings = site
    env = {**os.environ, "ESSOR_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "essor.cli", "metrics", "--department", "GRO", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    printed = json.loads(proc.stdout)
    with signed_in(url, ACCOUNTS["lead"]) as c:
        figures = shown(c.get("/dashboards/departments/GRO").text)
    impact = printed["impact"]
    assert figures["active"] == str(printed["active"]) == "8"
    assert figures["depth"] == str(printed["depth"])
    assert figures["diversity"] == str(printed["diversity"])
    assert figures["tickets_avoided"] == str(impact["tickets_avoided"])
    assert figures["employees_helped"] == str(impact["employees_helped"])
    assert float(figures["hours_saved"]) == impact["minutes_saved"] / 60
    assert figures["sustainability"] == printed["sustainability"]["status"] == "growing"


def test_report_states_the_break_even_as_the_budget_page_judges_it(
    client: httpx.Client, web_settings: Settings
) -> None:
    """A break-even beyond the whole headcount is no break-even: the report says which pricing
    is cheaper instead of quoting a share of people above 100 %."""
    from essor.analytics.periods import default_period as period_now
    from essor.analytics.rollups import catch_up
    from essor.budget.queries import budget_report
    from essor.db import read_session

    catch_up(web_settings)
    period = period_now()
    with read_session(web_settings) as session:
        report = budget_report(session, web_settings, start=period.start, end=period.end)
    assert report.projection is not None  # the demo has cost lines and pilot usage
    sentences = {
        "crosses": "Usage-based costs what per-seat does at",
        "usage_cheaper": "Usage-based pricing costs less than per-seat pricing at any adoption",
        "per_seat_cheaper": "Per-seat pricing costs less than usage-based pricing at any",
    }
    page = client.get("/reports/executive").text
    verdict = report.projection.break_even_verdict
    assert sentences[verdict] in page
    assert all(s not in page for v, s in sentences.items() if v != verdict)
