"""Dates written out in words ("1er mars 2025", "1 March 2025") for pages and reports.

It lives outside the web package so that reports (Markdown, PDF) can format dates without
importing the web application.
"""

from __future__ import annotations

from datetime import date, datetime

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}


def format_date(value: date | datetime | None, language: str) -> str:
    """A day, month name and year; an unknown language falls back to English; None is ""."""
    if value is None:
        return ""
    month = MONTHS.get(language, MONTHS["en"])[value.month - 1]
    day = "1er" if language == "fr" and value.day == 1 else str(value.day)
    return f"{day} {month} {value.year}"
