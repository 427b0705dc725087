"""Readiness evidence files over HTTP, through the real server: upload through the item's
multipart form (the CSRF token read from the page, as a browser sends it), download with
the headers that keep a file from running as a page, removal, and the refusals: a member
and another department's admin (403, audited), a missing CSRF token, an over-limit file
(413 with the reason on the page) and a file of a refused type.

Departments EVD-A and EVD-B are this module's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from essor.db import read_session
from essor.governance.models import AuditEvent
from essor.rollout.evidence import EvidenceFile, evidence_dir
from essor.settings import Settings
from tests.web.conftest import MEMBER, Account, Browser, browser_client, open_session
from tests.web.test_cockpit import LEAD, VIEWER, ensure_account

OWN = "EVD-A"
OTHER = "EVD-B"
OWN_ADMIN = Account("evd-admin@test.example", "evd-admin-password-123", "Eve Evidence")
OTHER_ADMIN = Account("evd-other@test.example", "evd-other-password-123", "Otto Other")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def accounts(base_url: str, web_settings: Settings) -> dict[str, Browser]:
    ensure_account(web_settings, LEAD, None, "programme_lead")
    ensure_account(web_settings, VIEWER, None, "executive_viewer")
    ensure_account(web_settings, OWN_ADMIN, OWN, "department_admin", OWN)
    ensure_account(web_settings, OTHER_ADMIN, OTHER, "department_admin", OTHER)
    return {
        "own": open_session(base_url, OWN_ADMIN),
        "other": open_session(base_url, OTHER_ADMIN),
        "lead": open_session(base_url, LEAD),
        "viewer": open_session(base_url, VIEWER),
    }


@pytest.fixture
def form_browser(base_url: str, accounts: dict[str, Browser]) -> Iterator[httpx.Client]:
    """The department admin's browser without the CSRF header: forms must carry the token."""
    with browser_client(base_url, accounts["own"], csrf=False) as c:
        yield c


def client_of(base_url: str, browser: Browser) -> httpx.Client:
    return browser_client(base_url, browser)


def upload_form(page: str, key: str) -> tuple[str, str]:
    """The action and CSRF token of item ``key``'s upload form on the department page."""
    match = re.search(
        rf'<form class="stack-form evidence-upload" method="post" '
        rf'enctype="multipart/form-data" action="([^"]+)" data-file-form="{re.escape(key)}">'
        r'\s*<input type="hidden" name="csrf_token" value="([^"]+)">',
        page,
    )
    assert match is not None, f"no upload form for {key}"
    return match.group(1), match.group(2)


def upload(
    c: httpx.Client, key: str, name: str, data: bytes, content_type: str = "application/pdf"
) -> httpx.Response:
    page = c.get(f"/cockpit/departments/{OWN}")
    assert page.status_code == 200, page.text[:300]
    action, token = upload_form(page.text, key)
    return c.post(action, data={"csrf_token": token}, files={"file": (name, data, content_type)})


def file_count(settings: Settings) -> int:
    with read_session(settings) as session:
        return session.scalar(select(func.count(EvidenceFile.id))) or 0


def denied(settings: Settings, email: str, action: str, object_id: str) -> int:
    with read_session(settings) as session:
        return (
            session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.actor_email == email,
                    AuditEvent.action == action,
                    AuditEvent.object_id == object_id,
                    AuditEvent.outcome == "denied",
                )
            )
            or 0
        )


def latest_id(settings: Settings, filename: str) -> int:
    with read_session(settings) as session:
        found = session.scalar(
            select(EvidenceFile.id)
            .where(EvidenceFile.filename == filename)
            .order_by(EvidenceFile.id.desc())
        )
    assert found is not None, filename
    return found


