"""The pilot pages over the real server and the seeded demo: the HR cohort, journal and
playbook (page, Markdown, PDF), enrolment with the sceptic flag, per-line errors, journal
forms, escaping, CSRF and who may see what."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx
import pypdf
import pytest

from essor.db import write_session
from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role
from essor.settings import Settings
from tests.web.conftest import (
    Account,
    Browser,
    add_person,
    browser_client,
    open_session,
)

PILOT = "TST-PILOT"
PILOT_ADMIN = Account("pilot.admin@test.example", "pilot-admin-password-1", "Pia Pilotadmin")
PILOT_PEOPLE = [
    Account(f"pilot.p{i}@test.example", f"pilot-person-password-{i}", f"Pilot Person {i}")
    for i in range(6)
]
HOSTILE = "<script>alert('journal')</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def pilot_admin(base_url: str, web_settings: Settings) -> Browser:
    add_person(web_settings, PILOT_ADMIN, PILOT)
    for account in PILOT_PEOPLE:
        add_person(web_settings, account, PILOT)
    with write_session(web_settings) as session:
        grant_role(session, PILOT_ADMIN.email, "department_admin", actor=SYSTEM, department=PILOT)
    return open_session(base_url, PILOT_ADMIN)


@pytest.fixture
def pilot_client(base_url: str, pilot_admin: Browser) -> Iterator[httpx.Client]:
    with browser_client(base_url, pilot_admin) as c:
        yield c


def token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_admin_sees_the_demo_hr_cohort(client: httpx.Client) -> None:
    page = client.get("/cockpit/departments/HR/cohort")
    assert page.status_code == 200, page.text
    assert "Pilot cohort" in page.text
    # The demo cohort: 20 people, 5 sceptics (25 %), not flagged.
    assert "Sceptics: 5 of 20 members (25\u00a0%)." in page.text
    assert 'class="flag warning"' not in page.text
    assert 'data-group="sceptic"' in page.text and 'data-group="all"' in page.text
    # Every group of 5+ people shows its figures; without usage, depth is 0 %.
    assert "0\u00a0%" in page.text
    french = client.get("/cockpit/departments/HR/cohort?lang=fr")
    assert "Sceptiques : 5 sur 20 membres" in french.text
    assert "Résultats par attitude" in french.text


def test_enrol_shows_the_flag_then_clears_it(pilot_client: httpx.Client) -> None:
    page = pilot_client.get(f"/cockpit/departments/{PILOT}/cohort")
    assert page.status_code == 200
    csrf = token(page.text)
    url = f"/cockpit/departments/{PILOT}/cohort"
    first = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "enrol",
            "email": PILOT_PEOPLE[0].email,
            "attitude": "enthusiast",
        },
    )
    assert first.status_code == 200, first.text
    assert f"{PILOT_PEOPLE[0].email} enrolled." in first.text
    assert "Too few sceptics: 0 of 1 members (0\u00a0%)" in first.text
    lines = "\n".join(
        [
            f"{PILOT_PEOPLE[1].email}, sceptic",
            "nobody@test.example, neutral",
            f"{PILOT_PEOPLE[2].email}, grumpy",
            f"{PILOT_PEOPLE[3].email}",
        ]
    )
    bulk = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "enrol_many",
            "lines": lines,
            "default_attitude": "neutral",
        },
    )
    assert bulk.status_code == 200
    assert "2 people enrolled." in bulk.text
    assert "Line 2 (nobody@test.example, neutral): unknown person: nobody@test.example" in bulk.text
    assert "Line 3" in bulk.text and "not &#39;grumpy&#39;" in bulk.text
    # 1 sceptic of 3: above 20 %, no flag any more.
    assert "Sceptics: 1 of 3 members" in bulk.text
    assert "Too few sceptics" not in bulk.text
    bad = pilot_client.post(
        url, data={"csrf_token": csrf, "action": "enrol", "email": "x@y.z", "attitude": "neutral"}
    )
    assert bad.status_code == 422 and "unknown person: x@y.z" in bad.text
    changed = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "attitude",
            "email": PILOT_PEOPLE[1].email,
            "attitude": "neutral",
        },
    )
    assert "Too few sceptics: 0 of 3" in changed.text
    removed = pilot_client.post(
        url, data={"csrf_token": csrf, "action": "remove", "email": PILOT_PEOPLE[3].email}
    )
    assert f"{PILOT_PEOPLE[3].email} removed from the cohort." in removed.text
    assert "Too few sceptics: 0 of 2" in removed.text


def test_department_admin_only_for_their_department(
    pilot_client: httpx.Client, member_client: httpx.Client
) -> None:
    assert pilot_client.get(f"/cockpit/departments/{PILOT}/cohort").status_code == 200
    assert pilot_client.get(f"/cockpit/departments/{PILOT}/journal").status_code == 200
    for path in ("cohort", "journal", "playbook", "playbook.md", "playbook.pdf"):
        assert pilot_client.get(f"/cockpit/departments/HR/{path}").status_code == 403, path
        assert member_client.get(f"/cockpit/departments/HR/{path}").status_code == 403, path
    csrf = token(pilot_client.get(f"/cockpit/departments/{PILOT}/cohort").text)
    refused = pilot_client.post(
        "/cockpit/departments/HR/cohort",
        data={"csrf_token": csrf, "action": "remove", "email": "head.hr@essor-demo.example"},
    )
    assert refused.status_code == 403
    journal = pilot_client.post(
        "/cockpit/departments/HR/journal",
        data={"csrf_token": csrf, "action": "add", "category": "problem", "title": "x"},
    )
    assert journal.status_code == 403
    assert pilot_client.get("/cockpit/departments/NOPE/cohort").status_code == 404


def test_the_demo_journal_and_playbook(client: httpx.Client) -> None:
    page = client.get("/cockpit/departments/HR/journal")
    assert page.status_code == 200
    assert "Old policy archived" in page.text and "Resolved" in page.text
    assert "No guide for part-time contracts" in page.text
    playbook = client.get("/cockpit/departments/HR/playbook")
    assert playbook.status_code == 200
    assert "Problems and their resolutions" in playbook.text
    markdown = client.get("/cockpit/departments/HR/playbook.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert 'filename="playbook-HR.md"' in markdown.headers["content-disposition"]
    text = markdown.text
    assert text.startswith("# Pilot playbook: ")
    assert "Payroll glossary" in text
    problems, open_ = text.index("## Problems and their resolutions"), text.index("## Open")
    assert problems < text.index("Old policy archived") < open_
    pdf = client.get("/cockpit/departments/HR/playbook.pdf?lang=fr")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    flat = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert "Guide du pilote" in flat and "Ancienne politique archivée" in flat


def test_journal_forms_escape_and_redirect(pilot_client: httpx.Client) -> None:
    url = f"/cockpit/departments/{PILOT}/journal"
    csrf = token(pilot_client.get(url).text)
    added = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "add",
            "category": "problem",
            "title": f"Hostile {HOSTILE}",
            "body": HOSTILE,
        },
    )
    assert added.status_code == 303 and added.headers["location"].startswith(url + "#entry-")
    entry = added.headers["location"].split("#entry-")[1]
    page = pilot_client.get(url)
    assert "<script>alert('journal')</script>" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#39;journal&#39;)&lt;/script&gt;" in page.text
    resolved = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "add",
            "category": "resolution",
            "resolves": entry,
            "title": "Sanitised the input",
        },
    )
    assert resolved.status_code == 303
    page = pilot_client.get(url)
    assert "Resolves: Hostile" in page.text and "Resolved" in page.text
    too_long = pilot_client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "add",
            "category": "training",
            "title": "Long",
            "body": "x" * 4001,
        },
    )
    assert too_long.status_code == 422 and "longer than 4000 characters" in too_long.text
    playbook = pilot_client.get(f"/cockpit/departments/{PILOT}/playbook.md").text
    assert "Sanitised the input" in playbook and "<script>" not in playbook


def test_csrf_is_required(base_url: str, pilot_admin: Browser) -> None:
    with browser_client(base_url, pilot_admin, csrf=False) as c:
        for path in ("cohort", "journal"):
            response = c.post(
                f"/cockpit/departments/{PILOT}/{path}",
                data={"action": "add", "category": "training", "title": "no token"},
            )
            assert response.status_code == 403, path
        assert "no token" not in c.get(f"/cockpit/departments/{PILOT}/journal").text


def test_a_bad_period_is_said_and_replaced(pilot_client: httpx.Client) -> None:
    page = pilot_client.get(f"/cockpit/departments/{PILOT}/cohort?start=2026-03-10&end=2026-03-01")
    assert page.status_code == 200
    assert "The period is not valid" in page.text
    # Groups under 5 people show no figures, only the reason.
    assert "hidden: fewer than 5 people" in page.text
