"""A real server on a free 127.0.0.1 port, over a real database seeded with the demo.

Besides the demo, a ``test-escaping`` collection holds hostile documents (script tags, event
handler attributes, ``javascript:`` links) so pages can be checked for escaping, and a
``test-restricted`` collection is readable only by department TST-B.

Every page and API route needs a signed-in person: ``client`` is the administrator's browser
(signed in through the real sign-in form), ``member_client`` a member's of department TST-A.
The server believes forwarded headers from 127.0.0.1, so a test can pose as another client
address with ``X-Forwarded-For`` (sign-in throttling counts per address).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from essor.db import dispose_engines, write_session
from essor.demo.seed import seed_demo
from essor.governance.access import SYSTEM
from essor.governance.actions import create_collection
from essor.knowledge.actions import ingest_path
from essor.knowledge.index import reset_backends
from essor.people.auth.actions import create_admin, set_password
from essor.people.models import Department, Person
from essor.settings import Settings
from essor.web import create_app
from tests.servers import serve

HOSTILE_COLLECTION = "test-escaping"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

HOSTILE_MARKDOWN = f"""# Zanzibar quokka {SCRIPT} handbook

## Badge rules {IMG}

Every zanzibar quokka receives a badge from the quokka office {SCRIPT} on arrival.
The quokka badge photo {IMG} is taken at the zanzibar reception desk.
Read the [zanzibar quokka form](javascript:alert(1)) before the first quokka visit.
A raw link <a href="javascript:alert(1)">quokka portal</a> is also in the zanzibar text.
"""

HOSTILE_HTML = f"""<!doctype html>
<html><head><title>Wombat {SCRIPT} guide</title></head>
<body>
<h1>Wombat guide</h1>
<h2>Burrow rules</h2>
<p>Every wombat burrow is inspected by the wombat warden each spring.</p>
<script>alert(1)</script>
<p>The wombat warden signs <img src=x onerror=alert(1)> the burrow register.</p>
<p><a href="javascript:alert(1)">wombat register</a></p>
</body></html>
"""

RECORDS = [
    {
        "id": "pangolin-js-url",
        "title": "Pangolin scale register",
        "text": "Every pangolin scale is counted twice by the pangolin registrar.",
        "url": "javascript:alert(1)",
    },
    {
        "id": "pangolin-https-url",
        "title": "Pangolin feeding rota",
        "text": "The pangolin feeding rota is published every Monday by the keeper.",
        "url": "https://intranet.essor-demo.example/pangolin-rota",
    },
]


def _write_hostile_documents(folder: Path) -> tuple[Path, Path]:
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (docs / "quokka.md").write_text(HOSTILE_MARKDOWN, encoding="utf-8")
    (docs / "wombat.html").write_text(HOSTILE_HTML, encoding="utf-8")
    jsonl = folder / "pangolins.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    return docs, jsonl


RESTRICTED_COLLECTION = "test-restricted"
RESTRICTED_MARKDOWN = """# Okapi ledger

## Okapi budget

The okapi ledger records every okapi expense approved by the okapi committee.
"""


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    name: str


ADMIN = Account("admin@test.example", "admin-password-1234", "Ada Admin")
MEMBER = Account("member@test.example", "member-password-1234", "Max Member")
OUTSIDER = Account("outsider@test.example", "outsider-password-12", "Olga Outsider")


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("essor-web-data")
    return Settings(
        data_dir=data_dir,
        environment="test",
        trusted_proxies="127.0.0.1",
        _env_file=None,
    )


def add_person(
    settings: Settings, account: Account, department: str | None, *, status: str = "active"
) -> None:
    """A person of the directory with a password (no role)."""
    with write_session(settings) as session:
        dept = None
        if department:
            dept = session.scalars(
                select(Department).where(Department.code == department)
            ).one_or_none()
            if dept is None:
                dept = Department(code=department, name=department)
                session.add(dept)
                session.flush()
        person = Person(
            email=account.email,
            name=account.name,
            department_id=dept.id if dept else None,
            status=status,
        )
        session.add(person)
        session.flush()
        set_password(session, person, account.password, actor=SYSTEM)


@pytest.fixture(scope="session")
def seeded(web_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    summary = seed_demo(web_settings)
    assert summary["errors"] == []
    docs, jsonl = _write_hostile_documents(tmp_path_factory.mktemp("hostile"))
    for path in (docs, jsonl):
        result = ingest_path(path, HOSTILE_COLLECTION, settings=web_settings)
        assert result.errors == [], result.as_dict()
    add_person(web_settings, MEMBER, "TST-A")
    add_person(web_settings, OUTSIDER, "TST-B")
    with write_session(web_settings) as session:
        create_admin(session, ADMIN.email, password=ADMIN.password, actor=SYSTEM, name=ADMIN.name)
        create_collection(session, RESTRICTED_COLLECTION, actor=SYSTEM, departments=["TST-B"])
    restricted = tmp_path_factory.mktemp("restricted")
    (restricted / "okapi.md").write_text(RESTRICTED_MARKDOWN, encoding="utf-8")
    result = ingest_path(restricted, RESTRICTED_COLLECTION, settings=web_settings)
    assert result.errors == [], result.as_dict()
    return summary


@pytest.fixture(scope="session")
def app(web_settings: Settings) -> FastAPI:
    return create_app(web_settings)


@pytest.fixture(scope="session")
def base_url(app: FastAPI, seeded: dict[str, object]) -> Iterator[str]:
    with serve(app) as url:
        yield url
    dispose_engines()
    reset_backends()


SIGNIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(
    client: httpx.Client,
    email: str,
    password: str,
    *,
    next_path: str = "/",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Sign in through the form, as a browser does: GET it (cookie + token), then POST it."""
    form = client.get("/signin", headers=headers)
    assert form.status_code == 200, form.text
    match = SIGNIN_TOKEN.search(form.text)
    assert match is not None
    return client.post(
        "/signin",
        data={
            "csrf_token": match.group(1),
            "email": email,
            "password": password,
            "next": next_path,
        },
        headers=headers,
    )


@dataclass(frozen=True)
class Browser:
    """A signed-in session: the cookie and the CSRF token that goes with it."""

    session: str
    csrf: str


def open_session(base_url: str, account: Account) -> Browser:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        response = sign_in(c, account.email, account.password)
        assert response.status_code == 303, response.text
        session = c.cookies["essor_session"]
        csrf = c.get("/api/me").json()["csrf_token"]
    return Browser(session, csrf)


@pytest.fixture(scope="session")
def admin_browser(base_url: str) -> Browser:
    return open_session(base_url, ADMIN)


@pytest.fixture(scope="session")
def member_browser(base_url: str) -> Browser:
    return open_session(base_url, MEMBER)


def browser_client(base_url: str, browser: Browser, *, csrf: bool = True) -> httpx.Client:
    """A client with the session cookie and, unless ``csrf`` is False, the CSRF header a
    page script would send (so JSON POSTs pass the CSRF check)."""
    headers = {"X-CSRF-Token": browser.csrf} if csrf else {}
    return httpx.Client(
        base_url=base_url,
        timeout=30,
        cookies={"essor_session": browser.session},
        headers=headers,
    )


@pytest.fixture
def client(base_url: str, admin_browser: Browser) -> Iterator[httpx.Client]:
    """The administrator's browser (an administrator reads every collection)."""
    with browser_client(base_url, admin_browser) as c:
        yield c


@pytest.fixture
def member_client(base_url: str, member_browser: Browser) -> Iterator[httpx.Client]:
    with browser_client(base_url, member_browser) as c:
        yield c


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c
