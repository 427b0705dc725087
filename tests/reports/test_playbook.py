"""The playbook built from a real journal, checklist evidence, workflows and champions, in
Markdown, HTML and PDF (opened and its text read), in English and French, with hostile entry
text kept inert."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
from sqlalchemy import func, select

from essor.db import read_session, write_session
from essor.demo.people import seed_people
from essor.demo.pilot import seed_pilot
from essor.demo.rollout import seed_rollout
from essor.governance.access import SYSTEM, Reader, identity_for
from essor.governance.actions import grant_role
from essor.people.models import Department, Person
from essor.reports.playbook import (
    Playbook,
    build_playbook,
    md,
    render_html,
    render_markdown,
    render_pdf,
)
from essor.rollout.actions import advance_stage, set_item
from essor.rollout.cohorts import cohort, enrol
from essor.rollout.journal import add_entry
from essor.rollout.pilot_models import CohortMember
from essor.settings import Settings

HOSTILE = '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror="alert(2)">'


def _seed(settings: Settings) -> None:
    with write_session(settings) as session:
        hr = Department(code="HR", name="Ressources humaines")
        session.add(hr)
        session.flush()
        people = [
            Person(email="chloe@x.example", name="Chloé Dubois", department_id=hr.id),
            Person(email="hugo@x.example", name="Hugo Martin", department_id=hr.id),
            Person(email="left@x.example", name="Gone Champion", department_id=hr.id),
        ]
        session.add_all(people)
        session.flush()
        people[2].status, people[2].end_date = "left", date(2024, 1, 1)
        grant_role(session, "chloe@x.example", "champion", actor=SYSTEM, department="HR")
        grant_role(session, "left@x.example", "champion", actor=SYSTEM, department="HR")
        enrol(session, "HR", "hugo@x.example", "sceptic", actor=SYSTEM)
        set_item(
            session,
            "HR",
            "executive_sponsorship",
            actor=SYSTEM,
            status="done",
            evidence="Sponsor letter signed by the HR director",
        )
        advance_stage(session, "HR", actor=SYSTEM, reason="pilot agreed", settings=settings)
        chloe = Reader(identity_for(session, "chloe@x.example"))
        hugo = Reader(identity_for(session, "hugo@x.example"))
        add_entry(
            session,
            "HR",
            "onboarding",
            "Accounts created before day one",
            "Every pilot member could sign in on the first morning.",
            actor=chloe,
        )
        add_entry(session, "HR", "training", "Thirty-minute sessions work best", actor=chloe)
        slow = add_entry(
            session, "HR", "problem", "Leave policy answers cite the old policy", actor=hugo
        )
        add_entry(session, "HR", "problem", "No guide for part-time contracts", actor=hugo)
        add_entry(
            session,
            "HR",
            "resolution",
            "Old policy archived",
            "The 2023 policy was removed from the collection.",
            actor=chloe,
            resolves=slow.id,
        )
        add_entry(session, "HR", "resource_wished", "A glossary of payroll terms", actor=hugo)
        add_entry(session, "HR", "resource_wished", HOSTILE, HOSTILE, actor=hugo)


def _playbook(settings: Settings, language: str = "en") -> Playbook:
    with read_session(settings) as session:
        hr = session.scalars(select(Department).where(Department.code == "HR")).one()
        return build_playbook(session, hr, settings, language=language, on=date(2026, 11, 24))


def test_playbook_content_from_a_real_journal(settings: Settings) -> None:
    _seed(settings)
    pb = _playbook(settings)
    assert pb.stage == "pilot"
    assert [e.title for e in pb.onboarding] == ["Accounts created before day one"]
    assert [e.title for e in pb.training] == ["Thirty-minute sessions work best"]
    assert [e.title for e in pb.resolved_problems] == ["Leave policy answers cite the old policy"]
    assert [r.title for r in pb.resolved_problems[0].resolutions] == ["Old policy archived"]
    assert pb.resolved_problems[0].author == "Hugo Martin"
    assert [e.title for e in pb.open_problems] == ["No guide for part-time contracts"]
    assert [e.title for e in pb.resources] == ["A glossary of payroll terms", HOSTILE]
    # Champions: employed ones only.
    assert [(c.name, c.email) for c in pb.champions] == [("Chloé Dubois", "chloe@x.example")]
    # The builtin HR workflow, with its status and minutes saved.
    assert [(w.id, w.status) for w in pb.workflows] == [("hr-policy-answer", "production")]
    assert pb.workflows[0].minutes_saved > 0
    items = {i.key: i for i in pb.checklist}
    assert items["executive_sponsorship"].status == "done"
    assert items["champions"].status == "done" and items["use_cases"].status == "done"
    assert pb.readiness.total == 7

    text = render_markdown(pb)
    assert text.startswith("# Pilot playbook: Ressources humaines (HR)\n")
    assert "Stage: Pilot" in text
    onboarding = text.index("## Onboarding notes")
    assert text.index("Accounts created before day one") > onboarding
    problems = text.index("## Problems and their resolutions")
    open_ = text.index("## Open problems")
    assert problems < text.index("Old policy archived") < open_
    assert open_ < text.index("No guide for part-time contracts")
    assert "Sponsor letter signed by the HR director" in text
    assert "- Chloé Dubois (chloe@x.example)" in text
    assert "Gone Champion" not in text
    # Hostile text is inert Markdown: no raw tag, no link.
    assert "<script>" not in text and "\\[click\\]" in text
    assert not re.search(r"(?<!\\)[<>]|(?<!\\)\]\(", text)
    assert md("<b>") == "\\<b\\>"


def test_playbook_html_escapes_and_pdf_text(settings: Settings) -> None:
    _seed(settings)
    pb = _playbook(settings)
    html = render_html(pb)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    pdf = render_pdf(pb)
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Pilot playbook" in flat
    assert "Accounts created before day one" in flat
    assert "Old policy archived" in flat
    assert "Chloé Dubois" in flat
    assert "<script>alert(1)</script>" in flat  # shown as text, never run


def test_playbook_in_french(settings: Settings) -> None:
    _seed(settings)
    pb = _playbook(settings, "fr")
    text = render_markdown(pb)
    assert text.startswith("# Guide du pilote : Ressources humaines (HR)\n")
    assert "## Problèmes ouverts" in text and "## Ressources souhaitées" in text
    assert "Étape : Pilote" in text
    assert "Parrainage de la direction maintenu" in text
    assert "Généré le 24 novembre 2026" in text
    flat = " ".join(
        " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(pb))).pages
        ).split()
    )
    assert "Notes d'accueil" in flat and "Champions" in flat


def test_demo_pilot_is_seeded_once_and_makes_a_meaningful_playbook(settings: Settings) -> None:
    with write_session(settings) as session:
        seed_people(session)
    with write_session(settings) as session:
        seed_rollout(session, settings)
        assert seed_pilot(session, settings) is True
    with write_session(settings) as session:
        assert seed_pilot(session, settings) is False  # seeded once
    with read_session(settings) as session:
        hr = session.scalars(select(Department).where(Department.code == "HR")).one()
        state = cohort(session, hr, settings)
        pb = build_playbook(session, hr, settings, language="fr")
        members = session.scalar(select(func.count()).select_from(CohortMember))
    assert members == 20 and state.counts == {"enthusiast": 7, "neutral": 8, "sceptic": 5}
    assert not state.flagged
    assert len(pb.onboarding) == 2 and len(pb.training) == 2 and len(pb.resources) == 2
    assert len(pb.resolved_problems) == 1 and len(pb.open_problems) == 1
    assert pb.resolved_problems[0].resolutions[0].title.startswith("Ancienne politique")
    assert pb.champions and pb.stage == "pilot"
    # Entries are spread over the pilot, oldest first.
    days = [e.written for e in (*pb.onboarding, *pb.training)]
    assert days[0] < days[-1]
