"""Single sign-on through OpenID Connect, end to end against a FAKE OpenID provider.

``FakeOpenIDProvider`` is a test double, not a provider: a small Starlette app on its own
127.0.0.1 port that approves every authorization request at once, for whichever person the
test chose, and signs ID tokens with an RSA key generated here. It checks what a real provider
checks of Essor (client secret, one-time codes, the redirect URL, the PKCE verifier), and lets
a test spoil the ID token (another key, a wrong nonce, an expired token...).

Essor runs as a separate app over its own temporary database with two or three people, so
these tests need neither the demo seed nor the shared server of ``conftest``. The browser is
an ``httpx.Client`` that follows redirects by hand, so each leg can be checked or tampered with.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from essor.db import get_engine, read_session, write_session
from essor.governance.access import SYSTEM
from essor.governance.models import AuditEvent
from essor.migrate import upgrade
from essor.people.auth import oidc
from essor.people.auth.actions import disable_account
from essor.settings import Settings
from essor.web import create_app
from essor.web.i18n import STRINGS
from tests.web.conftest import Account, add_person, serve

CLIENT_ID = "essor-test"
CLIENT_SECRET = "fake-client-secret"
PROVIDER_NAME = "Fake SSO"
CALLBACK = "/signin/oidc/callback"

ANNA = Account("anna@sso.example", "anna-password-1234", "Anna Active")
LEO = Account("leo@sso.example", "leo-password-123456", "Leo Left")
DINA = Account("dina@sso.example", "dina-password-12345", "Dina Disabled")


def _rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class FakeOpenIDProvider:
    """A FAKE OpenID provider for tests: auto-approves, remembers nonce and PKCE challenge."""

    client_id: str
    client_secret: str
    key: RSAKey = field(default_factory=lambda: _rsa_key("fake-key-1"))
    issuer: str = ""  # known once served
    redirect_uri: str = ""  # the one URL registered for Essor
    # What the test sets before a flow:
    claims: dict[str, Any] = field(default_factory=dict)  # about the person who "signs in"
    token_changes: dict[str, Any] = field(default_factory=dict)  # None removes a claim
    signing_key: RSAKey | None = None  # sign with another key than the published one
    email_in_id_token: bool = True  # False: email only from /userinfo
    deny: bool = False  # the person cancels at the provider
    # What the provider saw:
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    jwks_requests: int = 0

    def reset(self) -> None:
        self.claims = {}
        self.token_changes = {}
        self.signing_key = None
        self.email_in_id_token = True
        self.deny = False
        self.token_requests = 0
        self.jwks_requests = 0

    def app(self) -> FastAPI:
        return FastAPI(
            openapi_url=None,
            routes=[
                Route("/healthz", lambda _r: JSONResponse({"ok": True})),
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
                Route("/userinfo", self.userinfo),
            ],
        )

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        checks = [
            q.get("client_id") == self.client_id,
            q.get("response_type") == "code",
            "openid" in q.get("scope", "").split(),
            q.get("redirect_uri") == self.redirect_uri,
            q.get("code_challenge_method") == "S256",
            bool(q.get("code_challenge")) and bool(q.get("nonce")) and bool(q.get("state")),
        ]
        if not all(checks):
            return JSONResponse({"error": "invalid_request", "checks": checks}, status_code=400)
        if self.deny:
            query = urlencode({"error": "access_denied", "state": q["state"]})
            return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "claims": dict(self.claims),
        }
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        grant = self.codes.pop(str(form.get("code", "")), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "why": "pkce"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant", "why": "redirect"}, status_code=400)
        person = grant["claims"]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": person["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "name": person.get("name", ""),
        }
        if self.email_in_id_token:
            claims.update({k: person[k] for k in ("email", "email_verified") if k in person})
        for name, value in self.token_changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.signing_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        access_token = secrets.token_urlsafe(16)
        self.access_tokens[access_token] = person
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    async def jwks(self, _request: Request) -> Response:
        self.jwks_requests += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        person = self.access_tokens.get(token)
        if person is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({k: v for k, v in person.items() if k != "name"})


def person_claims(email: str, **extra: Any) -> dict[str, Any]:
    return {"sub": f"sub-{email}", "email": email, "email_verified": True, **extra}


# --- servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_provider() -> Iterator[FakeOpenIDProvider]:
    provider = FakeOpenIDProvider(CLIENT_ID, CLIENT_SECRET)
    with serve(provider.app()) as url:
        provider.issuer = url
        yield provider


@pytest.fixture(scope="module")
def sso_settings(
    fake_provider: FakeOpenIDProvider, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("essor-oidc"),
        environment="test",
        secret_key="oidc-test-secret",
        oidc_issuer=fake_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_provider_name=PROVIDER_NAME,
        _env_file=None,
    )
    upgrade(settings)
    add_person(settings, ANNA, "SSO-A")
    add_person(settings, LEO, "SSO-A", status="left")
    add_person(settings, DINA, "SSO-A")
    with write_session(settings) as session:
        disable_account(session, DINA.email, actor=SYSTEM)
    return settings


@pytest.fixture(scope="module")
def essor_url(sso_settings: Settings, fake_provider: FakeOpenIDProvider) -> Iterator[str]:
    oidc.forget_providers()
    with serve(create_app(sso_settings)) as url:
        fake_provider.redirect_uri = url + CALLBACK
        yield url
    oidc.forget_providers()
    get_engine(sso_settings).dispose()


@pytest.fixture
def provider(fake_provider: FakeOpenIDProvider, essor_url: str) -> FakeOpenIDProvider:
    fake_provider.reset()
    return fake_provider


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, follow_redirects=False) as client:
        yield client


# --- helpers ---------------------------------------------------------------------------


def start(browser: httpx.Client, essor_url: str, next_path: str = "/") -> httpx.Response:
    """Click "Sign in with ..." and pass the provider: the response that goes back to Essor."""
    started = browser.get(f"{essor_url}/signin/oidc", params={"next": next_path})
    assert started.status_code == 303, started.text
    approved = browser.get(started.headers["location"])
    assert approved.status_code == 302, approved.text
    assert approved.headers["location"].startswith(f"{essor_url}{CALLBACK}?")
    return approved


def sign_in(browser: httpx.Client, essor_url: str, next_path: str = "/") -> httpx.Response:
    return browser.get(start(browser, essor_url, next_path).headers["location"])


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts._replace(query=urlencode({**query, **changes})).geturl()


def audit(settings: Settings, action: str) -> list[tuple[str, str, str]]:
    """(object_id, outcome, detail) of the audit rows for ``action``, oldest first."""
    with read_session(settings) as s:
        rows = s.execute(
            select(AuditEvent.object_id, AuditEvent.outcome, AuditEvent.detail)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(o, r, d) for o, r, d in rows]


def last_refusal(settings: Settings) -> tuple[str, str, str]:
    return audit(settings, "auth.oidc_refused")[-1]


def assert_refused(response: httpx.Response, status: int, key: str) -> None:
    assert response.status_code == status, response.text
    assert "essor_session=" not in response.headers.get("set-cookie", "")
    assert STRINGS["en"][key].split(".")[0].replace("'", "&#39;") in response.text
    assert "essor_oidc=;" in response.headers.get("set-cookie", "")  # state used once


# --- success ---------------------------------------------------------------------------


def test_an_employed_person_signs_in(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    # The provider's spelling of the address does not matter.
    provider.claims = person_claims("Anna@SSO.Example")
    started = browser.get(f"{essor_url}/signin/oidc", params={"next": "/search?q=leave"})
    pending_cookie = started.headers["set-cookie"]
    assert "Path=/signin/oidc" in pending_cookie and "HttpOnly" in pending_cookie
    assert "SameSite=Lax" in pending_cookie and "Max-Age=600" in pending_cookie
    authorize = urlsplit(started.headers["location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    assert parse_qs(authorize.query)["redirect_uri"] == [essor_url + CALLBACK]

    approved = browser.get(started.headers["location"])
    done = browser.get(approved.headers["location"])

    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/search?q=leave"
    set_cookies = done.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("essor_session="))
    # The same cookie as a password sign-in.
    assert session.endswith("; Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600")
    me = browser.get(f"{essor_url}/api/me")
    assert me.status_code == 200 and me.json()["email"] == ANNA.email
    home = browser.get(f"{essor_url}/")
    assert home.status_code == 200 and ANNA.name in home.text
    method_rows = [d for o, _, d in audit(sso_settings, "auth.signin") if o == ANNA.email]
    assert method_rows and '"method": "oidc"' in method_rows[-1]
    assert provider.token_requests == 1


def test_the_email_may_come_from_userinfo(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    provider.email_in_id_token = False
    done = sign_in(browser, essor_url)
    assert done.status_code == 303, done.text
    assert browser.get(f"{essor_url}/api/me").json()["email"] == ANNA.email


def test_signing_in_again_replaces_the_session(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    sign_in(browser, essor_url)
    first = browser.cookies["essor_session"]
    sign_in(browser, essor_url)
    assert browser.cookies["essor_session"] != first
    with httpx.Client(cookies={"essor_session": first}) as old:
        assert old.get(f"{essor_url}/api/me").status_code == 401  # no session fixation


def test_a_next_too_long_for_a_cookie_lands_home(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    done = sign_in(browser, essor_url, "/search?q=" + "é" * 1500)
    assert done.status_code == 303 and done.headers["location"] == "/"


@pytest.mark.parametrize(
    ("next_path", "landing"),
    [
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/signin", "/"),
        ("/collections?x=1", "/collections?x=1"),
    ],
)
def test_next_cannot_leave_the_site(
    provider: FakeOpenIDProvider,
    browser: httpx.Client,
    essor_url: str,
    next_path: str,
    landing: str,
) -> None:
    provider.claims = person_claims(ANNA.email)
    done = sign_in(browser, essor_url, next_path)
    assert done.status_code == 303
    assert done.headers["location"] == landing


# --- the person is refused -------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "reason"),
    [("nobody@sso.example", "unknown_email"), (LEO.email, "left"), (DINA.email, "disabled")],
)
def test_only_active_people_of_the_directory_get_in(
    provider: FakeOpenIDProvider,
    browser: httpx.Client,
    essor_url: str,
    sso_settings: Settings,
    email: str,
    reason: str,
) -> None:
    provider.claims = person_claims(email)
    done = sign_in(browser, essor_url, "/search")
    assert_refused(done, 403, "signin.oidc_not_found")
    assert 'name="next" value="/search"' in done.text  # the form keeps where they were going
    assert browser.get(f"{essor_url}/api/me").status_code == 401
    object_id, outcome, detail = last_refusal(sso_settings)
    assert (object_id, outcome) == (email, "denied")
    assert f'"reason": "{reason}"' in detail


@pytest.mark.parametrize("verified", [False, "true", None])
def test_an_unverified_email_is_refused(
    provider: FakeOpenIDProvider,
    browser: httpx.Client,
    essor_url: str,
    sso_settings: Settings,
    verified: object,
) -> None:
    provider.claims = person_claims(ANNA.email, email_verified=verified)
    done = sign_in(browser, essor_url)
    assert_refused(done, 403, "signin.oidc_unverified")
    assert '"reason": "email_unverified"' in last_refusal(sso_settings)[2]


def test_without_email_verified_the_email_is_trusted(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = {"sub": "sub-anna", "email": ANNA.email}
    assert sign_in(browser, essor_url).status_code == 303


def test_no_email_at_all_is_refused(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    provider.claims = {"sub": "sub-nameless"}
    assert_refused(sign_in(browser, essor_url), 403, "signin.oidc_unverified")
    assert '"reason": "no_email"' in last_refusal(sso_settings)[2]


# --- the protocol is refused -----------------------------------------------------------


def test_a_tampered_state_is_refused(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    provider.claims = person_claims(ANNA.email)
    callback = start(browser, essor_url).headers["location"]
    done = browser.get(with_query(callback, state="forged-" + secrets.token_urlsafe(8)))
    assert_refused(done, 400, "signin.oidc_failed")
    assert '"reason": "state_mismatch"' in last_refusal(sso_settings)[2]
    assert provider.token_requests == 0  # the code was never even tried


def test_a_callback_meant_for_another_browser_is_refused(
    provider: FakeOpenIDProvider, essor_url: str, sso_settings: Settings
) -> None:
    """Login CSRF: an attacker's own callback URL, opened in the victim's browser."""
    provider.claims = person_claims(ANNA.email)
    with httpx.Client(timeout=30) as attacker, httpx.Client(timeout=30) as victim:
        callback = start(attacker, essor_url).headers["location"]
        start(victim, essor_url)  # even with a sign-in of their own under way
        done = victim.get(callback)
        assert_refused(done, 400, "signin.oidc_failed")
        assert victim.get(f"{essor_url}/api/me").status_code == 401
    assert '"reason": "state_mismatch"' in last_refusal(sso_settings)[2]


def test_a_callback_without_a_sign_in_under_way_is_refused(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    provider.claims = person_claims(ANNA.email)
    callback = start(browser, essor_url).headers["location"]
    with httpx.Client(timeout=30) as stranger:
        assert_refused(stranger.get(callback), 400, "signin.oidc_failed")
    assert '"reason": "expired"' in last_refusal(sso_settings)[2]
    # A forged pending cookie is no better.
    cookie = browser.cookies["essor_oidc"]
    forged = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    with httpx.Client(timeout=30, cookies={"essor_oidc": forged}) as forger:
        assert_refused(forger.get(callback), 400, "signin.oidc_failed")


def test_a_callback_is_used_once(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    callback = start(browser, essor_url).headers["location"]
    assert browser.get(callback).status_code == 303
    assert_refused(browser.get(callback), 400, "signin.oidc_failed")


def test_the_provider_refusing_is_shown(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    provider.deny = True
    assert_refused(sign_in(browser, essor_url), 400, "signin.oidc_failed")
    assert '"reason": "provider_error"' in last_refusal(sso_settings)[2]


def _spoil(provider: FakeOpenIDProvider, change: str) -> None:
    now = int(time.time())
    spoilers: dict[str, dict[str, Any]] = {
        "wrong nonce": {"nonce": "not-the-nonce"},
        "no nonce": {"nonce": None},
        "expired": {"iat": now - 900, "exp": now - 600},
        "no expiry": {"exp": None},
        "issued in the future": {"iat": now + 3600, "exp": now + 7200},
        "other audience": {"aud": "another-client"},
        "shared audience without azp": {"aud": [CLIENT_ID, "another-client"]},
        "other issuer": {"iss": "https://evil.example"},
    }
    if change in spoilers:
        provider.token_changes = spoilers[change]
    elif change == "other key, unknown kid":
        provider.signing_key = _rsa_key("unknown-key")
    elif change == "other key, same kid":
        provider.signing_key = _rsa_key(provider.key.kid or "")
    else:
        raise AssertionError(change)


@pytest.mark.parametrize(
    ("change", "logged"),
    [
        ("wrong nonce", "Invalid claim: 'nonce'"),
        ("no nonce", "Missing claim: 'nonce'"),
        ("expired", "expired"),
        ("no expiry", "Missing claim: 'exp'"),
        ("issued in the future", "issued in the future"),
        ("other audience", "Invalid claim: 'aud'"),
        ("shared audience without azp", "(azp)"),
        ("other issuer", "Invalid claim: 'iss'"),
        ("other key, unknown kid", "InvalidKeyIdError"),
        ("other key, same kid", "BadSignatureError"),
    ],
)
def test_a_bad_id_token_is_refused(
    provider: FakeOpenIDProvider,
    browser: httpx.Client,
    essor_url: str,
    sso_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    change: str,
    logged: str,
) -> None:
    provider.claims = person_claims(ANNA.email)
    _spoil(provider, change)
    with caplog.at_level(logging.WARNING, logger="essor.people.auth.oidc"):
        done = sign_in(browser, essor_url)
    assert logged in caplog.text  # refused for the reason the test means
    assert_refused(done, 400, "signin.oidc_failed")
    assert browser.get(f"{essor_url}/api/me").status_code == 401
    object_id, outcome, detail = last_refusal(sso_settings)
    assert (object_id, outcome) == ("", "denied")
    assert '"reason": "invalid_token"' in detail


def test_rotated_provider_keys_are_fetched_again(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    assert sign_in(browser, essor_url).status_code == 303  # the key set is cached now
    provider.key = _rsa_key(f"rotated-{secrets.token_hex(4)}")
    before = provider.jwks_requests
    assert sign_in(browser, essor_url).status_code == 303
    assert provider.jwks_requests == before + 1
    assert sign_in(browser, essor_url).status_code == 303
    assert provider.jwks_requests == before + 1  # and cached again


def test_a_shared_audience_with_azp_is_accepted(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str
) -> None:
    provider.claims = person_claims(ANNA.email)
    provider.token_changes = {"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}
    assert sign_in(browser, essor_url).status_code == 303


def test_audit_rows_never_hold_codes_or_tokens(
    provider: FakeOpenIDProvider, browser: httpx.Client, essor_url: str, sso_settings: Settings
) -> None:
    provider.claims = person_claims(ANNA.email)
    callback = start(browser, essor_url).headers["location"]
    params = parse_qs(urlsplit(callback).query)
    browser.get(callback)
    rows = audit(sso_settings, "auth.signin") + audit(sso_settings, "auth.oidc_refused")
    text = repr(rows)
    for secret in (params["code"][0], params["state"][0], CLIENT_SECRET):
        assert secret not in text


# --- the sign-in page ------------------------------------------------------------------


def test_the_signin_page_links_to_the_provider(
    provider: FakeOpenIDProvider, essor_url: str
) -> None:
    page = httpx.get(f"{essor_url}/signin", params={"next": "/search"})
    assert page.status_code == 200
    assert f"Sign in with {PROVIDER_NAME}" in page.text
    assert 'href="/signin/oidc?next=%2Fsearch"' in page.text
    assert 'type="password"' in page.text  # passwords still work beside it
    french = httpx.get(f"{essor_url}/signin", headers={"Accept-Language": "fr"})
    assert f"Se connecter avec {PROVIDER_NAME}" in french.text


def test_without_an_issuer_there_is_no_single_sign_on(sso_settings: Settings) -> None:
    plain = sso_settings.model_copy(update={"oidc_issuer": ""})
    with serve(create_app(plain)) as url:
        page = httpx.get(f"{url}/signin")
        assert page.status_code == 200 and "sso-link" not in page.text
        assert "/signin/oidc" not in page.text
        assert httpx.get(f"{url}/signin/oidc").status_code == 404
        assert httpx.get(f"{url}{CALLBACK}?code=x&state=y").status_code == 404


# --- the domain, without a browser -----------------------------------------------------


def test_the_pending_cookie_is_signed_and_short_lived(sso_settings: Settings) -> None:
    pending = oidc.Pending("s", "n", "v" * 64, "http://127.0.0.1/cb", "/", int(time.time()))
    sealed = oidc.seal(sso_settings, pending)
    assert oidc.unseal(sso_settings, sealed) == pending
    other = sso_settings.model_copy(update={"secret_key": "another-secret"})
    assert oidc.unseal(other, sealed) is None
    assert oidc.unseal(sso_settings, sealed, at=time.time() + oidc.PENDING_MAX_AGE + 5) is None
    assert oidc.unseal(sso_settings, sealed[:-1] + ("A" if sealed[-1] != "A" else "B")) is None
    assert oidc.unseal(sso_settings, "A" + sealed[1:]) is None  # the body is signed too
    assert oidc.unseal(sso_settings, "") is None and oidc.unseal(sso_settings, "é" * 60) is None


def test_the_issuer_must_be_exactly_the_providers(
    fake_provider: FakeOpenIDProvider, sso_settings: Settings
) -> None:
    oidc.forget_providers()
    assert oidc.provider(sso_settings).token_endpoint == f"{fake_provider.issuer}/token"
    slashed = sso_settings.model_copy(update={"oidc_issuer": fake_provider.issuer + "/"})
    with pytest.raises(oidc.OidcError) as mismatch:
        oidc.provider(slashed)
    assert mismatch.value.reason == "misconfigured"


@pytest.mark.parametrize(
    "issuer", ["http://sso.example", "ftp://127.0.0.1/x", "https://", "not a url"]
)
def test_an_issuer_must_be_https(sso_settings: Settings, issuer: str) -> None:
    with pytest.raises(oidc.OidcError) as refused:
        oidc.provider(sso_settings.model_copy(update={"oidc_issuer": issuer}))
    assert refused.value.reason == "misconfigured"


def test_an_unreachable_provider_is_a_clear_page(
    sso_settings: Settings, essor_url: str, provider: FakeOpenIDProvider
) -> None:
    """Starting against a provider that does not answer: a page, no crash, no redirect."""
    gone = sso_settings.model_copy(update={"oidc_issuer": "http://127.0.0.1:9"})
    with serve(create_app(gone)) as url:
        page = httpx.get(f"{url}/signin/oidc")
    assert page.status_code == 502
    assert "single sign-on did not complete" in page.text


def test_a_configured_redirect_url_is_used(sso_settings: Settings, essor_url: str) -> None:
    """Behind a proxy the registered URL is set rather than guessed from the request."""
    registered = "https://essor.example.org/signin/oidc/callback"
    proxied = sso_settings.model_copy(update={"oidc_redirect_url": registered})
    with serve(create_app(proxied)) as url:
        started = httpx.get(f"{url}/signin/oidc")
    assert started.status_code == 303
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["redirect_uri"] == [registered]
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == [oidc.SCOPE]
