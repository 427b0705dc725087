"""Workflow pages and API over HTTP: the library per department, the run page with examples,
a run that cites the demo documents and records its usage event, feedback, the admin pages
(upload, edit, status) and the JSON API with a bearer token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from essor.analytics.models import UsageEvent
from essor.db import read_session
from essor.governance.audit import recent
from essor.settings import Settings
from essor.workflows.registry import organisation_dir
from tests.web.conftest import MEMBER, browser_client, open_session

EVENT_ID = re.compile(r'name="event_id" value="(\d+)"')
CS_MESSAGE = (
    "Hello, we received three desk sensors two weeks ago but no longer need them. "
    "Can we return the unused hardware and get a refund?"
)

VALID = """\
# A workflow uploaded through the admin page.
id: {id}
department: TST-A
version: 1
status: pilot
owner: owner@test.example
title: {{fr: Congés (test {id}), en: Leave (test {id})}}
description: {{fr: Une question sur les congés., en: A question about leave.}}
inputs:
  - name: question
    type: text
    label: {{fr: Question, en: Question}}
scope:
  collections: []
sections:
  - id: answer
    title: {{fr: Réponse, en: Answer}}
    query: "{{question}}"
minutes_saved: 5
examples:
  - fr: {{question: "Combien de jours de congés ?"}}
    en: {{question: "How many days of leave?"}}
