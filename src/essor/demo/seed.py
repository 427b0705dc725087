"""Seed the demo organisation, Essor Demo SA: one collection per folder of ``documents/``.

Seeding is idempotent: ingest skips files whose content hash is unchanged, and documents that
were removed from the demo folder are pruned, so running it again only applies what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from essor.analytics.simulate import seed_demo_usage
from essor.budget.demo import seed_budget
from essor.db import read_session, write_session
from essor.demo.accounts import ensure_demo_accounts
from essor.demo.champions import seed_champions
from essor.demo.people import seed_people
from essor.demo.pilot import seed_pilot
from essor.demo.rollout import seed_rollout
from essor.knowledge.actions import get_or_create_collection, ingest_path
from essor.knowledge.models import Collection, Document
from essor.migrate import upgrade
from essor.settings import Settings

DOCUMENTS = Path(__file__).parent / "documents"

COLLECTION_DESCRIPTIONS = {
    "hr": "Ressources humaines · Human resources: leave, remote work, benefits, expenses",
    "customer-service": "Service client · Customer service: replies, refunds, escalation",
    "sales": "Ventes · Sales: product sheets, proposals, references",
    "operations": "Opérations · Operations: IT procedures, incidents, onboarding",
    "training": "Formation · Training: getting started with the assistant",
}

# Questions the demo documents answer, shown on the home page so that a first visitor gets a
# useful answer in the first minute; tests check each one is answered from the right document.
DEMO_QUESTIONS: dict[str, list[str]] = {
    "en": [
        "How many days of annual leave do I get?",
        "How many days a week can I work remotely?",
        "What is the hotel limit per night in London?",
        "How many weeks of second-parent leave are paid?",
        "How long does a customer have to return unused hardware?",
        "What happens after five failed sign-in attempts?",
    ],
    "fr": [
        "Combien de jours de congés payés ai-je par an ?",
        "Combien de jours de télétravail par semaine ?",
        "Quel est le plafond de remboursement d'un repas en déplacement ?",
        "Quel est le délai pour obtenir un ordinateur portable ?",
        "Combien coûte Relais Pro par site ?",
        "Combien de jours de RTT pour les cadres au forfait jours ?",
    ],
}

Progress = Callable[[int, str], None]


def demo_collections() -> list[str]:
    return sorted(p.name for p in DOCUMENTS.iterdir() if p.is_dir() and not p.name.startswith("."))


def seed_demo(settings: Settings, progress: Progress | None = None) -> dict[str, object]:
    """Create or update the demo collections; return what changed, per collection."""
    upgrade(settings)
    per_collection: list[dict[str, object]] = []
    errors: list[dict[str, object]] = []
    totals = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
    for name in demo_collections():
        with write_session(settings) as session:
            get_or_create_collection(session, name, COLLECTION_DESCRIPTIONS.get(name, ""))
        summary = ingest_path(
            DOCUMENTS / name,
            name,
            prune=True,
            settings=settings,
            progress=_prefixed(progress, name),
        )
        counts = {status: summary.count(status) for status in totals}
        for status, n in counts.items():
            totals[status] += n
        errors.extend(
            {"collection": name, "source": o.source, "reason": o.reason} for o in summary.errors
        )
        per_collection.append({"name": name, **counts, "errors": len(summary.errors)})
    with write_session(settings) as session:
        people = seed_people(session)
        sign_ins = ensure_demo_accounts(session, settings)
    with write_session(settings) as session:
        seed_rollout(session, settings)
        seed_champions(session, settings)
        seed_pilot(session, settings)
        seed_budget(session)
    with write_session(settings) as session:
        seed_demo_usage(session, settings)  # months of usage, marked mode="simulated"
    documents = _document_counts(settings)
    for entry in per_collection:
        entry["documents"] = documents.get(str(entry["name"]), 0)
    return {
        "collections": per_collection,
        "documents": sum(documents.get(name, 0) for name in demo_collections()),
        **totals,
        "people": {"created": people.created, "updated": people.updated, "rows": people.rows},
        "sign_ins": sign_ins,
        "errors": errors,
    }


def describe(summary: dict[str, object]) -> list[str]:
    """Human lines for a seeding summary: the totals, then one line per problem."""
    collections = summary["collections"]
    errors = summary["errors"]
    assert isinstance(collections, list) and isinstance(errors, list)
    people = summary.get("people")
    lines = [
        f"{summary['documents']} documents in {len(collections)} collections "
        f"({summary['added']} added, {summary['updated']} updated, "
        f"{summary['unchanged']} unchanged, {summary['removed']} removed)"
        + (f"; {people['rows']} people in the directory" if isinstance(people, dict) else "")
    ]
    sign_ins = summary.get("sign_ins")
    if isinstance(sign_ins, dict):
        lines.extend(f"sign in as {email}  password: {pw}" for email, pw in sign_ins.items())
    lines.extend(f"problem: {e['collection']}/{e['source']}: {e['reason']}" for e in errors)
    return lines


def _document_counts(settings: Settings) -> dict[str, int]:
    """Documents with a current version, per collection name."""
    with read_session(settings) as session:
        rows = session.execute(
            select(Collection.name, func.count(Document.id))
            .join(Document, Document.collection_id == Collection.id)
            .where(Document.current_version_id.is_not(None))
            .group_by(Collection.name)
        ).all()
    return {name: count for name, count in rows}


def _prefixed(progress: Progress | None, collection: str) -> Progress | None:
    if progress is None:
        return None

    def report(advance: int, item: str) -> None:
        progress(advance, f"{collection}/{item}")

    return report
