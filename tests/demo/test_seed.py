"""The demo organisation: seeding is idempotent and every suggested question is answered well."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from essor.assistant.answer import ask
from essor.db import dispose_engines, read_session
from essor.demo.seed import DEMO_QUESTIONS, DOCUMENTS, seed_demo
from essor.governance.access import SYSTEM
from essor.knowledge.index import reset_backends
from essor.settings import Settings

COLLECTIONS = {"hr", "customer-service", "sales", "operations", "training"}
MARKDOWN_FILES = sorted(DOCUMENTS.rglob("*.md"))

# Every suggested question, the document that must come first and a fact the answer must quote.
EXPECTED: dict[str, tuple[str, str]] = {
    "How many days of annual leave do I get?": ("en/annual-leave.md", "25 working days"),
    "How many days a week can I work remotely?": ("en/remote-work.md", "two days per week"),
    "What is the hotel limit per night in London?": ("en/expenses.md", "150 pounds"),
    "How many weeks of second-parent leave are paid?": ("en/parental-leave.md", "six weeks"),
    "How long does a customer have to return unused hardware?": (
        "en/refunds-and-returns.md",
        "within 30 days of delivery",
    ),
    "What happens after five failed sign-in attempts?": ("en/password-reset.md", "15 minutes"),
    "Combien de jours de congés payés ai-je par an ?": ("fr/conges-payes.md", "25 jours ouvrés"),
    "Combien de jours de télétravail par semaine ?": (
        "fr/teletravail.md",
        "deux jours par semaine",
    ),
    "Quel est le plafond de remboursement d'un repas en déplacement ?": (
        "fr/notes-de-frais.md",
        "25 euros par repas",
    ),
    "Quel est le délai pour obtenir un ordinateur portable ?": (
        "fr/demande-ordinateur-portable.md",
        "cinq jours ouvrés",
    ),
    "Combien coûte Relais Pro par site ?": ("fr/fiche-produit-relais.md", "249 euros"),
    "Combien de jours de RTT pour les cadres au forfait jours ?": (
        "fr/conges-payes.md",
        "10 jours de RTT",
    ),
}


@dataclass
class Seeded:
    settings: Settings
    first: dict[str, object]
    second: dict[str, object]
    progress: list[str]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir = tmp_path_factory.mktemp("essor-demo")
    settings = Settings(data_dir=data_dir, _env_file=None)
    progress: list[str] = []
    first = seed_demo(settings, progress=lambda _n, item: progress.append(item))
    second = seed_demo(settings)
    yield Seeded(settings, first, second, progress)
    dispose_engines()
    reset_backends()


def collections_of(summary: dict[str, object]) -> dict[str, dict[str, object]]:
    entries = summary["collections"]
    assert isinstance(entries, list)
    return {str(e["name"]): e for e in entries}


def test_first_seed_adds_every_document(seeded: Seeded) -> None:
    summary = seeded.first
    assert summary["errors"] == []
    assert summary["added"] == len(MARKDOWN_FILES) == summary["documents"]
    by_name = collections_of(summary)
    assert set(by_name) == COLLECTIONS
    for name, entry in by_name.items():
        on_disk = len(list((DOCUMENTS / name).rglob("*.md")))
        assert entry["documents"] == entry["added"] == on_disk > 0, name


def test_second_seed_changes_nothing(seeded: Seeded) -> None:
    summary = seeded.second
    assert summary["added"] == 0
    assert summary["updated"] == 0
    assert summary["removed"] == 0
    assert summary["unchanged"] == len(MARKDOWN_FILES)
    assert summary["documents"] == len(MARKDOWN_FILES)
    assert summary["errors"] == []


def test_progress_names_each_file_with_its_collection(seeded: Seeded) -> None:
    expected = {p.relative_to(DOCUMENTS).as_posix() for p in MARKDOWN_FILES}
    assert set(seeded.progress) == expected


def test_every_suggested_question_has_an_expectation() -> None:
    assert set(DEMO_QUESTIONS) == {"fr", "en"}
    for questions in DEMO_QUESTIONS.values():
        assert 4 <= len(questions) <= 6
    assert {q for qs in DEMO_QUESTIONS.values() for q in qs} == set(EXPECTED)


@pytest.mark.parametrize(
    ("language", "question"),
    [(lang, q) for lang, qs in DEMO_QUESTIONS.items() for q in qs],
)
def test_suggested_question_is_answered_from_the_right_document(
    seeded: Seeded, language: str, question: str
) -> None:
    document, fact = EXPECTED[question]
    with read_session(seeded.settings) as session:
        answer = ask(session, question, reader=SYSTEM, settings=seeded.settings)
    assert not answer.abstained, question
    assert answer.language == language
    assert answer.sources[0].document_ref == document, [s.document_ref for s in answer.sources]
    assert fact in answer.text, answer.text


# --- the documents themselves -----------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
HOST = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.IGNORECASE)


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.relative_to(DOCUMENTS).as_posix())
def test_demo_document_is_well_formed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    words = len(text.split())
    assert 300 <= words <= 900, f"{words} words"
    assert text.startswith("# ")
    assert len(re.findall(r"^## ", text, re.MULTILINE)) >= 3
    # Only the reserved .example domain may appear in addresses and links.
    for domain in EMAIL.findall(text):
        assert domain.endswith(".example"), domain
    for host in HOST.findall(text):
        if "." in host and not re.fullmatch(r"[\d.]+", host):
            assert host.lower().endswith(".example"), host


def test_demo_is_bilingual() -> None:
    for name in ("hr", "operations", "training"):
        assert list((DOCUMENTS / name / "fr").glob("*.md")), name
        assert list((DOCUMENTS / name / "en").glob("*.md")), name
    assert len(MARKDOWN_FILES) >= 16


def test_directory_and_visibilities(seeded: Seeded) -> None:
    from sqlalchemy import func, select

    from essor.demo.people import ADMIN_EMAIL, MEMBER_EMAIL
    from essor.governance.access import Reader, identity_for
    from essor.knowledge.search import search
    from essor.people.models import Person

    with read_session(seeded.settings) as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() > 300
        admin = identity_for(s, ADMIN_EMAIL)
        member = identity_for(s, MEMBER_EMAIL)
        hr_head = identity_for(s, "head.hr@essor-demo.example")
        assert admin is not None and admin.is_admin
        assert member is not None and not member.is_admin and hr_head is not None
        query = "Cadran price per licence"
        as_member = search(s, query, reader=Reader(member), settings=seeded.settings)
        as_hr = search(s, query, reader=Reader(hr_head), settings=seeded.settings)
    # Sales sheets are for sales and customer service, not for HR.
    assert any(p.collection == "sales" for p in as_member)
    assert all(p.collection not in {"sales", "customer-service"} for p in as_hr)


def test_demo_is_mid_rollout(seeded: Seeded) -> None:
    from sqlalchemy import func, select

    from essor.budget.models import CostLine
    from essor.demo.seed import seed_demo
    from essor.governance.access import SYSTEM
    from essor.people.queries import find_department
    from essor.rollout.models import StageChange
    from essor.rollout.queries import overview, stage_history

    with read_session(seeded.settings) as s:
        stages = {r.code: r.stage for r in overview(s, seeded.settings, reader=SYSTEM)}
        moves = s.execute(select(func.count()).select_from(StageChange)).scalar_one()
    assert stages["IT"] == "adopted" and stages["CS"] == "rolling_out" and stages["HR"] == "pilot"
    assert {stages[c] for c in ("SALES", "OPS", "FIN", "TRAIN")} == {"planned"}
    # The history is spread over the past months, in stage order, never all on seeding day.
    with read_session(seeded.settings) as s:
        it = stage_history(s, find_department(s, "IT").id)  # type: ignore[union-attr]
        lines = s.scalar(select(func.count()).select_from(CostLine))
    days = [(date.today() - datetime.fromisoformat(m.at).date()).days for m in it]
    assert [m.to_stage for m in it] == ["pilot", "rolling_out", "adopted"]
    assert days == [120, 96, 21]
    assert lines  # the demo budget has its example cost lines
    seed_demo(seeded.settings)  # seeding again keeps the rollout as it is
    with read_session(seeded.settings) as s:
        assert s.execute(select(func.count()).select_from(StageChange)).scalar_one() == moves
