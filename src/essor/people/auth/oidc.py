"""Single sign-on through OpenID Connect: the authorization code flow with PKCE.

The provider proves who is at the browser; Essor still decides who may come in. The verified
email must belong to an employed, enabled person of the directory, as for a password or the
trusted proxy header, and the session starts through ``sign_in_person`` (method ``oidc``).

Between the redirect to the provider and its callback, the browser carries a ``Pending``
(state, nonce, PKCE verifier, redirect URL, where to go next) in a cookie signed with
``ESSOR_SECRET_KEY``: no table to clean up, and it is refused after ``PENDING_MAX_AGE``.

Outgoing requests go only to the configured issuer's discovery document and to the endpoints
it names (token, keys, userinfo), with timeouts and without following redirects. No token,
code or client secret is ever logged or audited: error messages here name a reason, a URL
from the discovery document, or an exception type, nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import importlib
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, import_key

from essor.db import write_session
from essor.governance.access import is_employed
from essor.governance.audit import record
from essor.people.auth.actions import SignedIn, sign_in_person
from essor.people.auth.standing import is_disabled
from essor.people.models import EMAIL_MAX
from essor.people.queries import find_person
from essor.settings import Settings

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
TIMEOUT = 10.0  # seconds; a plain number, which both HTTP clients below understand
# Discovery documents and key sets change rarely; an unknown key id refetches the keys at once.
METADATA_TTL = 3600.0
PENDING_MAX_AGE = 600  # seconds a person has to get through the provider's pages
LEEWAY = 60  # seconds of clock difference tolerated with the provider
# Asymmetric signatures only: the key must come from the provider's JWKS, never be the client
# secret (HS*), and never be absent ("none").
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_SIGNATURE_CHARS = 43  # an HMAC-SHA256, base64url without padding
_MAX_SEALED = 6000

# Refusals about the person rather than the protocol; the others mean "try again" or "ask the
# operator".
PERSON_REASONS = frozenset({"unknown_email", "left", "disabled"})
EMAIL_REASONS = frozenset({"no_email", "email_unverified"})


class OidcError(Exception):
    """The sign-in did not complete. ``reason`` is the code audited and shown as a page; the
    message is for the operator's log."""

    def __init__(self, reason: str, message: str = "", *, email: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.email = email


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer.strip())


# --- the provider ----------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """What Essor uses of a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]
    token_auth_method: str


def _http_errors() -> tuple[type[Exception], ...]:
    """Transport and status errors of the HTTP clients in use: ours is httpx, and Authlib's
    client runs on httpx2 when that is installed (falling back to httpx otherwise)."""
    errors: list[type[Exception]] = [httpx.HTTPError]
    with contextlib.suppress(ImportError, AttributeError):
        errors.append(importlib.import_module("httpx2").HTTPError)
    return tuple(errors)


HTTP_ERRORS = _http_errors()

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def forget_providers() -> None:
    """Drop cached discovery documents and key sets (tests; a provider that changed)."""
    with _cache_lock:
        _cache.clear()


def _checked_url(url: object, what: str) -> str:
    """``url`` if it is https (plain http only to this machine, for development and tests)."""
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname in _LOOPBACK:
            return url
    raise OidcError("misconfigured", f"{what} is not an https URL: {url!r}")


def _get_json(url: str) -> dict[str, Any]:
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError("provider_unreachable", f"GET {url}: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise OidcError("provider_unreachable", f"GET {url}: not a JSON object")
    return data


def _cached_json(url: str, *, refresh: bool = False) -> dict[str, Any]:
    at = time.monotonic()
    with _cache_lock:
        hit = _cache.get(url)
    if hit is not None and not refresh and at - hit[0] < METADATA_TTL:
        return hit[1]
    data = _get_json(url)
    with _cache_lock:
        _cache[url] = (at, data)
    return data


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def provider(settings: Settings) -> Provider:
    """The configured issuer's metadata, from its discovery document (cached)."""
    issuer = _checked_url(settings.oidc_issuer.strip(), "ESSOR_OIDC_ISSUER")
    if not settings.oidc_client_id:
        raise OidcError("misconfigured", "ESSOR_OIDC_CLIENT_ID is not set")
    doc = _cached_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    # OpenID Connect Discovery 4.3: a document naming another issuer must not be used (it
    # would let one provider speak for another).
    if doc.get("issuer") != issuer:
        raise OidcError(
            "misconfigured",
            f"the provider's issuer is {doc.get('issuer')!r}: set ESSOR_OIDC_ISSUER to exactly it",
        )
    algorithms = tuple(
        a for a in _strings(doc.get("id_token_signing_alg_values_supported")) if a in ALGORITHMS
    )
    if not algorithms:
        raise OidcError("misconfigured", "the provider signs ID tokens with no algorithm we accept")
    methods = _strings(doc.get("token_endpoint_auth_methods_supported")) or [
        "client_secret_basic"  # the default when the document says nothing (Discovery 3)
    ]
    method = next((m for m in ("client_secret_basic", "client_secret_post") if m in methods), None)
    if method is None:
        raise OidcError("misconfigured", f"no client authentication we support in {methods}")
    userinfo = doc.get("userinfo_endpoint")
    return Provider(
        issuer=issuer,
        authorization_endpoint=_checked_url(
            doc.get("authorization_endpoint"), "authorization_endpoint"
        ),
        token_endpoint=_checked_url(doc.get("token_endpoint"), "token_endpoint"),
        jwks_uri=_checked_url(doc.get("jwks_uri"), "jwks_uri"),
        userinfo_endpoint=_checked_url(userinfo, "userinfo_endpoint") if userinfo else None,
        algorithms=algorithms,
        token_auth_method=method,
    )


def _client(settings: Settings, meta: Provider, redirect_uri: str) -> Any:
    """Authlib's OAuth 2 client (an httpx2 or httpx ``Client``) for this provider."""
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        token_endpoint_auth_method=meta.token_auth_method,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
        follow_redirects=False,
    )


