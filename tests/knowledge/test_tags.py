"""Document tags from Markdown front matter and from export fields, and filtering by tag."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from essor.db import read_session
from essor.knowledge.actions import ingest_path
from essor.knowledge.models import Document
from essor.knowledge.queries import documents_with_tags
from essor.settings import Settings


def test_tags_from_front_matter_and_exports(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "leave.md").write_text(
        "---\ntitle: Leave policy\ntags: [HR, Leave,  Policy ]\n---\n"
        "# Leave\n\nTwenty-five days.\n",
        encoding="utf-8",
    )
    (folder / "plain.md").write_text("# Plain\n\nNo tags at all here.\n", encoding="utf-8")
    export = tmp_path / "export.jsonl"
    export.write_text(
        json.dumps(
            {
                "id": "sp:F1",
                "title": "Congés",
                "text": "Cinq semaines de congés payés.",
                "department": "hr",
                "doc_type": "fiche-service-public",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ingest_path(folder, "docs", settings=settings)
    ingest_path(export, "export", settings=settings)
    with read_session(settings) as s:
        tags = dict(s.execute(select(Document.external_id, Document.tags)).all())
        assert tags["leave.md"] == "|hr|leave|policy|"
        assert tags["plain.md"] == ""
        assert tags["sp:F1"] == "|hr|fiche-service-public|"
        ids = {ref: i for ref, i in s.execute(select(Document.external_id, Document.id)).all()}
        found = documents_with_tags(s, ids.values(), ["Leave", "nope"])
        assert found == {ids["leave.md"]}
        assert documents_with_tags(s, ids.values(), ["hr"]) == {ids["leave.md"], ids["sp:F1"]}
        # A tag matches whole: "lea" is not "leave".
        assert documents_with_tags(s, ids.values(), ["lea"]) == set()
        assert documents_with_tags(s, [], ["hr"]) == set()