def test_upload_through_the_form_then_download(
    form_browser: httpx.Client, base_url: str, accounts: dict[str, Browser], web_settings: Settings
) -> None:
    name = "Budget résumé.pdf"
    response = upload(form_browser, "budget_model", name, PDF)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == (
        f"/cockpit/departments/{OWN}?saved=file-budget_model#item-budget_model"
    )
    file_id = latest_id(web_settings, name)
    page = form_browser.get(response.headers["location"]).text
    item = page.split('id="item-budget_model"')[1].split("</tr>")[0]
    assert f'<a href="/cockpit/files/{file_id}" download>{name}</a>' in item
    assert f"{len(PDF)} bytes" in item and OWN_ADMIN.email in item
    assert f'action="/cockpit/files/{file_id}/delete"' in item
    # Stored under a random name, never the client's.
    with read_session(web_settings) as session:
        row = session.get(EvidenceFile, file_id)
        assert row is not None
        stored = evidence_dir(web_settings) / row.stored_name
    assert stored.read_bytes() == PDF and "sum" not in stored.name

    for who in ("own", "lead", "viewer"):
        with client_of(base_url, accounts[who]) as c:
            download = c.get(f"/cockpit/files/{file_id}")
        assert download.status_code == 200, who
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''Budget%20r%C3%A9sum%C3%A9.pdf" in disposition
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"] == "sandbox"


def test_a_text_file_is_served_as_text_in_a_sandbox(
    form_browser: httpx.Client, web_settings: Settings
) -> None:
    hostile = b"<html><script>alert(1)</script></html>\n"
    response = upload(form_browser, "training_approach", "report; x='1'.txt", hostile, "text/html")
    assert response.status_code == 303, response.text[:500]
    file_id = latest_id(web_settings, "report; x='1'.txt")
    download = form_browser.get(f"/cockpit/files/{file_id}")
    assert download.status_code == 200 and download.content == hostile
    # The stored type comes from the extension, not from what the client claimed.
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-security-policy"] == "sandbox"
    disposition = download.headers["content-disposition"]
    assert "filename=\"report_ x='1'.txt\"" in disposition
    assert "filename*=UTF-8''report%3B%20x%3D%271%27.txt" in disposition
    page = form_browser.get(f"/cockpit/departments/{OWN}").text
    assert "report; x=&#39;1&#39;.txt" in page


def test_member_and_another_departments_admin_are_refused(
    form_browser: httpx.Client,
    member_client: httpx.Client,
    base_url: str,
    accounts: dict[str, Browser],
    web_settings: Settings,
) -> None:
    assert upload(form_browser, "success_metrics", "metrics.pdf", PDF).status_code == 303
    file_id = latest_id(web_settings, "metrics.pdf")
    object_id = str(file_id)

    before = denied(web_settings, MEMBER.email, "rollout.evidence.read", object_id)
    assert member_client.get(f"/cockpit/files/{file_id}").status_code == 403
    assert denied(web_settings, MEMBER.email, "rollout.evidence.read", object_id) == before + 1

    with client_of(base_url, accounts["other"]) as other:
        before = denied(web_settings, OTHER_ADMIN.email, "rollout.evidence.read", object_id)
        refused = other.get(f"/cockpit/files/{file_id}")
        assert refused.status_code == 403 and PDF not in refused.content
        assert (
            denied(web_settings, OTHER_ADMIN.email, "rollout.evidence.read", object_id)
            == before + 1
        )
        # Nor may they add a file to this department or remove one from it.
        target = f"{OWN}/success_metrics"
        before_attach = denied(web_settings, OTHER_ADMIN.email, "rollout.evidence.attach", target)
        added = other.post(
            f"/cockpit/departments/{OWN}/items/success_metrics/files",
            files={"file": ("intruder.pdf", PDF, "application/pdf")},
        )
        assert added.status_code == 403
        after_attach = denied(web_settings, OTHER_ADMIN.email, "rollout.evidence.attach", target)
        assert after_attach == before_attach + 1
        removed = other.post(f"/cockpit/files/{file_id}/delete")
        assert removed.status_code == 403
    assert form_browser.get(f"/cockpit/files/{file_id}").content == PDF
    with read_session(web_settings) as session:
        assert (
            session.scalar(
                select(func.count(EvidenceFile.id)).where(EvidenceFile.filename == "intruder.pdf")
            )
            == 0
        )
    assert member_client.get("/cockpit/files/999999").status_code == 404


