"""The executive report on a small organisation with hand-made usage
(tests/web/dashboard_site.py): gathered figures, the PDF opened with pypdf and its text
checked for the headline figures, a success story, a milestone and the charts, in English and
French; the CSV guard against formula injection."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from pypdf import PdfReader

from essor.analytics.periods import default_period
from essor.analytics.rollups import catch_up
from essor.db import dispose_engines, read_session
from essor.governance.access import SYSTEM
from essor.migrate import upgrade
from essor.reports.executive import (
    ExecutiveReport,
    Formatter,
    chart_note,
    charted_departments,
    csv_table,
    gather,
    render_document,
    render_pdf,
    safe_cell,
    weekly_chart,
)
from essor.settings import Settings
from tests.web.dashboard_site import STORY_TITLE, build


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, ExecutiveReport]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("executive"), environment="test", _env_file=None
    )
    upgrade(settings)
    build(settings)
    catch_up(settings)
    with read_session(settings) as session:
        report = gather(session, settings, period=default_period(), reader=SYSTEM)
    yield settings, report
    dispose_engines()


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_gathered_report(org: tuple[Settings, ExecutiveReport]) -> None:
    _, r = org
    gro = r.metrics.department_named("GRO")
    assert gro is not None and (gro.active, gro.headcount) == (8, 10)
    assert [(s.code, s.from_stage, s.to_stage) for s in r.milestones] == [
        ("GRO", "planned", "pilot")
    ]
    assert [s.title for s in r.stories] == [STORY_TITLE]
    assert {a.kind for a in r.alerts} == {
        "department_declining",
        "workflow_unhelpful",
        "workflow_abstentions",
    }
    assert {row.code for row in r.readiness} == {"DEC", "GRO", "INJ", "TINY"}
    # No cost line: nothing per month; 8 + 5 or 6 pilot people are active (GRO only is a
    # pilot department: 8 active of 10), so the projection is shown.
    assert r.budget.monthly == 0 and not r.budget.withheld


def test_pdf_has_the_headline_figures_a_story_and_charts(
    org: tuple[Settings, ExecutiveReport],
) -> None:
    settings, r = org
    pdf = render_pdf(r, settings, "en")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    m = r.metrics
    assert m.active is not None and m.depth is not None and m.impact is not None
    assert "Executive report" in text
    assert f"Active people {m.active}" in text
    assert f"Depth {m.depth * 100:.1f} %" in text
    assert f"Hours saved {m.impact.minutes_saved / 60:,.1f}" in text
    assert f"Employees helped {m.impact.employees_helped}" in text
    assert STORY_TITLE in text and "Impact: 30 minutes a day" in text
    assert "Growth (GRO) moved from Planned to Pilot" in text
    assert "Decline (DEC) is declining" in text
    assert "hidden (group under 5 people)" in text  # TINY's row, never a 0
    # The charts are inline SVG: their axis labels are drawn as text in the PDF.
    html = render_document(r, settings, "en")
    assert html.count("<svg") == 3
    assert "<img" not in html and "url(" not in html and "<link" not in html
    assert "GRO · Growth" in text  # a bar label of the depth chart


def test_french_pdf(org: tuple[Settings, ExecutiveReport]) -> None:
    settings, r = org
    text = pdf_text(render_pdf(r, settings, "fr"))
    assert "Rapport de direction" in text
    assert "Personnes actives" in text and "Réussites" in text
    assert STORY_TITLE in text
    assert "masqué (groupe de moins de 5 personnes)" in text
    assert "Growth (GRO) est passé de l'étape « Prévu » à l'étape « Pilote »" in text


def test_csv_cells_that_would_run_as_formulas_are_quoted(
    org: tuple[Settings, ExecutiveReport],
) -> None:
    _, r = org
    for dangerous in ("=SUM(A1)", "+1", "-2+3", "@cmd", "\tx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Growth") == "Growth" and safe_cell(-0.05) == -0.05
    text = csv_table(r, "departments", "en")
    assert "'=HYPERLINK" in text
    with pytest.raises(KeyError):
        csv_table(r, "people", "en")


def test_formatter_never_shows_hidden_as_zero() -> None:
    fmt = Formatter("en", 5)
    assert fmt.num(None, "too_small") == "hidden (group under 5 people)"
    assert fmt.num(None, "no_headcount") == "no headcount"
    assert fmt.pct(0.125) == "12.5 %" and fmt.num(0) == "0"
    assert Formatter("fr", 5).num(1234.5, decimals=1) == "1\u202f234,5"
    assert fmt.slope(-0.031) == "−3.1 %"


def test_weekly_chart_draws_at_most_the_8_largest_departments(
    org: tuple[Settings, ExecutiveReport],
) -> None:
    _, r = org
    gro = r.metrics.department_named("GRO")
    assert gro is not None
    many = tuple(replace(gro, code=f"D{i:02}", headcount=10 + i) for i in range(12))
    m = replace(r.metrics, departments=many)
    fmt = Formatter("en", 5)
    assert [d.code for d in charted_departments(m)] == [f"D{i:02}" for i in range(4, 12)]
    chart = str(weekly_chart(m, fmt, by_department=True))
    assert chart.count("<polyline") == 8 and ">D03<" not in chart and ">D11<" in chart
    assert (
        chart_note(m, fmt)
        == "The chart draws the 8 largest of 12 departments; the table lists them all."
    )
    assert chart_note(r.metrics, fmt) is None
