"""Tips in context on workspace pages: ``tips_for(request, target, ...)`` gives the tips a
page shows (and counts them as displayed); ``POST /tips/{id}/dismiss`` hides one for good.

A page calls ``tips_for`` when its own data is gathered (an answer, search results): the
display count is one UPDATE in its own short write transaction, so it never holds SQLite's
write lock while a search or a model call runs.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from essor.db import read_session, write_session
from essor.training.actions import TrainingError
from essor.training.queries import tier_of
from essor.training.tips import ShownTip, count_displays, dismiss, tips_to_show
from essor.web import i18n_champions
from essor.web.i18n import COOKIE, negotiate
from essor.web.identity import reader_of, require_identity, settings_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
i18n_champions.merge()


def _language(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )


def tips_for(request: Request, *targets: str) -> list[ShownTip]:
    """The tips for these targets (a page key such as ``ask`` or ``workflow:<id>``) that the
    signed-in person has not dismissed and that match their tier; counted as displayed."""
    identity = reader_of(request).identity
    if identity is None or not targets:
        return []
    settings = settings_of(request)
    with read_session(settings) as session:
        shown = tips_to_show(
            session,
            person_id=identity.person_id,
            tier=tier_of(session, identity.person_id),
            targets=targets,
            language=_language(request),
        )
    if shown:
        try:
            with write_session(settings) as session:
                count_displays(session, [tip.id for tip in shown])
        except OperationalError:
            # A count lost to a locked database is better than a page that fails for it.
            log.warning("tip displays not counted: the database is busy", exc_info=True)
    return shown


def local_path(value: str | None, default: str = "/") -> str:
    """Where to go back after a form: a path of this site only (never ``//host`` or a URL)."""
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


@router.post("/tips/{tip_id}/dismiss")
async def dismiss_tip(request: Request, tip_id: int) -> Response:
    require_identity(request)
    form = await request.form()
    back = form.get("next")
    await run_in_threadpool(_dismiss, request, tip_id)
    return RedirectResponse(local_path(back if isinstance(back, str) else None), status_code=303)


def _dismiss(request: Request, tip_id: int) -> None:
    try:
        with write_session(settings_of(request)) as session:
            dismiss(session, tip_id, actor=reader_of(request))
    except TrainingError:
        raise HTTPException(404, "no such tip") from None
