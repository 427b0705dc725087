"""Periods and ISO weeks for the adoption metrics.

A period is a closed range of days, both ends included, in UTC (the day of an event is the UTC
date of its ``at``). Weeks are ISO weeks, Monday to Sunday; a week is *complete* for a period
once its Sunday is on or before the period's last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DAYS = 28
TREND_WEEKS = 8


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first(self) -> int:
        return self.start.toordinal()

    @property
    def last(self) -> int:
        return self.end.toordinal()

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def default_period(today: date | None = None) -> Period:
    """The last 28 days, today included."""
    end = today or date.today()
    return Period(end - timedelta(days=DEFAULT_DAYS - 1), end)


def period_from(start: date | None, end: date | None, today: date | None = None) -> Period:
    """A period from optional ends: a missing end is today, a missing start 27 days before it."""
    last = end or today or date.today()
    return Period(start or last - timedelta(days=DEFAULT_DAYS - 1), last)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of(ordinal: int) -> int:
    """The ordinal of the Monday of the ISO week of day ``ordinal`` (ordinal 1 is a Monday)."""
    return ordinal - (ordinal - 1) % 7


def complete_weeks(end: date, n: int = TREND_WEEKS) -> list[date]:
    """Mondays of the last ``n`` complete ISO weeks on or before ``end``, oldest first."""
    last_sunday = end if end.weekday() == 6 else monday(end) - timedelta(days=1)
    last_monday = last_sunday - timedelta(days=6)
    return [last_monday - timedelta(weeks=i) for i in range(n - 1, -1, -1)]