# --- what the browser carries between the two legs -------------------------------------


@dataclass(frozen=True)
class Pending:
    state: str  # ties the callback to this browser (no login CSRF)
    nonce: str  # ties the ID token to this sign-in (no replay of an old token)
    verifier: str  # PKCE: only who started the flow can redeem the code
    redirect_uri: str  # the token request must repeat it exactly
    next_path: str
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(settings: Settings, body: str) -> str:
    # A key of its own, derived from the secret key, so that this signature can never be
    # mistaken for another use of the same secret.
    key = hmac.new(settings.secret_key.encode(), b"essor.oidc.pending.v1", hashlib.sha256)
    return _b64(hmac.new(key.digest(), body.encode("ascii"), hashlib.sha256).digest())


def seal(settings: Settings, pending: Pending) -> str:
    """``pending`` as a signed, URL-safe cookie value (readable by its holder, not forgeable)."""
    body = _b64(json.dumps(asdict(pending), separators=(",", ":")).encode("utf-8"))
    return body + _signature(settings, body)


def unseal(settings: Settings, value: str | None, *, at: float | None = None) -> Pending | None:
    """The ``Pending`` in a cookie value; None if absent, forged or older than its lifetime."""
    if not value or not _SIGNATURE_CHARS < len(value) <= _MAX_SEALED or not value.isascii():
        return None
    body, signature = value[:-_SIGNATURE_CHARS], value[-_SIGNATURE_CHARS:]
    if not hmac.compare_digest(signature, _signature(settings, body)):
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        pending = Pending(**fields)
    except (ValueError, TypeError):
        return None
    texts = (
        pending.state,
        pending.nonce,
        pending.verifier,
        pending.redirect_uri,
        pending.next_path,
    )
    if not all(isinstance(t, str) for t in texts) or type(pending.issued_at) is not int:
        return None
    age = (time.time() if at is None else at) - pending.issued_at
    return pending if -LEEWAY <= age <= PENDING_MAX_AGE else None


