"""Reading a posted form whose fields are all text."""

from __future__ import annotations

from fastapi import Request


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields by name (the last value of a repeated name); uploaded
    files are left out."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}
