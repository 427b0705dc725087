"""Sign-in, sessions, CSRF, throttling, API tokens and the trusted proxy header, through HTTP
against a real server. Each test that fails sign-ins poses as its own client address, since
throttling counts per address."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from essor.db import read_session, write_session
from essor.governance.access import SYSTEM
from essor.governance.models import AuditEvent
from essor.people.auth.actions import disable_account, enable_account
from essor.people.models import Person
from essor.settings import Settings
from essor.web import create_app
from essor.web.auth_routes import safe_next
from essor.web.cookies import session_cookie
from essor.web.i18n import STRINGS
from essor.web.security import CONTENT_SECURITY_POLICY
from tests.web.conftest import (
    ADMIN,
    MEMBER,
    OUTSIDER,
    RESTRICTED_COLLECTION,
    Account,
    Browser,
    add_person,
    browser_client,
    open_session,
    serve,
    sign_in,
)

_ips = itertools.count(1)
PUBLIC = {"/signin", "/healthz", "/api/openapi.json"}


def new_ip() -> dict[str, str]:
    """Headers posing as a fresh client address (the server trusts 127.0.0.1 as a proxy)."""
    n = next(_ips)
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


def error_text(response: httpx.Response) -> str:
    match = re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', response.text)
    assert match is not None, response.text
    return match.group(1)


def audit(settings: Settings, action: str) -> list[tuple[str, str, str, str]]:
    with read_session(settings) as s:
        rows = s.execute(
            select(
                AuditEvent.actor_email, AuditEvent.object_id, AuditEvent.outcome, AuditEvent.detail
            ).where(AuditEvent.action == action)
        ).all()
    return [(a, o, r, d) for a, o, r, d in rows]


@pytest.fixture
def person(base_url: str, web_settings: Settings) -> Iterator[Account]:
    """A member of their own, for tests that disable people or end sessions."""
    n = next(_ips)
    account = Account(f"temp{n}@test.example", "temporary-password-1", f"Temp {n}")
    add_person(web_settings, account, "TST-A")
    yield account


# --- every route needs an identity ---------------------------------------------------------


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, sample path) of every route the app serves, included routers flattened."""
    # FastAPI >= 0.16x keeps included routers nested in app.routes and flattens them here.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: Iterable[Any] = flatten(app.routes) if flatten else app.routes
    found: list[tuple[str, str]] = []
    for route in routes:
        if route.path == "/static":
            continue  # static files, public by design
        assert route.methods, route.path
        found.extend((m, _sample_path(route.path)) for m in sorted(route.methods) if m != "HEAD")
    return found


def test_every_route_refuses_a_request_without_identity(
    app: FastAPI, anonymous: httpx.Client
) -> None:
    routes = _routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        response = anonymous.request(method, path, headers=new_ip())
        if path in PUBLIC:
            continue
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["detail"]
            assert response.headers["www-authenticate"].startswith("Bearer")
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            location = response.headers["location"]
            assert location.startswith("/signin?next="), location
            assert parse_qs(urlsplit(location).query)["next"] == [path]
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    public = {p for _, p in routes} & PUBLIC
    assert public == PUBLIC  # and nothing else answers anonymously


