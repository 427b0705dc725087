"""Feedback on an answer from the Ask page, recorded against that answer's usage event."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from essor.analytics.models import UsageEvent
from essor.db import read_session
from essor.settings import Settings

EVENT = re.compile(r'name="event_id" value="(\d+)"')


def test_answer_feedback(member_client: httpx.Client, web_settings: Settings) -> None:
    page = member_client.get("/", params={"q": "How do I reset a forgotten password?"})
    assert page.status_code == 200
    match = EVENT.search(page.text)
    assert match, "an answer offers feedback on itself"
    event_id = int(match.group(1))
    sent = member_client.post(
        "/feedback",
        data={
            "event_id": str(event_id),
            "helpful": "yes",
            "minutes_saved": "7",
            "ticket_asked": "1",
            "resolved_without_ticket": "1",
        },
    )
    assert sent.status_code == 200
    with read_session(web_settings) as s:
        question = s.get(UsageEvent, event_id)
        feedback = s.scalars(select(UsageEvent).where(UsageEvent.about_event_id == event_id)).all()
    assert question is not None and question.kind == "question" and question.citations
    assert len(feedback) == 1 and feedback[0].helpful is True and feedback[0].minutes_saved == 7
    assert feedback[0].resolved_without_ticket is True
    assert "resolved without a ticket" in page.text
    abstained = member_client.get("/", params={"q": "Who painted the Mona Lisa?"})
    assert EVENT.search(abstained.text) is None  # nothing to rate
