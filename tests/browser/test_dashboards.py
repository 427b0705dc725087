"""A programme lead reads the dashboards in real Chromium, on a small organisation with
hand-made usage (tests/web/dashboard_site.py): charts and figures, the period switched with
the plain form, then a department's and a workflow's dashboard. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from essor.settings import Settings
from essor.web import create_app
from tests.browser.conftest import shot, sign_in
from tests.servers import serve
from tests.web.dashboard_site import ACCOUNTS, PASSWORD, build


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dashboard-browser"), environment="test", _env_file=None
    )
    with serve(create_app(settings)) as url:
        build(settings)
        yield url


@pytest.fixture
def lead_page(browser: Browser, site_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=site_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, ACCOUNTS["lead"], PASSWORD)
    yield page
    context.close()


def test_programme_lead_reads_the_dashboards(lead_page: Page) -> None:
    page = lead_page
    page.get_by_role("link", name="Dashboards").click()
    page.wait_for_url("**/dashboards")
    expect(page.get_by_role("heading", name="Adoption dashboard")).to_be_visible()
    # Server-drawn charts: depth by department, weekly active people (organisation, departments).
    expect(page.locator("[data-testid=depth-chart] svg")).to_have_count(1)
    expect(page.locator("[data-testid=org-weekly-chart] svg")).to_have_count(1)
    expect(page.locator("[data-testid=departments-weekly-chart] svg polyline")).not_to_have_count(0)
    expect(page.locator("dd[data-metric=headcount]")).to_have_text("24")
    expect(page.locator("[data-testid=alerts]")).to_contain_text("Decline (DEC) is declining")
    expect(page.locator("tr[data-department=TINY] [data-col=active]")).to_have_text(
        "hidden (group under 5 people)"
    )
    shot(page, "dashboards-organisation")

    # Another period through the plain GET form: three weeks ending two weeks ago.
    end = date.today() - timedelta(days=14)
    start = end - timedelta(days=20)
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_label("To").fill(end.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/dashboards?from={start.isoformat()}&to={end.isoformat()}")
    expect(page.get_by_test_id("period")).to_contain_text("(21 days)")
    shot(page, "dashboards-period")
    page.get_by_role("link", name="Growth (GRO)").first.click()
    page.wait_for_url("**/dashboards/departments/GRO?**")
    expect(page.get_by_test_id("period")).to_contain_text("(21 days)")  # the period follows

    # Back to the default period (the last 28 days) through the header link.
    page.get_by_role("link", name="Dashboards").click()
    page.wait_for_url("**/dashboards")
    page.get_by_role("link", name="Growth (GRO)").first.click()
    page.wait_for_url("**/dashboards/departments/GRO?**")
    expect(page.get_by_role("heading", name="Growth (GRO)")).to_be_visible()
    expect(page.locator("[data-testid=trend-chart] svg")).to_have_count(1)
    expect(page.get_by_test_id("champions")).to_contain_text("GRO 0")
    expect(page.locator("dd[data-metric=active]")).to_have_text("8")
    shot(page, "dashboards-department")

    page.locator("tr[data-workflow=hr-policy-answer] a").click()
    page.wait_for_url("**/dashboards/workflows/hr-policy-answer?**department=GRO**")
    expect(page.locator("[data-testid=runs-chart] svg")).to_have_count(1)
    expect(page.locator("dd[data-metric=runs]")).to_have_text("6")
    expect(page.locator("dd[data-metric=unhelpful]")).to_contain_text("4")
    shot(page, "dashboards-workflow")


def test_executive_report_in_french(lead_page: Page) -> None:
    page = lead_page
    page.goto("/reports/executive?lang=fr")
    expect(page.get_by_role("heading", name="Rapport de direction")).to_be_visible()
    expect(page.get_by_test_id("story")).to_contain_text("Customer replies drafted")
    expect(page.locator("svg")).not_to_have_count(0)
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    assert download.value.suggested_filename.endswith(".pdf")
    shot(page, "report-executive-fr")