def start(settings: Settings, *, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what it must carry."""
    meta = provider(settings)
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),  # 64 characters; RFC 7636 asks for 43 to 128
        redirect_uri=redirect_uri,
        next_path=next_path,
        issued_at=int(time.time()),
    )
    with _client(settings, meta, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            meta.authorization_endpoint,
            state=pending.state,
            code_verifier=pending.verifier,
            nonce=pending.nonce,
        )
    return cast(str, url), pending


# --- the callback ----------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedEmail:
    email: str
    subject: str


def _key_set(url: str, *, refresh: bool = False) -> KeySet:
    keys = []
    for item in _cached_json(url, refresh=refresh).get("keys") or []:
        if not isinstance(item, dict) or item.get("use", "sig") != "sig":
            continue
        try:
            keys.append(import_key(item))
        except (JoseError, ValueError, TypeError):
            continue  # a key type this library does not know cannot have signed our token
    if not keys:
        raise OidcError("misconfigured", f"no signing key at {url}")
    return KeySet(keys)


def _decode(id_token: str, meta: Provider) -> dict[str, Any]:
    try:
        try:
            token = jwt.decode(id_token, _key_set(meta.jwks_uri), algorithms=meta.algorithms)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since they were cached: fetch them again.
            keys = _key_set(meta.jwks_uri, refresh=True)
            token = jwt.decode(id_token, keys, algorithms=meta.algorithms)
    except (JoseError, ValueError) as exc:
        raise OidcError(
            "invalid_token", f"ID token signature refused: {type(exc).__name__}"
        ) from exc
    return token.claims


def validate_id_token(
    settings: Settings, meta: Provider, id_token: str, *, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature and OpenID Connect Core 3.1.3.7 hold."""
    claims = _decode(id_token, meta)
    client_id = settings.oidc_client_id
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": meta.issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        # The message names the claim, never its value.
        raise OidcError("invalid_token", f"ID token refused: {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # Another audience besides us: the token must say it was issued to us (azp).
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise OidcError("invalid_token", "ID token issued to another party (azp)")
    return claims


def _userinfo(client: Any, meta: Provider, subject: str) -> dict[str, Any]:
    """Email claims from the userinfo endpoint, for providers that leave them out of the ID
    token."""
    if not meta.userinfo_endpoint:
        return {}
    try:
        response = client.get(meta.userinfo_endpoint, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (AuthlibBaseError, *HTTP_ERRORS, ValueError) as exc:
        raise OidcError("provider_unreachable", f"userinfo: {type(exc).__name__}") from exc
    # OpenID Connect Core 5.3.2: an answer about another subject must not be used.
    if not isinstance(data, dict) or data.get("sub") != subject:
        raise OidcError("invalid_token", "userinfo answered about another subject")
    return {k: data[k] for k in ("email", "email_verified") if k in data}


def email_of(claims: dict[str, Any]) -> VerifiedEmail:
    """The verified email: ``email`` present, and ``email_verified`` true when it is sent."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email.strip()) > EMAIL_MAX:
        raise OidcError("no_email", "no usable email claim (is the 'email' scope granted?)")
    email = email.strip().lower()
    if "email_verified" in claims and claims["email_verified"] is not True:
        raise OidcError("email_unverified", email=email)
    return VerifiedEmail(email=email, subject=str(claims["sub"]))


def _error_code(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", value)[:64] or "unknown"


def finish(
    settings: Settings, pending: Pending | None, *, state: str, code: str, error: str
) -> VerifiedEmail:
    """Check the callback against ``pending``, redeem the code, validate the ID token."""
    if pending is None:
        raise OidcError("expired", "no sign-in in progress in this browser, or it took too long")
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise OidcError("state_mismatch", "the callback's state is not this browser's")
    if error or not code:
        raise OidcError("provider_error", f"the provider answered {_error_code(error)}")
    meta = provider(settings)
    with _client(settings, meta, pending.redirect_uri) as client:
        try:
            token = client.fetch_token(
                meta.token_endpoint,
                code=code,
                code_verifier=pending.verifier,
                redirect_uri=pending.redirect_uri,
            )
        except (AuthlibBaseError, *HTTP_ERRORS, ValueError) as exc:
            why = getattr(exc, "error", None) or type(exc).__name__
            raise OidcError("token_refused", f"the token endpoint refused: {why}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("invalid_token", "no ID token in the token response")
        claims = validate_id_token(settings, meta, id_token, nonce=pending.nonce)
        if "email" not in claims:
            claims = {**claims, **_userinfo(client, meta, claims["sub"])}
    return email_of(claims)


def _sign_in(
    settings: Settings,
    verified: VerifiedEmail,
    *,
    ip: str,
    user_agent: str | None,
    replaces: str | None,
) -> SignedIn:
    with write_session(settings) as session:
        person = find_person(session, verified.email)
        if person is None:
            reason = "unknown_email"
        elif not is_employed(person):
            reason = "left"
        elif is_disabled(session, person.id):
            reason = "disabled"
        else:
            return sign_in_person(
                session,
                person,
                days=settings.session_days,
                method="oidc",
                ip=ip,
                user_agent=user_agent,
                replaces=replaces,
            )
    raise OidcError(reason, "not an active person of the directory", email=verified.email)


def complete(
    settings: Settings,
    pending: Pending | None,
    *,
    state: str,
    code: str,
    error: str,
    ip: str,
    user_agent: str | None = None,
    replaces: str | None = None,
) -> SignedIn:
    """The whole callback: a new session (audited ``auth.signin``), or an ``OidcError``
    audited as ``auth.oidc_refused`` with its reason."""
    try:
        verified = finish(settings, pending, state=state, code=code, error=error)
        return _sign_in(settings, verified, ip=ip, user_agent=user_agent, replaces=replaces)
    except OidcError as exc:
        level = logging.ERROR if exc.reason == "misconfigured" else logging.WARNING
        log.log(level, "OpenID Connect sign-in refused (%s): %s", exc.reason, exc)
        with write_session(settings) as session:
            record(
                session,
                None,
                "auth.oidc_refused",
                object_type="person",
                object_id=exc.email[:200],
                outcome="denied",
                detail={"ip": ip, "reason": exc.reason},
            )
        raise
