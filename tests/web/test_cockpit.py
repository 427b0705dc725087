"""The rollout cockpit over HTTP: the programme lead's overview, a department admin's own
department (and the refusals, audited, for another one), forms that move a stage, edit and
add checklist items, name support owners and manage waves; CSRF and escaping.

Departments CKP-A and CKP-B are made for these tests (the demo's are left to other tests,
except for reading them): CKP-A starts planned, with no champion, no workflow and no
content-support owner, so every default item is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.governance.actions import grant_role
from essor.governance.models import AuditEvent
from essor.people.models import Department, Person
from essor.rollout.actions import set_targets
from essor.rollout.queries import overview
from essor.settings import Settings
from tests.web.conftest import (
    IMG,
    MEMBER,
    SCRIPT,
    Account,
    Browser,
    add_person,
    browser_client,
    open_session,
)

LEAD = Account("cockpit-lead@test.example", "cockpit-lead-password-1", "Lena Lead")
DEPT_ADMIN = Account("cockpit-dadmin@test.example", "cockpit-dadmin-password", "Dora Deptadmin")
VIEWER = Account("cockpit-viewer@test.example", "cockpit-viewer-password", "Vic Viewer")
OWN = "CKP-A"
OTHER = "CKP-B"


def ensure_account(
    settings: Settings,
    account: Account,
    department: str | None,
    role: str,
    role_department: str | None = None,
) -> None:
    """A person with a password and one role; idempotent (the server and its database live
    for the whole test session, shared with the browser tests)."""
    with read_session(settings) as session:
        exists = session.scalar(select(Person.id).where(Person.email == account.email))
    if exists is None:
        add_person(settings, account, department)
        if role != "member":
            with write_session(settings) as session:
                grant_role(session, account.email, role, actor=SYSTEM, department=role_department)


@pytest.fixture(scope="module")
def accounts(base_url: str, web_settings: Settings) -> dict[str, Browser]:
    ensure_account(web_settings, LEAD, None, "programme_lead")
    ensure_account(web_settings, DEPT_ADMIN, OWN, "department_admin", OWN)
    ensure_account(web_settings, VIEWER, None, "executive_viewer")
    ensure_account(
        web_settings, Account("ckp-b@test.example", "ckp-b-password-1234", "B"), OTHER, "member"
    )
    return {
        "lead": open_session(base_url, LEAD),
        "dept_admin": open_session(base_url, DEPT_ADMIN),
        "viewer": open_session(base_url, VIEWER),
    }


@pytest.fixture
def lead(base_url: str, accounts: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, accounts["lead"]) as c:
        c.follow_redirects = True  # forms answer 303 to the page, as a browser follows
        yield c


@pytest.fixture
def dept_admin(base_url: str, accounts: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, accounts["dept_admin"]) as c:
        c.follow_redirects = True  # forms answer 303 to the page, as a browser follows
        yield c


@pytest.fixture
def viewer(base_url: str, accounts: dict[str, Browser]) -> Iterator[httpx.Client]:
    with browser_client(base_url, accounts["viewer"]) as c:
        c.follow_redirects = True  # forms answer 303 to the page, as a browser follows
        yield c


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-department="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert match is not None, f"no row for {code}"
    return match.group(1)


def _item(html: str, key: str) -> str:
    match = re.search(rf'<tr id="item-{re.escape(key)}" data-item="[^"]+">(.*?)</tr>', html, re.S)
    assert match is not None, f"no checklist item {key}"
    return match.group(1)


def _status(html: str, key: str) -> str:
    match = re.search(r'data-testid="item-status">([^<]+)<', _item(html, key))
    assert match is not None
    return match.group(1)


def _denied(settings: Settings, email: str, action: str, object_id: str) -> int:
    with read_session(settings) as session:
        rows = session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.actor_email == email,
                AuditEvent.action == action,
                AuditEvent.object_id == object_id,
                AuditEvent.outcome == "denied",
            )
        ).all()
    return len(rows)


# -- who sees what -------------------------------------------------------------------------
def test_programme_lead_sees_every_department(lead: httpx.Client, web_settings: Settings) -> None:
    page = lead.get("/cockpit")
    assert page.status_code == 200, page.text[:300]
    assert '<a href="/cockpit"' in page.text  # the nav link
    with read_session(web_settings) as session:
        codes = set(session.scalars(select(Department.code)))
        expected = {r.code: r for r in overview(session, web_settings, reader=SYSTEM)}
    assert {"IT", "CS", "HR", OWN, OTHER} <= codes
    for code in codes:
        row = _row(page.text, code)
        want = expected[code]
        assert f"{want.done}/{want.total} items done" in row
    # The demo organisation mid-rollout.
    assert "Adopted" in _row(page.text, "IT")
    assert "Rolling out" in _row(page.text, "CS")
    assert "Pilot" in _row(page.text, "HR")
    # CKP-A: seven items, none done, no champion, content support missing.
    own = _row(page.text, OWN)
    assert "Planned" in own and "0/7 items done (0%)" in own
    assert "No champion" in own and "Content management" in own
    assert "Wave 1" in page.text and "Not in a wave" in page.text


def test_cockpit_filters_by_wave(lead: httpx.Client) -> None:
    page = lead.get("/cockpit", params={"wave": "Vague 1 · Wave 1"})
    assert page.status_code == 200
    assert 'data-department="IT"' in page.text and 'data-department="CS"' in page.text
    assert 'data-department="HR"' not in page.text
    nowhere = lead.get("/cockpit", params={"wave": "-"})
    assert f'data-department="{OWN}"' in nowhere.text and 'data-department="IT"' not in nowhere.text


def test_cockpit_in_french(lead: httpx.Client) -> None:
    page = lead.get("/cockpit", params={"lang": "fr"})
    assert page.status_code == 200
    assert "Pilotage du déploiement" in page.text
    assert "0/7 points faits (0\u202f%)" in _row(page.text, OWN)
    assert "Adopté" in _row(page.text, "IT")
    dept = lead.get(f"/cockpit/departments/{OWN}", params={"lang": "fr"})
    assert "Liste de préparation" in dept.text and "étape « Pilote »" in dept.text


def test_api_twin_lists_what_the_reader_may_see(
    lead: httpx.Client, dept_admin: httpx.Client
) -> None:
    everything = lead.get("/api/rollout").json()["departments"]
    assert {"IT", OWN, OTHER} <= {d["code"] for d in everything}
    own = dept_admin.get("/api/rollout").json()["departments"]
    assert [d["code"] for d in own] == [OWN]
    assert own[0]["readiness"]["total"] >= 7


def test_department_admin_is_sent_to_their_department(dept_admin: httpx.Client) -> None:
    response = dept_admin.get("/cockpit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cockpit/departments/{OWN}"
    page = dept_admin.get(f"/cockpit/departments/{OWN}")
    assert page.status_code == 200
    assert '<a href="/cockpit"' in page.text  # the nav link
    assert "Readiness checklist" in page.text and f"/cockpit/departments/{OWN}/journal" in page.text
    support = dept_admin.get("/cockpit/support")
    assert support.status_code == 200
    assert f"/cockpit/departments/{OWN}#support" in support.text
    assert "/cockpit/departments/HR#support" not in support.text
    assert 'action="/cockpit/support"' not in support.text  # organisation-wide: not theirs
    waves = dept_admin.get("/cockpit/waves")
    assert waves.status_code == 200
    options = re.findall(r'<option value="([^"]*)">', waves.text.split('id="assign-department"')[1])
    assert options[0] == OWN and "HR" not in options
    assert 'action="/cockpit/waves"' not in waves.text  # creating waves is not theirs


def test_department_admin_cannot_see_or_change_another_department(
    dept_admin: httpx.Client, web_settings: Settings, lead: httpx.Client
) -> None:
    before = _denied(web_settings, DEPT_ADMIN.email, "rollout.read", "HR")
    assert dept_admin.get("/cockpit/departments/HR").status_code == 403
    assert _denied(web_settings, DEPT_ADMIN.email, "rollout.read", "HR") == before + 1

    hr_before = lead.get("/cockpit/departments/HR").text
    before_item = _denied(web_settings, DEPT_ADMIN.email, "rollout.item", "HR/budget_model")
    response = dept_admin.post(
        "/cockpit/departments/HR/items/budget_model",
        data={"status": "not_applicable", "evidence": "changed by another department"},
    )
    assert response.status_code == 403
    posted = _denied(web_settings, DEPT_ADMIN.email, "rollout.item", "HR/budget_model")
    assert posted == before_item + 1
    moved = dept_admin.post("/cockpit/departments/HR/stage", data={"reason": "mine now"})
    assert moved.status_code == 403
    assert _denied(web_settings, DEPT_ADMIN.email, "rollout.advance", "HR") >= 1
    hr_after = lead.get("/cockpit/departments/HR").text
    assert _status(hr_after, "budget_model") == _status(hr_before, "budget_model")
    assert "changed by another department" not in hr_after
    # Organisation-wide settings are the programme lead's.
    assert dept_admin.post("/cockpit/waves", data={"name": "Dora's wave"}).status_code == 403
    assert dept_admin.get("/cockpit/departments/NO-SUCH").status_code == 404


def test_member_is_refused(member_client: httpx.Client, web_settings: Settings) -> None:
    home = member_client.get("/")
    assert '<a href="/cockpit"' not in home.text
    before = _denied(web_settings, MEMBER.email, "rollout.read", "TST-A")
    for path in ("/cockpit", "/cockpit/waves", "/cockpit/support", "/cockpit/departments/TST-A"):
        assert member_client.get(path).status_code == 403, path
    assert member_client.get("/api/rollout").status_code == 403
    assert _denied(web_settings, MEMBER.email, "rollout.read", "TST-A") == before + 1
    refused = member_client.post("/cockpit/departments/TST-A/stage", data={"reason": "go"})
    assert refused.status_code == 403


def test_executive_viewer_reads_without_forms(viewer: httpx.Client) -> None:
    page = viewer.get("/cockpit")
    assert page.status_code == 200 and 'data-department="IT"' in page.text
    dept = viewer.get("/cockpit/departments/IT")
    assert dept.status_code == 200
    assert "but not change it" in dept.text
    assert 'action="/cockpit/departments/IT/stage"' not in dept.text
    assert viewer.post("/cockpit/departments/IT/stage", data={"reason": "x"}).status_code == 403


# -- stage moves ---------------------------------------------------------------------------
def test_stage_move_needs_a_reason_while_items_are_open(dept_admin: httpx.Client) -> None:
    page = dept_admin.get(f"/cockpit/departments/{OWN}")
    assert 'data-testid="stage"><span class="stage stage-planned">' in page.text
    refused = dept_admin.post(f"/cockpit/departments/{OWN}/stage", data={"to": "pilot"})
    assert refused.status_code == 422
    assert "The department was not moved" in refused.text
    assert 'role="alert" data-testid="form-error"' in refused.text
    assert "Champions identified" in refused.text  # the open items are listed
    assert "stage-planned" in dept_admin.get(f"/cockpit/departments/{OWN}").text

    reason = "Board agreed to pilot before the budget review"
    moved = dept_admin.post(
        f"/cockpit/departments/{OWN}/stage",
        data={"to": "pilot", "reason": reason},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text[:300]
    page = dept_admin.get(moved.headers["location"])
    assert 'data-testid="stage"><span class="stage stage-pilot">' in page.text
    history = page.text.split('data-testid="history"')[1].split("</table>")[0]
    assert reason in history and DEPT_ADMIN.email in history
    assert "Planned → Pilot" in history and "Champions identified" in history
    # A stale form (it still shows "pilot") cannot move the department twice.
    stale = dept_admin.post(
        f"/cockpit/departments/{OWN}/stage", data={"to": "pilot", "reason": reason}
    )
    assert stale.status_code == 422 and "can only move to rolling_out" in stale.text


# -- checklist -----------------------------------------------------------------------------
def test_checklist_item_edit_persists_and_readiness_follows(
    dept_admin: httpx.Client, lead: httpx.Client
) -> None:
    saved = dept_admin.post(
        f"/cockpit/departments/{OWN}/items/budget_model",
        data={
            "status": "done",
            "owner": LEAD.email,
            "evidence": "Budget approved for 40 seats",
            "evidence_url": "https://intranet.example/budget",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = dept_admin.get(f"/cockpit/departments/{OWN}").text
    item = _item(page, "budget_model")
    assert _status(page, "budget_model") == "Done"
    assert LEAD.email in item and "Budget approved for 40 seats" in item
    assert 'href="https://intranet.example/budget"' in item
    dropped = dept_admin.post(
        f"/cockpit/departments/{OWN}/items/training_approach",
        data={"status": "not_applicable", "owner": "", "evidence": ""},
    )
    assert dropped.status_code == 200  # followed the redirect
    # 1 done of 7, one not applicable: 1/6 = 17 %.
    assert "1/6 items done (17%)" in _row(lead.get("/cockpit").text, OWN)


def test_computed_items_cannot_be_ticked(dept_admin: httpx.Client) -> None:
    refused = dept_admin.post(
        f"/cockpit/departments/{OWN}/items/champions", data={"status": "done"}
    )
    assert refused.status_code == 422
    assert "checked from the data" in refused.text
    page = dept_admin.get(f"/cockpit/departments/{OWN}").text
    assert _status(page, "champions") == "Open"
    assert "Nobody holds the champion role" in _item(page, "champions")
    assert 'id="status-champions"' not in page  # no status field offered
    # Owner and evidence are taken.
    ok = dept_admin.post(
        f"/cockpit/departments/{OWN}/items/champions",
        data={"owner": DEPT_ADMIN.email, "evidence": "Asking for volunteers"},
    )
    assert ok.status_code == 200
    assert "Asking for volunteers" in _item(ok.text, "champions")
    assert _status(ok.text, "champions") == "Open"


def test_support_owner_turns_the_computed_item_done(
    dept_admin: httpx.Client, lead: httpx.Client
) -> None:
    page = dept_admin.get(f"/cockpit/departments/{OWN}").text
    assert _status(page, "support_model") == "Open"
    assert "Content management" in _item(page, "support_model")
    bad = dept_admin.post(
        f"/cockpit/departments/{OWN}/support",
        data={"area": "content", "owner": "nobody@test.example", "weekly_hours": "2"},
    )
    assert bad.status_code == 422 and "unknown person" in bad.text
    done = dept_admin.post(
        f"/cockpit/departments/{OWN}/support",
        data={"area": "content", "owner": DEPT_ADMIN.email, "weekly_hours": "2"},
    )
    assert done.status_code == 200
    assert _status(done.text, "support_model") == "Done"
    # CKP-A has one employed person (Dora): 2 weekly hours serve 1 person, 0.5 per hour.
    row = done.text.split('<tr data-area="content">')[1].split("</tr>")[0]
    assert DEPT_ADMIN.email in row and "<td>2.0</td>" in row and "<td>0.5</td>" in row
    assert "Every support area has an owner" in _item(done.text, "support_model")
    support = lead.get("/cockpit/support").text
    content = support.split('data-area="content"')[1].split("</section>")[0]
    assert DEPT_ADMIN.email in content
    gaps = content.split('data-testid="gaps"')[1].split("</p>")[0]
    assert OWN not in gaps and OTHER in gaps


def test_add_item_escapes_hostile_text_and_refuses_script_links(dept_admin: httpx.Client) -> None:
    title = f"Legal review {SCRIPT}"
    added = dept_admin.post(
        f"/cockpit/departments/{OWN}/items",
        data={"title": title, "evidence": f"Signed {IMG}", "evidence_url": ""},
    )
    assert added.status_code == 200
    assert SCRIPT not in added.text and IMG not in added.text
    assert "Legal review &lt;script&gt;alert(1)&lt;/script&gt;" in added.text
    assert "Signed &lt;img src=x onerror=alert(1)&gt;" in added.text
    bad = dept_admin.post(
        f"/cockpit/departments/{OWN}/items",
        data={"title": "Link test", "evidence_url": "javascript:alert(1)"},
    )
    assert bad.status_code == 422
    assert "http(s) address" in bad.text and 'href="javascript:' not in bad.text
    reason = dept_admin.post(f"/cockpit/departments/{OWN}/stage", data={"reason": SCRIPT})
    assert reason.status_code == 200 and SCRIPT not in reason.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reason.text


def test_forms_without_the_csrf_token_are_refused(
    base_url: str, accounts: dict[str, Browser], dept_admin: httpx.Client
) -> None:
    with browser_client(base_url, accounts["dept_admin"], csrf=False) as bare:
        response = bare.post(
            f"/cockpit/departments/{OWN}/items/success_metrics",
            data={"status": "done", "evidence": "no token"},
        )
        assert response.status_code == 403
        forged = bare.post(
            f"/cockpit/departments/{OWN}/items/success_metrics",
            data={"csrf_token": "forged", "status": "done"},
        )
        assert forged.status_code == 403
    page = dept_admin.get(f"/cockpit/departments/{OWN}").text
    assert _status(page, "success_metrics") == "Open" and "no token" not in page
    assert page.count('name="csrf_token"') >= 8  # every form carries it


# -- sponsor, targets, waves ---------------------------------------------------------------
def test_sponsor_targets_and_their_errors(dept_admin: httpx.Client) -> None:
    ok = dept_admin.post(
        f"/cockpit/departments/{OWN}/people",
        data={"sponsor": LEAD.email, "budget_owner": DEPT_ADMIN.email},
    )
    assert ok.status_code == 200
    assert f'value="{LEAD.email}"' in ok.text and f'value="{DEPT_ADMIN.email}"' in ok.text
    wrong = dept_admin.post(
        f"/cockpit/departments/{OWN}/targets",
        data={"pilot": "2027-06-01", "rolling_out": "2027-01-01", "adopted": ""},
    )
    assert wrong.status_code == 422 and "follow the stage order" in wrong.text
    garbled = dept_admin.post(f"/cockpit/departments/{OWN}/targets", data={"pilot": "soon"})
    assert garbled.status_code == 422 and "not a date" in garbled.text
    fine = dept_admin.post(
        f"/cockpit/departments/{OWN}/targets",
        data={"pilot": "2027-01-01", "rolling_out": "2027-06-01", "adopted": "2028-01-01"},
    )
    assert fine.status_code == 200 and 'value="2027-06-01"' in fine.text


def test_overview_shows_the_next_target_and_flags_it_when_overdue(
    lead: httpx.Client, web_settings: Settings
) -> None:
    with write_session(web_settings) as session:
        set_targets(session, OTHER, actor=SYSTEM, pilot=date(2020, 1, 6))
    row = _row(lead.get("/cockpit").text, OTHER)
    assert "Pilot: 6 January 2020" in row and "overdue" in row
    with write_session(web_settings) as session:
        set_targets(session, OTHER, actor=SYSTEM, pilot=date(2999, 1, 6))
    row = _row(lead.get("/cockpit").text, OTHER)
    assert "Pilot: 6 January 2999" in row and "overdue" not in row


def test_waves_create_edit_and_assign(lead: httpx.Client, dept_admin: httpx.Client) -> None:
    created = lead.post(
        "/cockpit/waves",
        data={"name": "Cockpit wave", "goals": "Try the cockpit", "start": "2027-02-01"},
    )
    assert created.status_code == 200 and "Cockpit wave" in created.text
    match = re.search(r'data-wave="(\d+)">\s*<h2 id="w-\d+">Cockpit wave</h2>', created.text)
    assert match is not None
    wave_id = match.group(1)
    backwards = lead.post(
        f"/cockpit/waves/{wave_id}",
        data={"name": "Cockpit wave", "start": "2027-02-01", "end": "2027-01-01"},
    )
    assert backwards.status_code == 422 and "cannot end before it starts" in backwards.text
    edited = lead.post(
        f"/cockpit/waves/{wave_id}",
        data={"name": "Cockpit wave B", "goals": "Renamed", "start": "2027-02-01"},
    )
    assert edited.status_code == 200 and "Cockpit wave B" in edited.text
    assigned = dept_admin.post(
        "/cockpit/waves/assign", data={"department": OWN, "wave": "Cockpit wave B"}
    )
    assert assigned.status_code == 200
    assert f'<a href="/cockpit/departments/{OWN}">{OWN}</a>' in assigned.text
    assert (
        dept_admin.post(
            "/cockpit/waves/assign", data={"department": OTHER, "wave": "Cockpit wave B"}
        ).status_code
        == 403
    )
    grouped = lead.get("/cockpit", params={"wave": "Cockpit wave B"}).text
    assert f'data-department="{OWN}"' in grouped and 'data-department="IT"' not in grouped


def test_links_to_the_other_rollout_pages_lead_somewhere(lead: httpx.Client) -> None:
    """The cockpit links to pages other parts of the rollout serve (cohort, journal,
    playbook, champions, stories, training coverage): none of them is a dead link."""
    page = lead.get(f"/cockpit/departments/{OWN}").text
    navs = re.findall(r'<nav class="cockpit-links".*?</nav>', page, re.S)
    links = sorted({href for nav in navs for href in re.findall(r'href="([^"]+)"', nav)})
    assert f"/cockpit/departments/{OWN}/playbook" in links and "/champions" in links
    for href in links:
        assert lead.get(href).status_code == 200, href


def test_budget_item_links_to_the_budget_for_those_who_may_see_it(
    lead: httpx.Client, dept_admin: httpx.Client
) -> None:
    page = lead.get(f"/cockpit/departments/{OWN}").text
    assert 'data-testid="budget-link"' in page
    assert lead.get("/budget").status_code == 200
    # A department admin sees the link only when they may read /budget (as a budget owner):
    # never a dead link.
    linked = 'data-testid="budget-link"' in dept_admin.get(f"/cockpit/departments/{OWN}").text
    assert dept_admin.get("/budget").status_code == (200 if linked else 403)
