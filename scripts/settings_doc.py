"""Rewrite the table of docs/settings.md from the Settings class (notes below it are kept)."""

from __future__ import annotations

from pathlib import Path

from essor.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
START, END = "| variable | default | meaning |", "\nNotes:"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = [START, "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `ESSOR_{name.upper()}` | `{field.default}` | {field.description} |")
    head, rest = text.split(START, 1)
    tail = rest[rest.index(END) :]
    DOC.write_text(head + "\n".join(rows) + "\n" + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
