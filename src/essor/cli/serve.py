"""``essor serve`` and ``essor demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from essor.cli.common import console, progress_bar, ready_settings


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Serve the web app."""
    import uvicorn

    from essor.web.app import create_app

    settings = ready_settings()
    host = host or settings.host
    port = port or settings.port
    console.print(f"Essor is serving on [bold]http://{host}:{port}[/bold] (Ctrl+C to stop)")
    # Essor decides itself which proxies to believe (ESSOR_TRUSTED_PROXIES); uvicorn's own
    # forwarded-header handling would rewrite the client address before that check.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only, do not serve.")] = False,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Seed the demo organisation in the data directory, then serve it."""
    from essor.demo.seed import describe, seed_demo

    settings = ready_settings()
    with progress_bar() as bar:
        task = bar.add_task("Seeding demo", total=None, item="")
        summary = seed_demo(
            settings, progress=lambda a, item: bar.update(task, advance=a, item=item)
        )
    lines = describe(summary)
    console.print(f"Demo organisation ready in [bold]{settings.data_dir}[/bold]: {lines[0]}")
    for line in lines[1:]:
        console.print(line, style="red" if line.startswith("problem") else "bold", highlight=False)
    if not no_serve:
        serve(host=host, port=port)
