"""Sustainability: the trend of weekly active people, exactly as docs/metrics.md defines it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

from essor.analytics.metric_results import (
    DECLINING,
    GROWING,
    MIN_WEEKS_OF_DATA,
    STABLE,
    TOO_EARLY,
    TREND_THRESHOLD,
    WITHHELD,
    Sustainability,
    WeekPoint,
)


# -- sustainability ------------------------------------------------------------------------
def sustainability(points: Sequence[tuple[date, int]], first_day: date | None) -> Sustainability:
    """The trend of weekly active people (``points``: the last 8 complete weeks, oldest first).

    Weeks of data are the weeks among them that end on or after the scope's first value event;
    under 4 it is too early. Otherwise the least-squares slope over those weeks (x = 0, 1, ...)
    is divided by their mean: growing from +2 %/week, declining from −2 %/week, else stable.
    Computed in exact fractions, so a trend of exactly 2 % is growing.
    """
    weeks = tuple(
        WeekPoint(m, n, first_day is not None and m + timedelta(days=6) >= first_day)
        for m, n in points
    )
    with_data = [w.active for w in weeks if w.has_data]
    if len(with_data) < MIN_WEEKS_OF_DATA:
        return Sustainability(TOO_EARLY, len(with_data), None, None, weeks)
    n = len(with_data)
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(sum(with_data), n)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(with_data))
    variance = sum((x - mean_x) ** 2 for x in range(n))
    slope = Fraction(covariance) / Fraction(variance)
    if mean_y == 0:
        return Sustainability(STABLE, n, 0.0, 0.0, weeks)
    relative = slope / mean_y
    if relative >= TREND_THRESHOLD:
        status = GROWING
    elif relative <= -TREND_THRESHOLD:
        status = DECLINING
    else:
        status = STABLE
    return Sustainability(status, n, float(slope), float(relative), weeks)


def withheld_trend(reason: str) -> Sustainability:
    return Sustainability(WITHHELD, 0, None, None, (), reason)