"""


def upload(client: httpx.Client, name: str, text: str) -> httpx.Response:
    return client.post(
        "/admin/workflows/upload",
        files={"file": (name, text.encode("utf-8"), "application/x-yaml")},
        follow_redirects=False,
    )


def count_events(settings: Settings, kind: str) -> int:
    with read_session(settings) as session:
        return session.execute(
            select(func.count()).select_from(UsageEvent).where(UsageEvent.kind == kind)
        ).scalar_one()


def run_cs(client: httpx.Client) -> httpx.Response:
    return client.post(
        "/workflows/customer-service-reply/run?lang=en",
        data={"in_message": CS_MESSAGE, "in_product": "cadran"},
    )


# -- library and run page ---------------------------------------------------------------------
def test_library_for_admin_lists_every_department(client: httpx.Client) -> None:
    page = client.get("/workflows?lang=en")
    assert page.status_code == 200
    for wf in ("customer-service-reply", "hr-policy-answer", "sales-proposal", "ask"):
        assert f'data-workflow="{wf}"' in page.text
    assert "For everyone" in page.text and "Customer service" in page.text  # department name
    assert "minutes saved per run" in page.text
    assert 'href="/workflows"' in page.text  # the nav link


def test_member_sees_the_organisation_workflow_only(member_client: httpx.Client) -> None:
    page = member_client.get("/workflows?lang=en")
    assert page.status_code == 200
    assert 'data-workflow="ask"' in page.text
    assert 'data-workflow="customer-service-reply"' not in page.text
    assert member_client.get("/workflows/customer-service-reply").status_code == 404
    assert member_client.get("/workflows/no-such-workflow").status_code == 404
    refused = member_client.post(
        "/workflows/customer-service-reply/run", data={"in_message": CS_MESSAGE}
    )
    assert refused.status_code == 404


def test_run_page_form_tips_and_example(client: httpx.Client) -> None:
    page = client.get("/workflows/customer-service-reply?lang=en")
    assert page.status_code == 200
    assert '<textarea id="in_message" name="in_message"' in page.text
    assert '<select id="in_product" name="in_product"' in page.text
    assert "?example=0" in page.text and "Tips" in page.text
    filled = client.get("/workflows/customer-service-reply?lang=en&example=0")
    assert "desk sensors two weeks ago" in filled.text
    assert '<option value="cadran" selected>' in filled.text
    # An example index out of range just shows the empty form.
    assert client.get("/workflows/customer-service-reply?example=99").status_code == 200


def test_a_run_cites_sources_and_records_one_event(
    client: httpx.Client, web_settings: Settings
) -> None:
    before = count_events(web_settings, "workflow_run")
    page = run_cs(client)
    assert page.status_code == 200, page.text[:500]
    assert count_events(web_settings, "workflow_run") == before + 1
    assert 'data-section="policy"' in page.text
    assert re.search(r'<a class="cite" href="#source-1"[^>]*>\[1\]</a>', page.text)
    assert 'id="source-1"' in page.text and "/documents/" in page.text
    assert "Extractive" in page.text  # the mode line
    assert '<textarea id="plain-text" readonly' in page.text
    assert "The case was resolved without a ticket" in page.text
    match = EVENT_ID.search(page.text)
    assert match is not None
    with read_session(web_settings) as session:
        event = session.get(UsageEvent, int(match.group(1)))
        assert event is not None
        assert event.kind == "workflow_run"
        assert event.workflow_id == "customer-service-reply"
        assert event.mode == "extractive" and event.language == "en"
        assert event.citations and event.citations > 0 and event.abstained is False
        assert event.latency_ms is not None


def test_input_errors_show_the_form_again(client: httpx.Client, web_settings: Settings) -> None:
    before = count_events(web_settings, "workflow_run")
    page = client.post(
        "/workflows/customer-service-reply/run?lang=en", data={"in_product": "toaster"}
    )
    assert page.status_code == 422
    assert 'role="alert"' in page.text and "message" in page.text
    assert "toaster" in page.text  # the chosen value is reported
    assert count_events(web_settings, "workflow_run") == before


def test_feedback_once_and_only_on_ones_own_run(
    client: httpx.Client, member_client: httpx.Client, web_settings: Settings
) -> None:
    match = EVENT_ID.search(run_cs(client).text)
    assert match is not None
    event_id = match.group(1)
    # Someone else's run looks like a missing one.
    other = member_client.post("/feedback", data={"event_id": event_id, "helpful": "yes"})
    assert other.status_code == 404
    assert client.post("/feedback", data={"event_id": "999999"}).status_code == 404
    bad = client.post("/feedback", data={"event_id": event_id, "minutes_saved": "9999"})
    assert bad.status_code == 422
    data = {
        "event_id": event_id,
        "helpful": "yes",
        "minutes_saved": "6",
        "ticket_asked": "1",
        "resolved_without_ticket": "1",
    }
    thanks = client.post("/feedback", data=data)
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    assert client.post("/feedback", data=data).status_code == 409
    with read_session(web_settings) as session:
        rows = session.scalars(
            select(UsageEvent).where(UsageEvent.about_event_id == int(event_id))
        ).all()
    assert len(rows) == 1
    assert rows[0].kind == "feedback" and rows[0].helpful is True
    assert rows[0].minutes_saved == 6 and rows[0].resolved_without_ticket is True
    assert rows[0].workflow_id == "customer-service-reply"


@pytest.fixture
def member_without_csrf(base_url: str) -> Iterator[httpx.Client]:
    with browser_client(base_url, open_session(base_url, MEMBER), csrf=False) as c:
        yield c


def test_forms_need_the_csrf_token(member_without_csrf: httpx.Client) -> None:
    page = member_without_csrf.get("/workflows/ask?lang=en")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    data = {"in_question": "How many days of annual leave do I get?"}
    assert member_without_csrf.post("/workflows/ask/run", data=data).status_code == 403
    assert member_without_csrf.post("/feedback", data={"event_id": "1"}).status_code == 403
    ran = member_without_csrf.post(
        "/workflows/ask/run?lang=en", data={"csrf_token": token.group(1), **data}
    )
    assert ran.status_code == 200
    assert EVENT_ID.search(ran.text) is not None
    # Plain Ask is not a customer-service workflow: no ticket question.
    assert "resolved without a ticket" not in ran.text


# -- administration ---------------------------------------------------------------------------
ADMIN_ROUTES = [
    ("get", "/admin/workflows"),
    ("get", "/admin/workflows/customer-service-reply/edit"),
    ("post", "/admin/workflows/customer-service-reply/status"),
    ("post", "/admin/workflows/upload"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_members_cannot_administer_workflows(
    member_client: httpx.Client, method: str, path: str
) -> None:
    if method == "get":
        assert member_client.get(path).status_code == 403
    else:
        assert member_client.post(path, data={"status": "draft"}).status_code in (403, 422)


def test_member_upload_is_forbidden(member_client: httpx.Client) -> None:
    response = upload(member_client, "x.yaml", VALID.format(id="member-made"))
    assert response.status_code == 403


def test_admin_page_lists_builtins_read_only(client: httpx.Client) -> None:
    page = client.get("/admin/workflows?lang=en")
    assert page.status_code == 200
    assert 'data-workflow="training-course"' in page.text and "Prebuilt" in page.text
    assert client.get("/admin/workflows/ask/edit").status_code == 404
    changed = client.post("/admin/workflows/ask/status", data={"status": "draft"})
    assert changed.status_code == 404


def test_upload_edit_and_status(
    client: httpx.Client, member_client: httpx.Client, web_settings: Settings
) -> None:
    saved = upload(client, "leave.yaml", VALID.format(id="web-leave"))
    assert saved.status_code == 303, saved.text[:500]
    assert (organisation_dir(web_settings) / "web-leave.yaml").is_file()
    listing = client.get("/admin/workflows?lang=en")
    assert 'data-workflow="web-leave"' in listing.text and "Organisation" in listing.text
    # A pilot workflow of TST-A: its members see it.
    assert 'data-workflow="web-leave"' in member_client.get("/workflows").text
    example = member_client.get("/workflows/web-leave?lang=en&example=0")
    assert "How many days of leave?" in example.text

    edit = client.get("/admin/workflows/web-leave/edit")
    assert edit.status_code == 200 and "web-leave" in edit.text
    text = VALID.format(id="web-leave").replace("Leave (test web-leave)", "Leave questions")
    assert (
        client.post(
            "/admin/workflows/web-leave/edit", data={"text": text}, follow_redirects=False
        ).status_code
        == 303
    )
    assert "Leave questions" in member_client.get("/workflows?lang=en").text
    broken = client.post(
        "/admin/workflows/web-leave/edit", data={"text": text.replace("TST-A", "TST A")}
    )
    assert broken.status_code == 422 and "web-leave.yaml:3:" in broken.text
    renamed = client.post(
        "/admin/workflows/web-leave/edit", data={"text": text.replace("id: web-leave", "id: x")}
    )
    assert renamed.status_code == 422

    drafted = client.post(
        "/admin/workflows/web-leave/status", data={"status": "draft"}, follow_redirects=False
    )
    assert drafted.status_code == 303
    on_disk = (organisation_dir(web_settings) / "web-leave.yaml").read_text(encoding="utf-8")
    assert "status: draft" in on_disk and "# A workflow uploaded" in on_disk  # comments kept
    assert 'data-workflow="web-leave"' not in member_client.get("/workflows").text
    assert member_client.get("/workflows/web-leave").status_code == 404
    bad = client.post("/admin/workflows/web-leave/status", data={"status": "published"})
    assert bad.status_code == 422

    with read_session(web_settings) as session:
        actions = [(e.action, e.object_id) for e in recent(session, limit=50)]
    for action in ("workflow.upload", "workflow.edit", "workflow.status"):
        assert (action, "web-leave") in actions


def test_invalid_upload_is_refused_with_file_and_line(
    client: httpx.Client, web_settings: Settings
) -> None:
    text = VALID.format(id="web-broken").replace("minutes_saved: 5", "minutes_saved: 5000")
    response = upload(client, "broken.yaml", text)
    assert response.status_code == 422
    assert "broken.yaml:19: minutes_saved must be between 1 and 480" in response.text
    assert not (organisation_dir(web_settings) / "web-broken.yaml").exists()
    taken = upload(client, "ask.yaml", VALID.format(id="ask"))
    assert taken.status_code == 422 and "prebuilt" in taken.text
    too_big = upload(client, "big.yaml", "# " + "x" * 70_000)
    assert too_big.status_code == 413
    hostile = upload(client, "<script>.yaml", "id: [")
    assert hostile.status_code == 422 and "<script>" not in hostile.text


# -- API ----------------------------------------------------------------------------------------
@pytest.fixture
def bearer(base_url: str, client: httpx.Client) -> Iterator[httpx.Client]:
    made = client.post("/api/tokens", json={"name": "workflow tests"})
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    with httpx.Client(base_url=base_url, timeout=30, headers=headers) as c:
        yield c


def test_api_run_and_feedback_with_a_token(bearer: httpx.Client, web_settings: Settings) -> None:
    listed = bearer.get("/api/workflows").json()["workflows"]
    assert "customer-service-reply" in {w["id"] for w in listed}
    one = bearer.get("/api/workflows/customer-service-reply").json()
    assert one["inputs"][0]["name"] == "message"
    assert bearer.get("/api/workflows/nope").status_code == 404
    before = count_events(web_settings, "workflow_run")
    ran = bearer.post(
        "/api/workflows/customer-service-reply/run",
        json={"inputs": {"message": CS_MESSAGE}, "language": "en"},
    )
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert body["mode"] == "extractive" and body["abstained"] is False
    assert body["sources"] and body["sections"][0]["sentences"]
    assert isinstance(body["event_id"], int)
    assert count_events(web_settings, "workflow_run") == before + 1
    feedback = {"event_id": body["event_id"], "helpful": False, "minutes_saved": 0}
    given = bearer.post("/api/feedback", json=feedback)
    assert given.status_code == 201, given.text
    assert bearer.post("/api/feedback", json=feedback).status_code == 409
    too_many = {"event_id": body["event_id"], "minutes_saved": 10_000}
    assert bearer.post("/api/feedback", json=too_many).status_code == 422
    missing = bearer.post("/api/workflows/customer-service-reply/run", json={"inputs": {}})
    assert missing.status_code == 422 and "message" in missing.json()["detail"]


def test_api_feedback_refused_on_someone_elses_event(
    bearer: httpx.Client, member_client: httpx.Client
) -> None:
    ran = bearer.post(
        "/api/workflows/ask/run",
        json={"inputs": {"question": "How many days of annual leave do I get?"}},
    )
    assert ran.status_code == 200
    other = member_client.post("/api/feedback", json={"event_id": ran.json()["event_id"]})
    assert other.status_code == 404
    assert member_client.get("/api/workflows/customer-service-reply").status_code == 404
    assert "/api/workflows/{workflow_id}/run" in bearer.get("/api/openapi.json").text
