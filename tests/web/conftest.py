"""A real server on a free 127.0.0.1 port, over a real database seeded with the demo.

Besides the demo, a ``test-escaping`` collection holds hostile documents (script tags, event
handler attributes, ``javascript:`` links) so pages can be checked for escaping.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from essor.db import dispose_engines
from essor.demo.seed import seed_demo
from essor.knowledge.actions import ingest_path
from essor.knowledge.index import reset_backends
from essor.settings import Settings
from essor.web import create_app

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


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("essor-web-data")
    return Settings(data_dir=data_dir, environment="test", _env_file=None)


@pytest.fixture(scope="session")
def seeded(web_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    summary = seed_demo(web_settings)
    assert summary["errors"] == []
    docs, jsonl = _write_hostile_documents(tmp_path_factory.mktemp("hostile"))
    for path in (docs, jsonl):
        result = ingest_path(path, HOSTILE_COLLECTION, settings=web_settings)
        assert result.errors == [], result.as_dict()
    return summary


def _free_socket() -> socket.socket:
    # Binding port 0 and handing the socket itself to uvicorn leaves no window in which
    # another process could take the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def base_url(web_settings: Settings, seeded: dict[str, object]) -> Iterator[str]:
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(web_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        dispose_engines()
        reset_backends()


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c
