"""Sign-ins for the demo administrator and member.

Passwords are random, made on the first seed and kept in ``demo-credentials.json`` in the
data directory (readable by its owner only), so every ``essor demo`` can print them again
and no password is written in the code or the docs.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.demo.people import ADMIN_EMAIL, MEMBER_EMAIL
from essor.governance.access import SYSTEM
from essor.people.auth.actions import set_password
from essor.people.auth.models import Account
from essor.people.models import Person
from essor.settings import Settings

FILE = "demo-credentials.json"


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def ensure_demo_accounts(session: Session, settings: Settings) -> dict[str, str]:
    """Email -> password of the demo sign-ins, creating them (or their passwords) if missing."""
    path = settings.data_dir / FILE
    known = _load(path)
    changed = False
    for email in (ADMIN_EMAIL, MEMBER_EMAIL):
        person = session.execute(select(Person).where(Person.email == email)).scalar_one()
        has_account = session.get(Account, person.id) is not None
        if email in known and has_account:
            continue
        known[email] = secrets.token_urlsafe(12)
        set_password(session, person, known[email], actor=SYSTEM)
        changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(known, fh, indent=2)
    return {email: known[email] for email in (ADMIN_EMAIL, MEMBER_EMAIL)}
