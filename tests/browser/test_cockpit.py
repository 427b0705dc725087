"""The rollout cockpit in real Chromium: the programme lead sees every department with its
stage and readiness, opens one, edits a checklist item through its form and moves the
department on with a reason. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from essor.db import read_session
from essor.governance.access import SYSTEM
from essor.people.models import Department
from essor.rollout.queries import overview
from essor.settings import Settings
from tests.browser.conftest import shot, sign_in
from tests.web.conftest import Account
from tests.web.test_cockpit import LEAD, ensure_account

# A department of this test's own, so other tests' changes do not move its numbers.
CODE = "CKP-BR"


def test_programme_lead_edits_a_checklist_item(
    page: Page, base_url: str, web_settings: Settings
) -> None:
    ensure_account(web_settings, LEAD, None, "programme_lead")
    ensure_account(
        web_settings, Account("ckp-br@test.example", "ckp-br-password-123", "Bea"), CODE, "member"
    )
    with read_session(web_settings) as session:
        codes = sorted(session.scalars(select(Department.code)))
        expected = {r.code: r for r in overview(session, web_settings, reader=SYSTEM)}

    sign_in(page, LEAD.email, LEAD.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cockpit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rollout cockpit")
    for code in codes:
        row = page.locator(f'tr[data-department="{code}"]')
        want = expected[code]
        expect(row).to_be_visible()
        expect(row).to_contain_text(f"{want.done}/{want.total} items done")
    expect(page.locator('tr[data-department="IT"]')).to_contain_text("Adopted")
    expect(page.locator('tr[data-department="CS"]')).to_contain_text("Rolling out")
    expect(page.locator('tr[data-department="HR"]')).to_contain_text("Pilot")
    mine = page.locator(f'tr[data-department="{CODE}"]')
    expect(mine).to_contain_text("Planned")
    expect(mine).to_contain_text("0/7 items done (0%)")
    expect(mine).to_contain_text("No champion")
    shot(page, "cockpit-01-overview")

    mine.get_by_role("link", name=CODE).click()
    expect(page).to_have_url(re.compile(rf"/cockpit/departments/{CODE}$"))
    budget = page.locator('tr[data-item="budget_model"]')
    expect(budget.get_by_test_id("item-status")).to_have_text("Open")
    page.get_by_text("Edit “A budget model that works at full scale”").click()
    form = page.locator('form[data-item-form="budget_model"]')
    form.get_by_label("Status").select_option("done")
    form.get_by_label("Owner (email address)").fill(LEAD.email)
    form.get_by_label("Evidence", exact=True).fill("Seat budget approved for the full team")
    form.get_by_label("Evidence link (http or https)").fill("https://intranet.example/budget")
    form.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"saved=item-budget_model#item-budget_model$"))
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(budget.get_by_test_id("item-status")).to_have_text("Done")
    expect(budget).to_contain_text("Seat budget approved for the full team")
    expect(budget).to_contain_text(LEAD.email)
    expect(budget.get_by_role("link", name="https://intranet.example/budget")).to_be_visible()
    expect(page.get_by_test_id("readiness")).to_contain_text("1/7 items done (14%)")
    # Computed items offer no status to tick.
    page.get_by_text("Edit “Champions identified”").click()
    expect(page.locator('form[data-item-form="champions"]').get_by_label("Status")).to_have_count(0)
    shot(page, "cockpit-02-checklist-saved")

    page.get_by_label("Reason for the move").fill("Steering committee agreed to a pilot")
    page.get_by_role("button", name="Move to Pilot").click()
    expect(page.get_by_test_id("stage")).to_have_text("Pilot")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Planned → Pilot")
    expect(history).to_contain_text("Steering committee agreed to a pilot")
    expect(history).to_contain_text(LEAD.email)
    shot(page, "cockpit-03-stage-moved")


def test_waves_and_support_pages(page: Page, web_settings: Settings) -> None:
    ensure_account(web_settings, LEAD, None, "programme_lead")
    sign_in(page, LEAD.email, LEAD.password)
    page.goto("/cockpit")
    page.get_by_role("navigation", name="Cockpit pages").get_by_role("link", name="Waves").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waves")
    wave = page.locator("section.wave").filter(has_text="Vague 1 · Wave 1")
    expect(wave).to_contain_text("Prove value with IT and customer service")
    expect(wave.get_by_role("link", name="IT", exact=True)).to_be_visible()
    shot(page, "cockpit-04-waves")
    page.get_by_role("link", name="Support model").click()
    content = page.locator('section[data-area="content"]')
    expect(content.get_by_test_id("gaps")).to_contain_text("HR")
    expect(content).to_contain_text("head.cs@essor-demo.example")
    shot(page, "cockpit-05-support")
    page.goto("/cockpit?lang=fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pilotage du déploiement")
    expect(page.locator('tr[data-department="IT"]')).to_contain_text("Adopté")
    shot(page, "cockpit-06-overview-fr")


def test_upload_an_evidence_file(page: Page, web_settings: Settings) -> None:
    code = "CKP-EVF"
    ensure_account(web_settings, LEAD, None, "programme_lead")
    ensure_account(
        web_settings, Account("ckp-evf@test.example", "ckp-evf-password-123", "Eli"), code, "member"
    )
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    sign_in(page, LEAD.email, LEAD.password)
    page.goto(f"/cockpit/departments/{code}")
    page.get_by_text("Edit “A budget model that works at full scale”").click()
    form = page.locator('form[data-file-form="budget_model"]')
    form.get_by_label("Attach an evidence file").set_input_files(
        files=FilePayload(name="budget-plan.pdf", mimeType="application/pdf", buffer=pdf)
    )
    form.get_by_role("button", name="Upload the file").click()
    expect(page).to_have_url(re.compile(r"saved=file-budget_model#item-budget_model$"))
    expect(page.get_by_role("status")).to_have_text("Saved.")
    listed = page.locator('tr[data-item="budget_model"]').get_by_test_id("evidence-files")
    expect(listed.get_by_role("link", name="budget-plan.pdf")).to_be_visible()
    expect(listed).to_contain_text(f"{len(pdf)} bytes")
    expect(listed).to_contain_text(LEAD.email)
    expect(listed.get_by_role("button", name="Remove budget-plan.pdf")).to_be_visible()
    shot(page, "cockpit-07-evidence-file")
