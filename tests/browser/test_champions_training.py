"""In Chromium: a champion posts a success story that a member then reads on /stories, and a
tip on the Ask page is dismissed and stays gone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from essor.db import write_session
from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role
from essor.settings import Settings
from tests.browser.conftest import shot, sign_in
from tests.web.conftest import Account, add_person

CHAMPION = Account("champ.browser@test.example", "champion-browser-1234", "Céleste Champion")
READER = Account("reader.browser@test.example", "reader-browser-12345", "Rémi Reader")
STORY = "Returns answered before lunch"


@pytest.fixture(scope="module")
def accounts(base_url: str, web_settings: Settings) -> None:
    add_person(web_settings, CHAMPION, "CS")
    add_person(web_settings, READER, "TST-A")
    with write_session(web_settings) as s:
        grant_role(s, CHAMPION.email, "champion", actor=SYSTEM, department="CS")


def test_a_champion_story_reaches_every_member(
    page: Page, browser: Browser, base_url: str, accounts: None
) -> None:
    sign_in(page, CHAMPION.email, CHAMPION.password)
    page.goto("/champions")
    expect(page.get_by_role("heading", name="Champions network")).to_be_visible()
    page.get_by_label("Kind of post").select_option("story")
    page.get_by_label("Title").fill(STORY)
    page.get_by_label("Text", exact=True).fill("The reply workflow drafts the answer; we check it.")
    page.get_by_label("Workflow it is about (stories)").select_option("customer-service-reply")
    page.get_by_label("Impact figure (stories)").fill("40")
    page.get_by_label("Unit of the figure").fill("minutes saved per week")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page).to_have_url(re.compile(r"/champions$"))
    story = page.locator("article.post-story", has_text=STORY)
    expect(story).to_contain_text("Impact: 40 minutes saved per week")
    shot(page, "champions-feed")

    context = browser.new_context(base_url=base_url, locale="en-GB")
    member = context.new_page()
    member.set_default_timeout(15_000)
    try:
        sign_in(member, READER.email, READER.password)
        member.goto("/stories")
        expect(member.locator("article.post-story", has_text=STORY)).to_contain_text(
            "minutes saved per week"
        )
        # The workflow is named; the member's department cannot run it, so it is no link.
        expect(member.locator("article.post-story", has_text=STORY)).to_contain_text("Workflow:")
        shot(member, "stories")
        # A member has no access to the champions' feed itself.
        assert member.goto("/champions").status == 403  # type: ignore[union-attr]

        member.goto("/")
        tip = member.locator(".tip", has_text="Ask a full question")
        expect(tip).to_be_visible()
        shot(member, "ask-tip")
        tip.get_by_role("button", name="Dismiss this tip").click()
        expect(member.get_by_role("heading", name="Ask a question")).to_be_visible()
        expect(member.locator(".tip", has_text="Ask a full question")).to_have_count(0)
        member.reload()
        expect(member.locator(".tip", has_text="Ask a full question")).to_have_count(0)

        # The member's training: the quick start first, then the library; one step done.
        member.goto("/training")
        expect(member.get_by_role("heading", name="Quick start")).to_be_visible()
        member.get_by_role("button", name="Mark as done").first.click()
        expect(member.get_by_text("1 of 3 done")).to_be_visible()
        shot(member, "training")
    finally:
        context.close()
