"""The PDF renderer draws text and inline SVG, and never fetches a URL named in the HTML."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator

import pypdf
import pytest

from essor.reports.pdf import html_to_pdf


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def test_pdf_has_the_text_and_fetches_nothing(listener: tuple[int, list[str]]) -> None:
    port, hits = listener
    svg = (
        "data:image/svg+xml;utf8,<svg xmlns=%22http://www.w3.org/2000/svg%22 width=%2210%22"
        " height=%2210%22><rect width=%2210%22 height=%2210%22/></svg>"
    )
    html = (
        f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"></head>'
        f'<body><h1>Manuel de déploiement</h1><img src="http://127.0.0.1:{port}/x.png">'
        f'<img src="file:///etc/passwd"><img src="{svg}"></body></html>'
    )
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Manuel de déploiement" in text
    assert hits == []
