"""Entry point of the ``essor`` command.

Each command's module is imported only when that command runs (or when the help lists it):
importing them all would load the web server, the search index and the PDF renderer before
``essor metrics`` could print a figure.
"""

from __future__ import annotations

import importlib
import os
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer import _click as click
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

from essor import __version__

# name -> (module under essor.cli, attribute, whether it is a Typer of subcommands), in the
# order the help lists them.
_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "ingest": ("knowledge", "ingest", False),
    "search": ("knowledge", "search_cmd", False),
    "ask": ("knowledge", "ask_cmd", False),
    "collections": ("knowledge", "collections_cmd", False),
    "embed": ("embed", "embed", False),
    "serve": ("serve", "serve", False),
    "demo": ("serve", "demo", False),
    "budget": ("budget", "budget_cmd", False),
    "purge": ("purge", "purge_cmd", False),
    "metrics": ("metrics", "metrics", False),
    "rollup": ("metrics", "rollup", False),
    "simulate": ("simulate", "simulate", False),
    "eval": ("evaluate", "app", True),
    "collection": ("governance", "collection_app", True),
    "role": ("governance", "role_app", True),
    "people": ("people", "app", True),
    "admin": ("admin", "app", True),
    "workflow": ("workflow", "app", True),
    "rollout": ("rollout", "app", True),
    "champions": ("champions", "app", True),
}


class _LazyGroup(TyperGroup):
    """Builds a command from its module the first time it is asked for, exactly as
    ``app.command(name)(function)`` or ``app.add_typer(sub_app, name=name)`` would have."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*_COMMANDS, *(name for name in self.commands if name not in _COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            self.commands[cmd_name] = _load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Typer suggests close names from the commands built so far: none, here.
        try:
            return self._click_resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def _load(name: str) -> click.Command:
    module_name, attribute, is_group = _COMMANDS[name]
    target: Any = getattr(importlib.import_module(f"essor.cli.{module_name}"), attribute)
    if is_group:
        return typer.main.get_group_from_info(
            TyperInfo(target, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=app.suggest_commands,
            rich_markup_mode=app.rich_markup_mode,
        )
    holder = typer.Typer()
    holder.command(name)(target)
    info: CommandInfo = holder.registered_commands[0]
    return typer.main.get_command_from_info(
        info,
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = typer.Typer(
    cls=_LazyGroup,
    help="Essor: grounded answers over your organisation's documents, and a rollout cockpit.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"essor {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where Essor keeps its data (overrides ESSOR_DATA_DIR).", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    if data_dir is not None:
        os.environ["ESSOR_DATA_DIR"] = str(data_dir)
    # Imported here, not at the top: settings pull in pydantic-settings, which --version and
    # --help do not need.
    from essor.settings import reset_settings_cache

    reset_settings_cache()
