"""Administration pages over HTTP: people import, collections (upload, access, ingest
errors), roles, audit log; and the forbidden cases for a member."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.web.conftest import MEMBER

ADMIN_GETS = [
    "/admin",
    "/admin/people",
    "/admin/departments",
    "/admin/collections",
    "/admin/collections/hr",
    "/admin/roles",
    "/admin/users",
    "/admin/audit",
    "/admin/audit.csv",
]


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_members_cannot_open_admin_pages(member_client: httpx.Client, path: str) -> None:
    assert member_client.get(path).status_code == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/collections", {"name": "member-made"}),
        ("/admin/collections/hr/access", {"visibility": "organisation"}),
        ("/admin/roles", {"email": MEMBER.email, "role": "administrator"}),
    ],
)
def test_members_cannot_change_anything(
    member_client: httpx.Client, path: str, data: dict[str, str]
) -> None:
    assert member_client.post(path, data=data).status_code == 403


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_admin_pages_open_for_the_administrator(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]


def test_people_import_shows_its_summary(client: httpx.Client) -> None:
    body = (
        "email,name,department,job_title,manager_email,status,start_date\n"
        "new.hire@test.example,New Hire,TST-A,Analyst,,active,2026-01-05\n"
        "bad-date@test.example,Bad Date,TST-A,Analyst,,active,05/01/2026\n"
        ",No Email,TST-A,,,,\n"
    )
    response = client.post("/admin/people/import", files={"file": ("people.csv", body, "text/csv")})
    assert response.status_code == 200
    assert 'data-testid="import-summary"' in response.text
    assert "bad-date@test.example" in response.text  # its rejection is listed with the reason
    listing = client.get("/admin/people", params={"department": "TST-A"})
    assert "new.hire@test.example" in listing.text
    broken = client.post(
        "/admin/people/import", files={"file": ("people.csv", "name\nX\n", "text/csv")}
    )
    assert broken.status_code == 422 and "email" in broken.text


def test_collection_upload_access_and_errors(
    client: httpx.Client, member_client: httpx.Client
) -> None:
    made = client.post(
        "/admin/collections",
        data={"name": "uploads-test", "description": "t", "visibility": "organisation"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    files = [
        ("files", ("../../escape-attempt.md", "# Narwhal\n\nThe narwhal rota is on Fridays.\n")),
        ("files", ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50)),
    ]
    uploaded = client.post(
        "/admin/collections/uploads-test/upload",
        files=files,
        headers={"Accept": "application/json"},
    )
    assert uploaded.status_code == 200, uploaded.text
    result = uploaded.json()
    assert result["files"] == ["escape-attempt.md", "picture.png"]  # no path, ever
    assert result["counts"]["added"] == 1 and len(result["errors"]) == 1
    page = client.get("/admin/collections/uploads-test")
    assert "picture.png" in page.text and "unsupported" in page.text  # the ingest error

    found = member_client.get("/api/search", params={"q": "narwhal rota"}).json()
    assert any(r["collection"] == "uploads-test" for r in found["results"])
    restricted = client.post(
        "/admin/collections/uploads-test/access",
        data={"visibility": "departments", "departments": ["TST-B"]},
        follow_redirects=False,
    )
    assert restricted.status_code == 303
    hidden = member_client.get("/api/search", params={"q": "narwhal rota"}).json()
    assert all(r["collection"] != "uploads-test" for r in hidden["results"])

    unknown = client.post(
        "/admin/collections/uploads-test/access",
        data={"visibility": "departments", "departments": ["NOPE"]},
    )
    assert unknown.status_code == 422 and "NOPE" in unknown.text


def test_roles_and_audit_export(client: httpx.Client) -> None:
    granted = client.post(
        "/admin/roles",
        data={"email": MEMBER.email, "role": "champion", "department": "TST-A"},
        follow_redirects=False,
    )
    assert granted.status_code == 303
    assert MEMBER.email in client.get("/admin/roles").text
    missing = client.post("/admin/roles", data={"email": MEMBER.email, "role": "champion"})
    assert missing.status_code == 422  # a champion belongs to a department
    revoked = client.post(
        "/admin/roles",
        data={"email": MEMBER.email, "role": "champion", "action": "revoke"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303

    export = client.get("/admin/audit.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][:4] == ["id", "at", "actor", "action"]
    actions = {r[3] for r in rows[1:]}
    assert {"role.grant", "role.revoke", "collection.create", "collection.access"} <= actions
    assert all(not r[7].startswith(("=", "+", "-", "@")) for r in rows[1:])


def test_denied_accesses_are_audited(client: httpx.Client, member_client: httpx.Client) -> None:
    from tests.web.conftest import RESTRICTED_COLLECTION

    assert member_client.get("/admin/audit").status_code == 403
    doc_id = client.get(f"/api/collections/{RESTRICTED_COLLECTION}").json()["items"][0]["id"]
    assert member_client.get(f"/documents/{doc_id}").status_code == 404
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").text)))
    denied = [(r[2], r[3], r[5]) for r in rows[1:] if r[6] == "denied"]
    assert (MEMBER.email, "admin.page", "/admin/audit") in denied
    assert (MEMBER.email, "document.read", str(doc_id)) in denied


def test_users_page_disables_and_enables(client: httpx.Client, base_url: str) -> None:
    from tests.web.conftest import OUTSIDER, sign_in

    page = client.get("/admin/users")
    assert page.status_code == 200 and OUTSIDER.email in page.text
    with httpx.Client(base_url=base_url, timeout=30) as outsider:
        assert sign_in(outsider, OUTSIDER.email, OUTSIDER.password).status_code == 303
        assert outsider.get("/").status_code == 200
        off = client.post(f"/admin/users/{OUTSIDER.email}/disable", follow_redirects=False)
        assert off.status_code == 303
        # The open session ends at once.
        assert outsider.get("/", follow_redirects=False).status_code == 303
    on = client.post(f"/admin/users/{OUTSIDER.email}/enable", follow_redirects=False)
    assert on.status_code == 303
    with httpx.Client(base_url=base_url, timeout=30) as outsider:
        assert sign_in(outsider, OUTSIDER.email, OUTSIDER.password).status_code == 303
    me = client.get("/api/me").json()["email"]
    assert client.post(f"/admin/users/{me}/disable").status_code == 422
