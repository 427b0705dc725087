"""``essor purge``: apply the retention settings to the usage events (run it daily)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from essor.analytics.purge import purge
from essor.analytics.rollups import catch_up
from essor.cli.common import console, print_json, ready_settings
from essor.db import read_session, write_session


def purge_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete usage events older than ESSOR_EVENT_RETENTION_DAYS and blank question text older
    than ESSOR_QUESTION_TEXT_RETENTION_DAYS (rollups keep their aggregate counts)."""
    settings = ready_settings()
    now = datetime.now(UTC)
    if dry_run:
        with read_session(settings) as session:
            result = purge(session, settings, now=now, dry_run=True)
    else:
        # The purge keeps events the rollups have not applied yet: apply them first.
        catch_up(settings)
        with write_session(settings) as session:
            result = purge(session, settings, now=now)
    if as_json:
        print_json(result.as_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    blank = "would blank" if dry_run else "blanked"
    console.print(
        f"{verb} {result.events_deleted} usage events from before "
        f"{result.events_before:%Y-%m-%d %H:%M} UTC "
        f"({result.feedback_deleted} of them newer feedback about older answers); "
        f"{blank} the question text of {result.texts_blanked} events from before "
        f"{result.text_before:%Y-%m-%d %H:%M} UTC"
        + (
            f"; {result.events_waiting} old events wait for the rollups (essor rollup)"
            if result.events_waiting
            else ""
        ),
        highlight=False,
    )
