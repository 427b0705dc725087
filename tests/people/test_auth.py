"""Sign-in domain on a real migrated SQLite database: password hashing, sign-in and its
throttling, sessions, API tokens, accounts, the ``essor admin`` commands and the schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from essor.cli.admin import app as admin_app
from essor.db import dispose_engines, get_engine, read_session, write_session
from essor.governance.access import SYSTEM, identity_of
from essor.governance.models import AuditEvent, RoleGrant
from essor.models import Base
from essor.people.auth import models as auth_models
from essor.people.auth import sessions, tokens
from essor.people.auth.actions import (
    AccountError,
    SignInFailed,
    SignInThrottled,
    create_admin,
    create_token,
    disable_account,
    enable_account,
    revoke_token,
    set_password,
    sign_in,
    sign_in_person,
    sign_out,
)
from essor.people.auth.clock import now
from essor.people.auth.models import Account, ApiToken, SigninAttempt, WebSession
from essor.people.auth.passwords import (
    WeakPassword,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from essor.people.models import Department, Person
from essor.settings import Settings, reset_settings_cache

PASSWORD = "correct horse battery"
AUTH_TABLES = {"account", "web_session", "api_token", "signin_attempt"}


@pytest.fixture
def people(settings: Settings) -> Settings:
    with write_session(settings) as s:
        dept = Department(code="OPS", name="Operations")
        s.add(dept)
        s.flush()
        for email, status in (("ann@x.example", "active"), ("bob@x.example", "active")):
            person = Person(email=email, name=email[:3], department_id=dept.id, status=status)
            s.add(person)
            s.flush()
            set_password(s, person, PASSWORD, actor=SYSTEM)
    return settings


def person(session: Session, email: str) -> Person:
    return session.scalars(select(Person).where(Person.email == email)).one()


def audit_actions(settings: Settings) -> list[tuple[str, str, str]]:
    with read_session(settings) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.outcome).order_by(
                AuditEvent.id
            )
        ).all()
    return [(a, o, r) for a, o, r in rows]


# --- passwords -----------------------------------------------------------------------------


def test_passwords_are_argon2id_and_salted() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # a random salt each time
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(first)


@pytest.mark.parametrize("weak", ["", "short", "x" * 11, " " * 12, "x" * 1025])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(weak)
    check_strength("x" * 12)


def test_only_the_hash_is_stored(people: Settings) -> None:
    with read_session(people) as s:
        stored = s.scalars(select(Account.password_hash)).all()
    assert len(stored) == 2
    assert all(h and h.startswith("$argon2id$") and PASSWORD not in h for h in stored)


# --- sign-in ---------------------------------------------------------------------------


def test_sign_in_creates_a_session_and_audits_it(people: Settings) -> None:
    signed = sign_in(people, " Ann@X.example ", PASSWORD, ip="10.0.0.1", user_agent="pytest")
    assert signed.identity.email == "ann@x.example"
    with read_session(people) as s:
        row = s.scalars(select(WebSession)).one()
        check = sessions.check_session(s, signed.token, at=now())
        # Only the digest of the cookie token is stored.
        assert row.token_hash == sessions.digest(signed.token) != signed.token
        assert (row.ip, row.user_agent, row.method) == ("10.0.0.1", "pytest", "password")
    assert check.active is not None and check.active.csrf_token == signed.csrf_token
    assert ("auth.signin", "ann@x.example", "ok") in audit_actions(people)


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("ann@x.example", "wrong password!!", "bad_password"),
        ("nobody@x.example", PASSWORD, "unknown_email"),
    ],
)
def test_failed_sign_in_is_one_error_and_audited(
    people: Settings, email: str, password: str, reason: str
) -> None:
    with pytest.raises(SignInFailed) as info:
        sign_in(people, email, password, ip="10.0.0.2")
    assert str(info.value) == "wrong email or password"
    with read_session(people) as s:
        object_id, outcome, detail = s.execute(
            select(AuditEvent.object_id, AuditEvent.outcome, AuditEvent.detail).where(
                AuditEvent.action == "auth.signin_failed"
            )
        ).one()
    assert (object_id, outcome) == (email, "failed")
    assert f'"reason": "{reason}"' in detail and password not in detail


def test_disabled_or_departed_people_cannot_sign_in(people: Settings) -> None:
    with write_session(people) as s:
        disable_account(s, "ann@x.example", actor=SYSTEM)
        bob = person(s, "bob@x.example")
        bob.status = "left"
    for email in ("ann@x.example", "bob@x.example"):
        with pytest.raises(SignInFailed):
            sign_in(people, email, PASSWORD, ip="10.0.0.3")
    with write_session(people) as s:
        enable_account(s, "ann@x.example", actor=SYSTEM)
    assert sign_in(people, "ann@x.example", PASSWORD, ip="10.0.0.3").identity.email


def test_throttling_per_email_across_addresses(people: Settings) -> None:
    for i in range(5):
        with pytest.raises(SignInFailed):
            sign_in(people, "ann@x.example", "wrong password!!", ip=f"10.1.0.{i}")
    with pytest.raises(SignInThrottled) as info:
        sign_in(people, "ann@x.example", PASSWORD, ip="10.1.0.99")
    assert 0 < info.value.retry_after <= 15 * 60
    # Another person from another address is not affected.
    assert sign_in(people, "bob@x.example", PASSWORD, ip="10.1.1.1").identity.email
    assert ("auth.signin_throttled", "ann@x.example", "denied") in audit_actions(people)


def test_throttling_per_address_across_emails(people: Settings) -> None:
    for i in range(5):
        with pytest.raises(SignInFailed):
            sign_in(people, f"guess{i}@x.example", PASSWORD, ip="10.2.0.1")
    with pytest.raises(SignInThrottled):
        sign_in(people, "ann@x.example", PASSWORD, ip="10.2.0.1")
    assert sign_in(people, "ann@x.example", PASSWORD, ip="10.2.0.2").identity.email


def test_success_forgives_only_the_same_address(people: Settings) -> None:
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sign_in(people, "ann@x.example", "wrong password!!", ip="10.3.0.1")
    sign_in(people, "ann@x.example", PASSWORD, ip="10.3.0.1")  # forgives 10.3.0.1's four
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sign_in(people, "ann@x.example", "wrong password!!", ip="10.3.0.2")
    sign_in(people, "ann@x.example", PASSWORD, ip="10.3.0.3")  # forgives nothing of .2
    with pytest.raises(SignInFailed):
        sign_in(people, "ann@x.example", "wrong password!!", ip="10.3.0.2")
    with pytest.raises(SignInThrottled):
        sign_in(people, "ann@x.example", PASSWORD, ip="10.3.0.3")


def test_window_setting_is_honoured(people: Settings) -> None:
    strict = people.model_copy(update={"signin_max_failures": 2})
    for _ in range(2):
        with pytest.raises(SignInFailed):
            sign_in(strict, "bob@x.example", "wrong password!!", ip="10.4.0.1")
    with pytest.raises(SignInThrottled):
        sign_in(strict, "bob@x.example", PASSWORD, ip="10.4.0.1")
    # Failures older than the window no longer count.
    with write_session(people) as s:
        for attempt in s.scalars(select(SigninAttempt)).all():
            attempt.at = now() - timedelta(minutes=16)
    assert sign_in(strict, "bob@x.example", PASSWORD, ip="10.4.0.1").identity.email


# --- sessions --------------------------------------------------------------------------


def test_sign_in_rotates_and_sign_out_ends_the_session(people: Settings) -> None:
    first = sign_in(people, "ann@x.example", PASSWORD, ip="10.5.0.1")
    second = sign_in(people, "ann@x.example", PASSWORD, ip="10.5.0.1", replaces=first.token)
    assert second.token != first.token and second.csrf_token != first.csrf_token
    with read_session(people) as s:
        assert sessions.check_session(s, first.token, at=now()).active is None
        assert sessions.check_session(s, second.token, at=now()).active is not None
    with write_session(people) as s:
        assert sign_out(s, second.token)
        assert not sign_out(s, second.token)
    with read_session(people) as s:
        assert s.scalar(select(func.count(WebSession.id))) == 0
    assert ("auth.signout", "ann@x.example", "ok") in audit_actions(people)


def test_expired_and_departed_sessions_are_dead(people: Settings) -> None:
    with write_session(people) as s:
        ann = person(s, "ann@x.example")
        expired = sessions.create_session(
            s, ann, at=now() - timedelta(days=15), days=14, method="password"
        )
        live = sessions.create_session(s, ann, at=now(), days=14, method="password")
    with read_session(people) as s:
        assert sessions.check_session(s, expired.token, at=now()).dead_id == expired.session_id
        assert sessions.check_session(s, live.token, at=now()).active is not None
        assert sessions.check_session(s, "no-such-token", at=now()).dead_id is None
    with write_session(people) as s:
        person(s, "ann@x.example").status = "left"
    with read_session(people) as s:
        assert sessions.check_session(s, live.token, at=now()).dead_id == live.session_id


def test_disabling_ends_sessions_and_a_password_reset_too(people: Settings) -> None:
    sign_in(people, "ann@x.example", PASSWORD, ip="10.6.0.1")
    with write_session(people) as s:
        assert disable_account(s, "ann@x.example", actor=SYSTEM) == 1
        enable_account(s, "ann@x.example", actor=SYSTEM)
    sign_in(people, "ann@x.example", PASSWORD, ip="10.6.0.1")
    with write_session(people) as s:
        set_password(s, person(s, "ann@x.example"), "another long password", actor=SYSTEM)
    with read_session(people) as s:
        assert s.scalar(select(func.count(WebSession.id))) == 0
    actions = [a for a, _, _ in audit_actions(people)]
    assert "account.disable" in actions and "account.enable" in actions


def test_sign_in_person_is_the_entry_for_other_methods(people: Settings) -> None:
    """What an OpenID Connect callback will call once it has matched a person by email."""
    with write_session(people) as s:
        ann = person(s, "ann@x.example")
        signed = sign_in_person(s, ann, days=1, method="oidc", ip="10.7.0.1")
    assert signed.identity.email == "ann@x.example"
    with write_session(people) as s:
        disable_account(s, "ann@x.example", actor=SYSTEM)
        ann = person(s, "ann@x.example")
        with pytest.raises(SignInFailed):
            sign_in_person(s, ann, days=1, method="oidc")


# --- API tokens ------------------------------------------------------------------------


def test_tokens_are_hashed_act_as_their_owner_and_can_be_revoked(people: Settings) -> None:
    with write_session(people) as s:
        ann = person(s, "ann@x.example")
        raw, info = create_token(s, identity_of(s, ann), "  nightly   report ")
    assert info.name == "nightly report"
    assert raw.startswith(f"essor_{info.prefix}_") and tokens.looks_like_token(raw)
    with read_session(people) as s:
        stored = s.scalars(select(ApiToken.token_hash)).one()
        use = tokens.check_token(s, raw, at=now())
        assert tokens.check_token(s, raw + "x", at=now()) is None
        assert tokens.check_token(s, "essor_0000", at=now()) is None
    assert stored == sessions.digest(raw) and raw not in stored
    assert use is not None and use.identity.email == "ann@x.example"

    # Another person cannot revoke it; the owner can.
    with write_session(people) as s:
        bob = person(s, "bob@x.example")
        assert not revoke_token(s, identity_of(s, bob), info.id)
        ann = person(s, "ann@x.example")
        assert revoke_token(s, identity_of(s, ann), info.id)
    with read_session(people) as s:
        assert tokens.check_token(s, raw, at=now()) is None
        listed = tokens.list_tokens(s, ann.id)
    assert [t.active for t in listed] == [False]
    assert "token" not in listed[0].as_dict() and raw not in str(listed[0].as_dict())
    assert ("token.revoke", str(info.id), "denied") in audit_actions(people)
    assert ("token.create", str(info.id), "ok") in audit_actions(people)


def test_a_disabled_owners_tokens_stop_working(people: Settings) -> None:
    with write_session(people) as s:
        bob = person(s, "bob@x.example")
        raw, _ = create_token(s, identity_of(s, bob), "ci")
        disable_account(s, "bob@x.example", actor=SYSTEM)
    with read_session(people) as s:
        assert tokens.check_token(s, raw, at=now()) is None
    with write_session(people) as s:
        enable_account(s, "bob@x.example", actor=SYSTEM)
    with read_session(people) as s:
        assert tokens.check_token(s, raw, at=now()) is not None


@pytest.mark.parametrize(("name", "code"), [("   ", "name_missing"), ("x" * 101, "name_too_long")])
def test_token_names_are_checked(people: Settings, name: str, code: str) -> None:
    with write_session(people) as s:
        ann = person(s, "ann@x.example")
        with pytest.raises(AccountError) as info:
            create_token(s, identity_of(s, ann), name)
    assert info.value.code == code


# --- administrators --------------------------------------------------------------------


def test_create_admin_adds_the_person_grants_the_role_and_audits(settings: Settings) -> None:
    with write_session(settings) as s:
        admin = create_admin(s, "Root@X.example", password=PASSWORD, actor=SYSTEM, name="Root")
        assert admin.department_id is None and admin.name == "Root"
    with read_session(settings) as s:
        roles = s.scalars(select(RoleGrant.role)).all()
    assert roles == ["administrator"]
    signed = sign_in(settings, "root@x.example", PASSWORD, ip="10.8.0.1")
    assert signed.identity.is_admin
    actions = audit_actions(settings)
    assert ("admin.create", "root@x.example", "ok") in actions
    assert ("role.grant", "root@x.example", "ok") in actions


@pytest.mark.parametrize(
    ("email", "password"), [("not-an-email", PASSWORD), ("ok@x.example", "too short")]
)
def test_create_admin_refuses_bad_input(settings: Settings, email: str, password: str) -> None:
    with pytest.raises((AccountError, WeakPassword)), write_session(settings) as s:
        create_admin(s, email, password=password, actor=SYSTEM)
    with read_session(settings) as s:
        assert s.scalar(select(func.count(Person.id))) == 0


# --- schema ----------------------------------------------------------------------------


def test_migration_matches_the_models(settings: Settings) -> None:
    # The auth tables are part of the metadata Alembic compares against.
    assert set(Base.metadata.tables) >= AUTH_TABLES
    assert auth_models.Account.__tablename__ == "account"
    with get_engine(settings).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if AUTH_TABLES & set(str(d).split("'"))]
    assert mine == []


# --- ``essor admin`` -------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ESSOR_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COLUMNS", "200")
    reset_settings_cache()
    yield CliRunner()
    dispose_engines()
    reset_settings_cache()


def cli_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "cli-data", _env_file=None)


def test_cli_create_admin_from_stdin_then_sign_in(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        admin_app,
        ["create", "chief@x.example", "--name", "Chief", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "chief@x.example is an administrator" in result.output
    assert PASSWORD not in result.output
    settings = cli_settings(tmp_path)
    assert sign_in(settings, "chief@x.example", PASSWORD, ip="10.9.0.1").identity.is_admin
    assert ("admin.create", "chief@x.example", "ok") in audit_actions(settings)


def test_cli_create_admin_prompts_twice_hidden(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(admin_app, ["create", "chief@x.example"], input=f"{PASSWORD}\n" * 2)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    mismatch = runner.invoke(
        admin_app, ["create", "other@x.example"], input=f"{PASSWORD}\nsomething else\n" * 1
    )
    assert mismatch.exit_code != 0


def test_cli_refuses_a_short_password(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        admin_app, ["create", "chief@x.example", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output
    with read_session(cli_settings(tmp_path)) as s:
        assert s.scalar(select(func.count(Person.id))) == 0


def test_cli_disable_and_enable(runner: CliRunner, tmp_path: Path) -> None:
    created = runner.invoke(
        admin_app, ["create", "chief@x.example", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert created.exit_code == 0, created.output
    settings = cli_settings(tmp_path)
    sign_in(settings, "chief@x.example", PASSWORD, ip="10.9.1.1")
    disabled = runner.invoke(admin_app, ["disable", "chief@x.example"])
    assert disabled.exit_code == 0, disabled.output
    assert "1 session(s) ended" in disabled.output
    with pytest.raises(SignInFailed):
        sign_in(settings, "chief@x.example", PASSWORD, ip="10.9.1.1")
    again = runner.invoke(
        admin_app, ["create", "chief@x.example", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert again.exit_code == 2 and "disabled" in again.output
    assert runner.invoke(admin_app, ["enable", "chief@x.example"]).exit_code == 0
    assert sign_in(settings, "chief@x.example", PASSWORD, ip="10.9.1.1").identity.email
    unknown = runner.invoke(admin_app, ["disable", "ghost@x.example"])
    assert unknown.exit_code == 2 and "no person" in unknown.output