def test_upload_without_the_csrf_token_is_refused(
    form_browser: httpx.Client, web_settings: Settings
) -> None:
    before = file_count(web_settings)
    action = f"/cockpit/departments/{OWN}/items/budget_model/files"
    bare = form_browser.post(action, files={"file": ("no-token.pdf", PDF, "application/pdf")})
    assert bare.status_code == 403
    forged = form_browser.post(
        action,
        data={"csrf_token": "forged"},
        files={"file": ("forged.pdf", PDF, "application/pdf")},
    )
    assert forged.status_code == 403
    assert file_count(web_settings) == before
    page = form_browser.get(f"/cockpit/departments/{OWN}").text
    assert "no-token.pdf" not in page and "forged.pdf" not in page
    # Removing takes the token too.
    assert upload(form_browser, "budget_model", "kept.pdf", PDF).status_code == 303
    file_id = latest_id(web_settings, "kept.pdf")
    assert form_browser.post(f"/cockpit/files/{file_id}/delete").status_code == 403
    assert form_browser.get(f"/cockpit/files/{file_id}").status_code == 200


def test_over_limit_and_refused_types_show_the_reason(
    form_browser: httpx.Client, web_settings: Settings
) -> None:
    before = file_count(web_settings)
    limit = web_settings.evidence_max_bytes
    assert limit == 10 * 1024 * 1024
    # One byte over: parsed, then refused while it is streamed to disk.
    just_over = upload(form_browser, "budget_model", "big.pdf", PDF + b"0" * (limit - len(PDF) + 1))
    assert just_over.status_code == 413
    assert "The file was not uploaded: evidence files are limited to 10 MB." in just_over.text
    assert 'role="alert" data-testid="form-error"' in just_over.text
    # Far over: refused from its declared length, before the form is parsed.
    far_over = upload(form_browser, "budget_model", "bigger.pdf", PDF + b"0" * (limit + 200_000))
    assert far_over.status_code == 413
    assert "evidence files are limited to 10 MB" in far_over.text
    wrong = upload(form_browser, "budget_model", "page.html", b"<p>hi</p>", "text/html")
    assert wrong.status_code == 422 and "files of this type are not accepted" in wrong.text
    fake = upload(form_browser, "budget_model", "fake.pdf", b"MZ\x90\x00 not a pdf")
    assert fake.status_code == 422 and "content is not that of a .pdf file" in fake.text
    empty = upload(form_browser, "budget_model", "empty.pdf", b"")
    assert empty.status_code == 422 and "the file is empty" in empty.text
    assert file_count(web_settings) == before
    leftovers = [p for p in evidence_dir(web_settings).iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_remove_through_the_form(form_browser: httpx.Client, web_settings: Settings) -> None:
    sent = upload(form_browser, "executive_sponsorship", "sponsor-letter.pdf", PDF)
    assert sent.status_code == 303
    file_id = latest_id(web_settings, "sponsor-letter.pdf")
    with read_session(web_settings) as session:
        row = session.get(EvidenceFile, file_id)
        assert row is not None
        stored = evidence_dir(web_settings) / row.stored_name
    assert stored.exists()
    page = form_browser.get(f"/cockpit/departments/{OWN}").text
    match = re.search(
        rf'action="/cockpit/files/{file_id}/delete">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">',
        page,
    )
    assert match is not None
    removed = form_browser.post(
        f"/cockpit/files/{file_id}/delete", data={"csrf_token": match.group(1)}
    )
    assert removed.status_code == 303
    location = removed.headers["location"]
    assert location.endswith("saved=file-executive_sponsorship#item-executive_sponsorship")
    assert form_browser.get(f"/cockpit/files/{file_id}").status_code == 404
    assert "sponsor-letter.pdf" not in form_browser.get(f"/cockpit/departments/{OWN}").text
    assert not stored.exists()


def test_french_upload_form(form_browser: httpx.Client) -> None:
    page = form_browser.get(f"/cockpit/departments/{OWN}", params={"lang": "fr"}).text
    assert "Joindre un fichier de preuve" in page and "10 Mo au plus" in page
