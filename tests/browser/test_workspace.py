"""What a person does in the browser: sign in, ask and open a citation, switch language,
upload documents with progress, import people. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from tests.web.conftest import MEMBER


def test_sign_in_then_out(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin"))
    shot(page, "01-signin")
    page.get_by_label("Email address").fill(MEMBER.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    sign_in(page, MEMBER.email, MEMBER.password)
    expect(page.get_by_role("heading", name="Ask a question")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))


def test_ask_and_reveal_a_citation(page: Page) -> None:
    sign_in(page)
    page.get_by_label("Your question").fill(
        "How long does a customer have to return unused hardware?"
    )
    page.get_by_label("Your question").press("Enter")
    expect(page.get_by_text("Extractive answer")).to_be_visible()
    first_cite = page.locator("a.cite").first
    expect(first_cite).to_be_visible()
    shot(page, "02-answer")
    first_cite.click()
    expect(page).to_have_url(re.compile(r"#source-1$"))
    source = page.locator("#source-1")
    expect(source).to_contain_text("30 days")
    source.get_by_role("link", name="Open the passage in the document").click()
    mark = page.locator("mark#passage")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("30 days")
    shot(page, "03-cited-passage")


def test_switch_language(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Poser une question")
    page.goto("/search")  # the choice is remembered on the next page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shot(page, "04-french")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_upload_documents_with_progress(page: Page, tmp_path: Path) -> None:
    sign_in(page)
    page.goto("/admin/collections")
    page.get_by_label("Name", exact=True).fill("browser-uploads")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("browser-uploads")
    doc = tmp_path / "capybara-rota.md"
    doc.write_text("# Capybara rota\n\nThe capybara rota changes every Monday.\n", "utf-8")
    page.get_by_label("Files").set_input_files([str(doc)])
    page.get_by_role("button", name="Upload").click()
    runs = page.locator("#runs")
    expect(runs).to_contain_text("added 1", timeout=30_000)
    shot(page, "05-upload")
    page.goto("/search?q=capybara+rota")
    expect(page.get_by_text("The capybara rota changes every Monday.")).to_be_visible()


def test_import_people(page: Page, tmp_path: Path) -> None:
    sign_in(page)
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "email,name,department,job_title\n"
        "browser.one@test.example,Browser One,TST-A,Analyst\n"
        "not-an-email,Broken Row,TST-A,Analyst\n",
        "utf-8",
    )
    page.goto("/admin/people")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_be_visible()
    expect(page.get_by_text("not-an-email")).to_be_visible()  # the rejected row, with its reason
    shot(page, "06-people-import")
