"""Workflows in the browser: open the library, run one from an example, read its cited
sections and give feedback; upload a workflow on the admin page. Screenshots are kept."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in

UPLOAD = """\
id: browser-onboarding
department: all
version: 1
status: pilot
owner: owner@test.example
title: {fr: Accueil (navigateur), en: Onboarding (browser)}
description: {fr: Questions d'accueil., en: Onboarding questions.}
inputs:
  - name: question
    type: text
    label: {fr: Question, en: Question}
scope:
  collections: []
sections:
  - id: answer
    title: {fr: Réponse, en: Answer}
    query: "{question}"
minutes_saved: 3
"""


def test_run_a_workflow_from_an_example_and_give_feedback(page: Page) -> None:
    sign_in(page)
    page.get_by_role("navigation").get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workflows")
    expect(page.get_by_role("heading", name="For everyone")).to_be_visible()
    shot(page, "20-workflow-library")
    page.get_by_role("link", name="Customer reply draft").click()
    page.get_by_role("link", name="Example 1", exact=True).click()
    expect(page.get_by_label("Customer's message")).to_have_value(re.compile("desk sensors"))
    shot(page, "21-workflow-form")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name="Relevant policy")).to_be_visible()
    expect(page.locator("a.cite").first).to_be_visible()
    expect(page.get_by_text("Extractive")).to_be_visible()
    expect(page.locator("#plain-text")).to_have_value(re.compile(r"\[1\]"))
    shot(page, "22-workflow-result")
    page.locator("a.cite").first.click()
    expect(page).to_have_url(re.compile(r"#source-\d+$"))
    page.get_by_label("Yes").check()
    page.get_by_label("Minutes saved").fill("7")
    page.get_by_label("The case was resolved without a ticket").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    shot(page, "23-workflow-feedback")


def test_upload_a_workflow(page: Page, tmp_path: Path) -> None:
    sign_in(page)
    page.goto("/admin/workflows")
    broken = tmp_path / "broken.yaml"
    broken.write_text(UPLOAD.replace("minutes_saved: 3", "minutes_saved: 0"), encoding="utf-8")
    page.get_by_label(re.compile("YAML file")).set_input_files(broken)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("broken.yaml:18:")
    shot(page, "24-workflow-upload-error")
    good = tmp_path / "onboarding.yaml"
    good.write_text(UPLOAD, encoding="utf-8")
    page.get_by_label(re.compile("YAML file")).set_input_files(good)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("browser-onboarding")
    row = page.locator('tr[data-workflow="browser-onboarding"]')
    expect(row).to_contain_text("Organisation")
    shot(page, "25-workflow-uploaded")
    page.goto("/workflows")
    expect(page.get_by_role("link", name="Onboarding (browser)")).to_be_visible()
