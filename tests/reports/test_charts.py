"""Server-side SVG charts: valid XML, escaped labels, values in the description, gaps kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from essor.reports.charts import Series, bar_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & co"


def test_line_chart_is_valid_svg_with_escaped_labels_and_values() -> None:
    svg = line_chart(
        [Series(HOSTILE, [1, 2, None, 4]), Series("Support", [0, 0, 1, 1])],
        ["W1", "W2", "W3", "W4"],
        title="Weekly active people",
    )
    root = ET.fromstring(svg)  # raises on malformed XML
    assert "<script>" not in svg
    assert root.find(f"{NS}title").text == "Weekly active people"  # type: ignore[union-attr]
    desc = root.find(f"{NS}desc").text or ""  # type: ignore[union-attr]
    assert f"{HOSTILE}: W1 1, W2 2, W3 -, W4 4" in desc
    # The gap splits the first series into a line and a lone point, never a drop to zero.
    assert len(root.findall(f"{NS}polyline")) == 2
    assert len(root.findall(f"{NS}circle")) == 1


def test_bar_chart_percent_and_withheld_values() -> None:
    svg = bar_chart(
        [("Sales", 0.25), ("HR", None), ("Very long department name over the limit", 1.0)],
        title="Depth",
        percent=True,
        threshold=0.1,
    )
    root = ET.fromstring(svg)
    desc = root.find(f"{NS}desc").text or ""  # type: ignore[union-attr]
    assert desc == "Sales: 25 %; HR: —; Very long department name over the limit: 100 %"
    widths = [float(r.get("width", "0")) for r in root.findall(f"{NS}rect")]
    assert widths[1] == 0.0
    assert widths[2] == 4 * widths[0]
    assert root.find(f"{NS}line") is not None  # the threshold line


def test_empty_charts_still_render() -> None:
    ET.fromstring(line_chart([], [], title="Nothing"))
    ET.fromstring(bar_chart([], title="Nothing"))
