"""Charts drawn on the server as SVG: readable without JavaScript, printable in a PDF.

Every label is escaped here, so a department or workflow name can never inject markup into the
page or the report. Each chart carries a ``<title>`` and a ``<desc>`` listing its values, so a
screen reader (and a PDF text search) gets the numbers, not just the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind-safe palette (Okabe & Ito), in the order series get them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FONT = "font-family='sans-serif' font-size='11'"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no figure for that point (a gap, never a zero)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(value)


def _open(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}'"
        f" viewBox='0 0 {width} {height}' class='chart'>",
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    percent: bool = False,
) -> str:
    """Lines over shared x labels (weeks, days), with a legend under the plot."""
    left, right, top, bottom = 48, 12, 12, 40 + 16 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    n = max(len(x_labels), 1)

    def x_at(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    def label(v: float) -> str:
        return f"{v * 100:.0f} %" if percent else _fmt(v)

    desc = "; ".join(
        f"{s.name}: "
        + ", ".join(
            f"{x} {label(v) if v is not None else '-'}"
            for x, v in zip(x_labels, s.values, strict=False)
        )
        for s in series
    )
    out = _open(width, height, title, desc)
    for k in range(5):
        tick = y_max * k / 4
        y = y_at(tick)
        out.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ddd'/>"
        )
        out.append(
            f"<text x='{left - 4}' y='{y + 4:.1f}' text-anchor='end' {FONT}>{label(tick)}</text>"
        )
    every = max(1, n // 8)
    for i, x in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            out.append(
                f"<text x='{x_at(i):.1f}' y='{top + plot_h + 14}' text-anchor='middle' {FONT}>"
                f"{escape(x)}</text>"
            )
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, point in enumerate(s.values[:n]):
            if point is None:
                runs.append([])
                continue
            runs[-1].append(f"{x_at(i):.1f},{y_at(point):.1f}")
        for points in runs:
            if len(points) > 1:
                out.append(
                    f"<polyline fill='none' stroke='{colour}' stroke-width='2'"
                    f" points='{' '.join(points)}'/>"
                )
            elif points:
                cx, cy = points[0].split(",")
                out.append(f"<circle cx='{cx}' cy='{cy}' r='2.5' fill='{colour}'/>")
        lx = left + (index % 3) * (plot_w // 3)
        ly = top + plot_h + 32 + 16 * (index // 3)
        out.append(f"<rect x='{lx}' y='{ly - 9}' width='10' height='10' fill='{colour}'/>")
        out.append(f"<text x='{lx + 14}' y='{ly}' {FONT}>{escape(s.name)}</text>")
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    bars: Sequence[tuple[str, float | None]],
    *,
    title: str,
    width: int = 640,
    percent: bool = False,
    threshold: float | None = None,
) -> str:
    """Horizontal bars, one per label; ``None`` draws no bar and says so (withheld figure)."""
    row, left, right, top = 22, 170, 60, 8
    height = top * 2 + row * max(len(bars), 1)
    values = [v for _, v in bars if v is not None]
    x_max = 1.0 if percent else _nice_max(max(values, default=0.0))
    plot_w = width - left - right

    def label(v: float | None) -> str:
        if v is None:
            return "—"
        return f"{v * 100:.0f} %" if percent else _fmt(v)

    desc = "; ".join(f"{name}: {label(v)}" for name, v in bars)
    out = _open(width, height, title, desc)
    for i, (name, v) in enumerate(bars):
        y = top + i * row
        shown = name if len(name) <= 26 else name[:25] + "…"
        out.append(
            f"<text x='{left - 6}' y='{y + 15}' text-anchor='end' {FONT}>{escape(shown)}</text>"
        )
        w = 0.0 if v is None else plot_w * min(max(v, 0.0), x_max) / x_max
        out.append(
            f"<rect x='{left}' y='{y + 4}' width='{w:.1f}' height='{row - 8}' fill='{PALETTE[0]}'/>"
        )
        out.append(f"<text x='{left + w + 4:.1f}' y='{y + 15}' {FONT}>{escape(label(v))}</text>")
    if threshold is not None and 0 <= threshold <= x_max:
        x = left + plot_w * threshold / x_max
        out.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top}' y2='{height - top}' stroke='{PALETTE[3]}'"
            " stroke-dasharray='4 3'/>"
        )
    out.append("</svg>")
    return "".join(out)
