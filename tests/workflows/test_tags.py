"""A workflow whose scope names tags quotes only documents carrying one of them."""

from __future__ import annotations

from pathlib import Path

from essor.db import read_session
from essor.governance.access import SYSTEM
from essor.knowledge.actions import ingest_path
from essor.settings import Settings
from essor.workflows.loader import load_text
from essor.workflows.runner import run_workflow

DEFINITION = """
id: vpn-helper
department: all
status: production
owner: it@example.org
title: {fr: Aide VPN, en: VPN helper}
description: {fr: Jeton VPN., en: VPN token.}
inputs:
  - name: question
    type: text
    label: {fr: Question, en: Question}
scope:
  collections: [it]
  tags: [{tags}]
sections:
  - id: answer
    title: {fr: Réponse, en: Answer}
    query: "{question}"
minutes_saved: 3
"""


def test_scope_tags_keep_only_tagged_documents(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "it"
    folder.mkdir()
    (folder / "vpn.md").write_text(
        "---\ntags: [vpn]\n---\n# VPN token\n\nReset the VPN token from the IT portal.\n"
    )
    (folder / "wifi.md").write_text(
        "# Wi-Fi token\n\nReset the Wi-Fi token from the IT portal reception page.\n"
    )
    ingest_path(folder, "it", settings=settings)
    for tags, expected in [("vpn", {"vpn.md"}), ("", {"vpn.md", "wifi.md"})]:
        definition = load_text(DEFINITION.replace("{tags}", tags))
        with read_session(settings) as s:
            result = run_workflow(
                s,
                definition,
                {"question": "How do I reset the token from the IT portal?"},
                reader=SYSTEM,
                language="en",
                settings=settings,
            )
        assert {src.document_ref for src in result.sources} == expected
