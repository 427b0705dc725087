"""HTML to PDF with WeasyPrint, without any network or file access.

Reports embed user-written text (journal entries, evidence, story titles). A stylesheet or image
URL in that text must never make the server fetch something: only inline ``data:`` URLs are
allowed, which is how charts (SVG) are embedded.
"""

from __future__ import annotations


class PdfError(RuntimeError):
    pass


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document (inline CSS, data: images) to PDF bytes."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:  # Pango missing: WeasyPrint fails at import with an OSError.
        raise PdfError(
            "PDF export needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        ) from exc
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1, allow_redirects=False)
    pdf: bytes = HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    return pdf
