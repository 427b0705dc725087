"""The administration API with bearer tokens, and document downloads, with forbidden cases."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.web.conftest import RESTRICTED_COLLECTION


def _token(client: httpx.Client, name: str) -> str:
    response = client.post("/api/tokens", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@pytest.fixture
def admin_api(base_url: str, client: httpx.Client) -> Iterator[httpx.Client]:
    token = _token(client, "admin-api-test")
    with httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        yield c


@pytest.fixture
def member_api(base_url: str, member_client: httpx.Client) -> Iterator[httpx.Client]:
    token = _token(member_client, "member-api-test")
    with httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        yield c


def test_people_import_api(admin_api: httpx.Client, member_api: httpx.Client) -> None:
    body = "email,name,department\napi.person@test.example,Api Person,TST-A\nbroken,X,TST-A\n"
    files = {"file": ("people.csv", body, "text/csv")}
    done = admin_api.post("/api/people/import", files=files)
    assert done.status_code == 200, done.text
    summary = done.json()
    assert summary["created"] + summary["updated"] + summary["unchanged"] == 1
    assert len(summary["rejected"]) == 1
    assert member_api.post("/api/people/import", files=files).status_code == 403
    bad = admin_api.post("/api/people/import", files={"file": ("p.csv", "x\n1\n", "text/csv")})
    assert bad.status_code == 422


def test_collection_api_lifecycle(admin_api: httpx.Client, member_api: httpx.Client) -> None:
    made = admin_api.post("/api/collections", json={"name": "api-made", "departments": ["TST-B"]})
    assert made.status_code == 201 and made.json()["visibility"] == "departments"
    files = [("files", ("ibis.md", "# Ibis\n\nThe ibis audit closes on the 3rd.\n"))]
    uploaded = admin_api.post("/api/collections/api-made/documents", files=files)
    assert uploaded.status_code == 200 and uploaded.json()["counts"]["added"] == 1
    # The member (TST-A) cannot read it, nor manage collections.
    hidden = member_api.get("/api/search", params={"q": "ibis audit"}).json()["results"]
    assert all(r["collection"] != "api-made" for r in hidden)
    opened = admin_api.put("/api/collections/api-made/access", json={})
    assert opened.status_code == 200 and opened.json()["visibility"] == "organisation"
    seen = member_api.get("/api/search", params={"q": "ibis audit"}).json()["results"]
    assert any(r["collection"] == "api-made" for r in seen)
    assert member_api.post("/api/collections", json={"name": "nope"}).status_code == 403
    assert member_api.put("/api/collections/api-made/access", json={}).status_code == 403
    assert member_api.post("/api/collections/api-made/documents", files=files).status_code == 403
    assert admin_api.put("/api/collections/missing/access", json={}).status_code == 404
    conflict = admin_api.post(
        "/api/collections", json={"name": "x", "departments": ["TST-A"], "people": ["a@b.c"]}
    )
    assert conflict.status_code == 422


def test_downloads_follow_access(
    client: httpx.Client, member_client: httpx.Client, member_api: httpx.Client
) -> None:
    restricted = client.get(f"/api/collections/{RESTRICTED_COLLECTION}").json()["items"][0]
    doc_id = restricted["id"]
    page = client.get(f"/documents/{doc_id}/download")
    assert page.status_code == 200
    assert page.headers["content-disposition"].startswith("attachment;")
    assert page.headers["content-type"].startswith("text/plain")
    assert "Okapi" in page.text
    assert client.get(f"/api/documents/{doc_id}/download").status_code == 200
    # Not readable by the member: the same 404 as a document that does not exist.
    assert member_client.get(f"/documents/{doc_id}/download").status_code == 404
    assert member_api.get(f"/api/documents/{doc_id}/download").status_code == 404
    assert member_api.get("/api/documents/999999/download").status_code == 404
