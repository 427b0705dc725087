"""The web application: server-rendered pages and the JSON API."""

from __future__ import annotations

from essor.web.app import create_app

__all__ = ["create_app"]
