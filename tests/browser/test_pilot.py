"""The pilot in the browser: add a journal entry through the form and see it, then download
the playbook PDF and read the entry and a champion's name in it. Screenshots are kept."""

from __future__ import annotations

import io

import pypdf
from playwright.sync_api import Page, expect
from sqlalchemy import select

from essor.db import read_session
from essor.governance.models import RoleGrant
from essor.people.models import Department, Person
from essor.settings import Settings
from tests.browser.conftest import shot, sign_in


def _hr_champion(settings: Settings) -> str:
    with read_session(settings) as session:
        name = session.scalar(
            select(Person.name)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .join(Department, Department.id == RoleGrant.department_id)
            .where(RoleGrant.role == "champion", Department.code == "HR")
            .order_by(Person.email)
        )
    assert name
    return name


def test_journal_entry_then_playbook_pdf(page: Page, web_settings: Settings) -> None:
    sign_in(page)
    page.goto("/cockpit/departments/HR/journal")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pilot journal")
    page.locator("#j-category").select_option("training")
    page.locator("#j-title").fill("Browser-written: keep sessions short")
    page.locator("#j-body").fill("Twenty minutes, one real case, questions at the end.")
    page.get_by_role("button", name="Add", exact=True).click()
    entry = page.locator(".journal-entry", has_text="Browser-written: keep sessions short")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("Twenty minutes, one real case")
    shot(page, "60-pilot-journal")

    page.get_by_role("link", name="Playbook").click()
    expect(page.get_by_role("heading", name="Training notes")).to_be_visible()
    expect(page.get_by_text("Browser-written: keep sessions short")).to_be_visible()
    shot(page, "61-pilot-playbook")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download (PDF)").click()
    download = info.value
    assert download.suggested_filename == "playbook-HR.pdf"
    path = download.path()
    pdf = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Browser-written: keep sessions short" in text
    assert _hr_champion(web_settings) in text


def test_cohort_page_enrol_and_comparison(page: Page) -> None:
    sign_in(page)
    page.goto("/cockpit/departments/HR/cohort")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pilot cohort")
    expect(page.locator("#sceptic-flag")).to_contain_text("Sceptics: 5 of 20 members")
    expect(page.get_by_role("heading", name="Results by attitude")).to_be_visible()
    expect(page.locator('tr[data-group="all"]')).to_contain_text("20")
    page.locator("#enrol-email").fill("nobody@essor-demo.example")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "unknown person: nobody@essor-demo.example"
    )
    shot(page, "62-pilot-cohort")