def test_every_state_changing_route_needs_the_csrf_token(
    app: FastAPI, base_url: str, admin_browser: Browser
) -> None:
    unsafe = [(m, p) for m, p in _routes(app) if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert ("POST", "/signout") in unsafe and ("DELETE", "/api/tokens/1") in unsafe
    with browser_client(base_url, admin_browser, csrf=False) as c:
        for method, path in unsafe:
            response = c.request(method, path, data={"name": "x"}, headers=new_ip())
            assert response.status_code == 403, (method, path, response.status_code)
            wrong = c.request(method, path, headers={"X-CSRF-Token": "not-the-token"})
            assert wrong.status_code == 403, (method, path)
        assert c.get("/api/me").status_code == 200  # still signed in


def test_anonymous_page_redirect_keeps_the_query(anonymous: httpx.Client) -> None:
    response = anonymous.get("/search", params={"q": "annual leave", "collection": "hr"})
    assert response.status_code == 303
    target = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    assert safe_next(target) == target
    assert parse_qs(urlsplit(target).query) == {"q": ["annual leave"], "collection": ["hr"]}


def test_public_paths_answer_without_identity(anonymous: httpx.Client) -> None:
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/static/essor.css").status_code == 200
    assert "/api/search" in anonymous.get("/api/openapi.json").json()["paths"]
    page = anonymous.get("/signin")
    assert page.status_code == 200 and 'type="password"' in page.text
    assert 'aria-label="Main"' not in page.text  # no navigation before sign-in


def test_a_garbage_cookie_is_cleared(base_url: str) -> None:
    with httpx.Client(base_url=base_url, cookies={"essor_session": "forged-value"}) as c:
        response = c.get("/api/me")
    assert response.status_code == 401
    assert "essor_session=;" in response.headers["set-cookie"]


# --- signing in ----------------------------------------------------------------------------


def test_sign_in_sets_a_safe_cookie_and_lands_on_next(
    base_url: str, web_settings: Settings
) -> None:
    with httpx.Client(base_url=base_url) as c:
        response = sign_in(c, MEMBER.email, MEMBER.password, next_path="/collections")
        assert response.status_code == 303
        assert response.headers["location"] == "/collections"
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("essor_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "path=/"} <= flags
        assert "secure" not in flags  # plain HTTP here
        assert f"max-age={14 * 86400}" in flags
        page = c.get("/collections")
        assert page.status_code == 200
        assert "Signed in as Max Member" in page.text
        assert 'action="/signout" method="post"' in page.text
    assert any(o == MEMBER.email for _, o, _, _ in audit(web_settings, "auth.signin"))


def test_cookie_is_secure_under_https(base_url: str) -> None:
    # Through a trusted proxy that terminated HTTPS. httpx keeps Secure cookies for HTTPS, so
    # this test carries the sign-in cookie itself.
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base_url, headers=https) as c:
        form = c.get("/signin")
        signin_cookie = form.headers["set-cookie"]
        assert signin_cookie.endswith("; Secure") and "Path=/signin" in signin_cookie
        value = signin_cookie.split(";", 1)[0].split("=", 1)[1]
        response = c.post(
            "/signin",
            data={"csrf_token": value, "email": MEMBER.email, "password": MEMBER.password},
            headers={"Cookie": f"essor_signin={value}"},
        )
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all(h.endswith("; Secure") for h in cookies), cookies
    assert session_cookie("abc", max_age=60, secure=True).endswith("; Secure")
    assert "Secure" not in session_cookie("abc", max_age=60, secure=False)


def test_sign_in_rotates_the_session(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as c:
        assert sign_in(c, MEMBER.email, MEMBER.password).status_code == 303
        first = c.cookies["essor_session"]
        assert sign_in(c, MEMBER.email, MEMBER.password).status_code == 303
        second = c.cookies["essor_session"]
        assert second != first
        assert c.get("/api/me").status_code == 200
    # The session from before the second sign-in no longer opens anything.
    with httpx.Client(base_url=base_url, cookies={"essor_session": first}) as old:
        assert old.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/signout",
    ],
)
def test_next_never_leaves_the_site(base_url: str, target: str) -> None:
    with httpx.Client(base_url=base_url) as c:
        response = sign_in(c, MEMBER.email, MEMBER.password, next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_safe_next_rules() -> None:
    assert safe_next("/search?q=leave&collection=hr") == "/search?q=leave&collection=hr"
    assert safe_next("/documents/3?start=1&end=9#passage") == "/documents/3?start=1&end=9#passage"
    for bad in ("", None, "https://x.example", "//x", "/\\x", "/\n/x", "http:/x", "/signin"):
        assert safe_next(bad) == "/"


def test_wrong_password_and_unknown_email_get_the_same_answer(
    base_url: str, web_settings: Settings
) -> None:
    with httpx.Client(base_url=base_url) as c:
        ip = new_ip()
        wrong = sign_in(c, MEMBER.email, "not-the-password", headers=ip)
        unknown = sign_in(c, "nobody-here@test.example", MEMBER.password, headers=ip)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "essor_session" not in response.headers.get("set-cookie", "")
    assert error_text(wrong) == error_text(unknown) == STRINGS["en"]["signin.failed"]
    assert 'value="nobody-here@test.example"' in unknown.text  # the email is kept, not the password
    assert MEMBER.password not in unknown.text
    failures = audit(web_settings, "auth.signin_failed")
    assert any(o == "nobody-here@test.example" and r == "failed" for _, o, r, _ in failures)
    assert all(MEMBER.password not in d and "not-the-password" not in d for *_, d in failures)


def test_disabled_and_departed_people_cannot_sign_in(
    base_url: str, web_settings: Settings, person: Account
) -> None:
    with write_session(web_settings) as s:
        disable_account(s, person.email, actor=SYSTEM)
    with httpx.Client(base_url=base_url) as c:
        response = sign_in(c, person.email, person.password, headers=new_ip())
        assert response.status_code == 401
        assert error_text(response) == STRINGS["en"]["signin.failed"]
    with write_session(web_settings) as s:
        enable_account(s, person.email, actor=SYSTEM)
        s.scalars(select(Person).where(Person.email == person.email)).one().status = "left"
    with httpx.Client(base_url=base_url) as c:
        response = sign_in(c, person.email, person.password, headers=new_ip())
        assert response.status_code == 401


def test_sign_in_page_speaks_french(anonymous: httpx.Client) -> None:
    page = anonymous.get("/signin", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in page.text
    for key in ("signin.title", "signin.email", "signin.password", "signin.submit"):
        assert STRINGS["fr"][key] in page.text


# --- sign-in form CSRF and throttling ------------------------------------------------------


def test_sign_in_form_needs_its_own_cookie(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as c:
        form = {"email": MEMBER.email, "password": MEMBER.password, "csrf_token": "made-up"}
        # Another site posting the form: no sign-in cookie, or a token that does not match.
        assert c.post("/signin", data=form).status_code == 403
        c.get("/signin")
        refused = c.post("/signin", data=form)
        assert refused.status_code == 403
        assert STRINGS["en"]["signin.expired"] in refused.text
        assert "essor_session" not in c.cookies


def test_sixth_attempt_is_throttled_even_with_the_right_password(
    base_url: str, person: Account
) -> None:
    with httpx.Client(base_url=base_url) as c:
        for i in range(5):
            response = sign_in(c, person.email, f"wrong-password-{i}", headers=new_ip())
            assert response.status_code == 401
        throttled = sign_in(c, person.email, person.password, headers=new_ip())
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-ins" in error_text(throttled)
    assert "essor_session" not in throttled.headers.get("set-cookie", "")


def test_one_address_is_throttled_across_emails(base_url: str) -> None:
    ip = new_ip()
    with httpx.Client(base_url=base_url) as c:
        for i in range(5):
            assert (
                sign_in(c, f"guess{i}@test.example", "password-guess", headers=ip).status_code
                == 401
            )
        assert sign_in(c, MEMBER.email, MEMBER.password, headers=ip).status_code == 429
        # Another address is not affected.
        assert sign_in(c, MEMBER.email, MEMBER.password, headers=new_ip()).status_code == 303


# --- signing out, disabling, departures -----------------------------------------------------


def test_sign_out_is_a_post_that_kills_the_session(
    base_url: str, web_settings: Settings, person: Account
) -> None:
    browser = open_session(base_url, person)
    with browser_client(base_url, browser, csrf=False) as c:
        assert c.get("/signout").status_code == 405  # no state change through GET
        assert c.get("/api/me").status_code == 200
        page = c.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None and token.group(1) == browser.csrf
        out = c.post("/signout", data={"csrf_token": browser.csrf})
        assert out.status_code == 303 and out.headers["location"] == "/signin"
        assert "essor_session=;" in out.headers["set-cookie"]
    with browser_client(base_url, browser) as c:
        assert c.get("/api/me").status_code == 401
        assert c.get("/").status_code == 303
    assert any(o == person.email for _, o, _, _ in audit(web_settings, "auth.signout"))


def test_disabling_a_person_kills_their_session(
    base_url: str, web_settings: Settings, person: Account
) -> None:
    browser = open_session(base_url, person)
    with browser_client(base_url, browser) as c:
        assert c.get("/").status_code == 200
        with write_session(web_settings) as s:
            disable_account(s, person.email, actor=SYSTEM)
        assert c.get("/").status_code == 303
        assert c.get("/api/me").status_code == 401


def test_a_departure_ends_the_session_on_the_next_request(
    base_url: str, web_settings: Settings, person: Account
) -> None:
    browser = open_session(base_url, person)
    with browser_client(base_url, browser) as c:
        assert c.get("/api/me").json()["email"] == person.email
        with write_session(web_settings) as s:
            s.scalars(select(Person).where(Person.email == person.email)).one().status = "left"
        response = c.get("/api/me")
        assert response.status_code == 401
        assert "essor_session=;" in response.headers["set-cookie"]


# --- CSRF ----------------------------------------------------------------------------------


def test_csrf_on_forms_and_json(base_url: str, member_browser: Browser) -> None:
    with browser_client(base_url, member_browser, csrf=False) as c:
        assert c.post("/tokens", data={"name": "no token"}).status_code == 403
        wrong = c.post("/tokens", data={"name": "x", "csrf_token": "wrong"})
        assert wrong.status_code == 403
        assert "expired or did not come from Essor" in wrong.text
        # The field may come after others, in an urlencoded or a multipart body.
        ok = c.post("/tokens", data={"name": "form token", "csrf_token": member_browser.csrf})
        assert ok.status_code == 200 and "essor_" in ok.text
        multipart = c.post(
            "/tokens",
            data={"csrf_token": member_browser.csrf, "name": "multipart token"},
            files={"unused": ("a.txt", b"hello", "text/plain")},
        )
        assert multipart.status_code == 200, multipart.text
        assert c.post("/api/ask", json={"question": "leave"}).status_code == 403
        headers = {"X-CSRF-Token": member_browser.csrf}
        assert c.post("/api/ask", json={"question": "leave"}, headers=headers).status_code == 200


# --- API tokens ----------------------------------------------------------------------------


def _create_token(c: httpx.Client, name: str) -> dict[str, Any]:
    response = c.post("/api/tokens", json={"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_token_lifecycle(base_url: str, web_settings: Settings, member_browser: Browser) -> None:
    with browser_client(base_url, member_browser) as c:
        created = _create_token(c, "lifecycle")
        token = created["token"]
        assert re.fullmatch(rf"essor_{created['prefix']}_[A-Za-z0-9_-]+", token)
        listed = c.get("/api/tokens").json()["tokens"]
        assert any(t["id"] == created["id"] and t["active"] for t in listed)
        assert token not in str(listed)
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        me = api.get("/api/me").json()
        assert me["email"] == MEMBER.email and me["auth"] == "token"
        assert "csrf_token" not in me
        results = api.get("/api/search", params={"q": "annual leave"})
        assert results.status_code == 200 and results.json()["results"]
        # No CSRF token needed: a browser never sends this header by itself.
        assert api.post("/api/ask", json={"question": "annual leave"}).status_code == 200
        # A token cannot mint another token; pages do not take tokens at all.
        assert api.post("/api/tokens", json={"name": "child"}).status_code == 403
        assert api.get("/").status_code == 303
        assert api.delete(f"/api/tokens/{created['id']}").status_code == 204
        assert api.get("/api/search", params={"q": "annual leave"}).status_code == 401
    actions = {a: audit(web_settings, a) for a in ("token.create", "token.revoke")}
    assert any(o == str(created["id"]) for _, o, _, _ in actions["token.create"])
    assert any(o == str(created["id"]) for _, o, _, _ in actions["token.revoke"])
    assert all(token not in d for rows in actions.values() for *_, d in rows)


def test_bad_bearer_tokens_are_401(anonymous: httpx.Client) -> None:
    for value in ("essor_00000000_" + "x" * 43, "garbage", "essor_1"):
        response = anonymous.get("/api/me", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401


def test_tokens_only_revoke_their_owners(
    base_url: str, admin_browser: Browser, member_browser: Browser
) -> None:
    with browser_client(base_url, admin_browser) as admin:
        admins = _create_token(admin, "admin's")
    with browser_client(base_url, member_browser) as member:
        assert member.delete(f"/api/tokens/{admins['id']}").status_code == 404
        assert member.delete("/api/tokens/987654").status_code == 404
        assert admins["id"] not in {t["id"] for t in member.get("/api/tokens").json()["tokens"]}
    bearer = {"Authorization": f"Bearer {admins['token']}"}
    with httpx.Client(base_url=base_url, headers=bearer) as api:
        assert api.get("/api/me").json()["email"] == ADMIN.email


def test_a_token_never_reads_more_than_its_owner(
    base_url: str, admin_browser: Browser, member_browser: Browser
) -> None:
    with browser_client(base_url, member_browser) as member:
        member_token = _create_token(member, "restricted check")["token"]
    with browser_client(base_url, admin_browser) as admin:
        admin_token = _create_token(admin, "restricted check")["token"]
    query = {"q": "okapi ledger committee expense"}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {admin_token}"}) as a:
        found = a.get("/api/search", params=query).json()["results"]
        assert RESTRICTED_COLLECTION in {r["collection"] for r in found}
        assert a.get(f"/api/collections/{RESTRICTED_COLLECTION}").status_code == 200
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {member_token}"}) as m:
        found = m.get("/api/search", params=query).json()["results"]
        assert all(r["collection"] != RESTRICTED_COLLECTION for r in found)
        assert m.get(f"/api/collections/{RESTRICTED_COLLECTION}").status_code == 404
        named = m.get("/api/search", params={**query, "collection": RESTRICTED_COLLECTION})
        assert named.status_code == 404 or named.json()["results"] == []


def test_a_disabled_owners_token_stops_working(
    base_url: str, web_settings: Settings, person: Account
) -> None:
    with browser_client(base_url, open_session(base_url, person)) as c:
        token = _create_token(c, "soon disabled")["token"]
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.get("/api/me").status_code == 200
        with write_session(web_settings) as s:
            disable_account(s, person.email, actor=SYSTEM)
        assert api.get("/api/me").status_code == 401
        with write_session(web_settings) as s:
            enable_account(s, person.email, actor=SYSTEM)
        assert api.get("/api/me").status_code == 200
        with write_session(web_settings) as s:
            s.scalars(select(Person).where(Person.email == person.email)).one().status = "left"
        assert api.get("/api/me").status_code == 401


def test_tokens_page_shows_a_new_token_once_and_revokes(
    base_url: str, member_browser: Browser
) -> None:
    with browser_client(base_url, member_browser, csrf=False) as c:
        created = c.post("/tokens", data={"csrf_token": member_browser.csrf, "name": "page one"})
        assert created.status_code == 200
        assert created.headers["cache-control"] == "no-store"
        token = re.search(r'<code class="token-value">([^<]+)</code>', created.text)
        assert token is not None
        listing = c.get("/tokens")
        assert token.group(1) not in listing.text  # shown once only
        assert "page one" in listing.text
        token_id = next(
            t["id"] for t in c.get("/api/tokens").json()["tokens"] if t["name"] == "page one"
        )
        assert c.get(f"/tokens/{token_id}/revoke").status_code == 405
        revoked = c.post(f"/tokens/{token_id}/revoke", data={"csrf_token": member_browser.csrf})
        assert revoked.status_code == 303 and revoked.headers["location"] == "/tokens"
        row = next(t for t in c.get("/api/tokens").json()["tokens"] if t["id"] == token_id)
        assert row["active"] is False
        empty = c.post("/tokens", data={"csrf_token": member_browser.csrf, "name": "   "})
        assert empty.status_code == 422 and STRINGS["en"]["tokens.error.name_missing"] in empty.text
        french = c.get("/tokens", headers={"Accept-Language": "fr"})
        assert STRINGS["fr"]["tokens.title"] in html.unescape(french.text)


def test_admin_creation_is_audited(web_settings: Settings) -> None:
    rows = audit(web_settings, "admin.create")
    assert any(actor == "system" and o == ADMIN.email for actor, o, _, _ in rows)


# --- the trusted reverse-proxy header -------------------------------------------------------


@pytest.fixture(scope="module")
def proxy_url(web_settings: Settings, base_url: str) -> Iterator[str]:
    settings = web_settings.model_copy(update={"trusted_header": "X-Forwarded-Email"})
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def untrusted_proxy_url(web_settings: Settings, base_url: str) -> Iterator[str]:
    settings = web_settings.model_copy(
        update={"trusted_header": "X-Forwarded-Email", "trusted_proxies": "192.0.2.1"}
    )
    with serve(create_app(settings)) as url:
        yield url


def test_trusted_header_signs_in_the_person_it_names(proxy_url: str) -> None:
    headers = {"X-Forwarded-Email": OUTSIDER.email.upper()}
    with httpx.Client(base_url=proxy_url, headers=headers) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert "Signed in as Olga Outsider" in page.text
        first = c.cookies["essor_session"]
        me = c.get("/api/me").json()
        assert me["email"] == OUTSIDER.email and me["auth"] == "trusted_header"
        assert c.cookies["essor_session"] == first  # the same session, not one per request
        # Ambient credentials: state changes still need the CSRF token.
        assert c.post("/api/ask", json={"question": "okapi"}).status_code == 403
        ok = c.post(
            "/api/ask", json={"question": "okapi"}, headers={"X-CSRF-Token": me["csrf_token"]}
        )
        assert ok.status_code == 200
        # The proxy now vouches for someone else: the other person's session is not reused.
        other = c.get("/api/me", headers={"X-Forwarded-Email": MEMBER.email})
        assert other.json()["email"] == MEMBER.email
        assert c.cookies["essor_session"] != first
    with httpx.Client(base_url=proxy_url, headers={"X-Forwarded-Email": "ghost@test.example"}) as c:
        assert c.get("/api/me").status_code == 401


def test_trusted_header_is_ignored_from_other_addresses(untrusted_proxy_url: str) -> None:
    headers = {"X-Forwarded-Email": ADMIN.email, "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=untrusted_proxy_url, headers=headers) as c:
        assert c.get("/api/me").status_code == 401
        assert c.get("/").status_code == 303
        form = c.get("/signin")
        assert "Secure" not in form.headers["set-cookie"]  # nor is the forwarded scheme believed


def test_pages_show_a_member_only_what_they_may_read(member_client: httpx.Client) -> None:
    listing = member_client.get("/collections")
    assert listing.status_code == 200 and "Signed in as Max Member" in listing.text
    assert f'href="/collections/{RESTRICTED_COLLECTION}"' not in listing.text
    assert member_client.get(f"/collections/{RESTRICTED_COLLECTION}").status_code == 404
    results = member_client.get("/search", params={"q": "okapi ledger committee"})
    assert results.status_code == 200 and RESTRICTED_COLLECTION not in results.text
