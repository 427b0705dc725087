"""A department's pilot playbook, generated from what the pilot recorded: its journal
(onboarding, training, problems with their resolutions, open problems, resources wished for),
its readiness evidence, its workflows and its champions.

``build_playbook`` gathers it into a typed ``Playbook``; ``render_markdown`` and
``render_html`` (a self-contained document, which ``render_pdf`` prints) render it in English
or French. Journal text is untrusted: the HTML is autoescaped and the Markdown escapes the
characters that would make it markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.models import RoleGrant
from essor.i18n_dates import format_date
from essor.people.models import Department, Person
from essor.people.queries import employed_on
from essor.reports.pdf import html_to_pdf
from essor.rollout.evidence import evidence_files
from essor.rollout.journal import EntryView, entries
from essor.rollout.models import DepartmentRollout
from essor.rollout.readiness import (
    ChecklistItem,
    Readiness,
    checklist,
    readiness,
    use_case_departments,
)
from essor.settings import Settings
from essor.workflows.registry import load_registry

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "colon": ": ",
        "title": "Pilot playbook",
        "for": "{name} ({code})",
        "generated": "Generated on {date} from the pilot journal, the readiness checklist, "
        "the workflows and the champions of the department.",
        "stage": "Stage",
        "stage.planned": "Planned",
        "stage.pilot": "Pilot",
        "stage.rolling_out": "Rolling out",
        "stage.adopted": "Adopted",
        "onboarding": "Onboarding notes",
        "training": "Training notes",
        "problems": "Problems and their resolutions",
        "resolution": "Resolution",
        "open": "Open problems",
        "resources": "Resources wished for",
        "readiness": "Readiness evidence",
        "readiness.ratio": "{done} of {total} items done",
        "item": "Item",
        "status": "Status",
        "owner": "Owner",
        "evidence": "Evidence",
        "files": "Files",
        "status.done": "Done",
        "status.open": "Open",
        "status.not_applicable": "Not applicable",
        "computed": "checked from the data",
        "workflows": "Workflows",
        "workflow": "Workflow",
        "minutes": "Minutes saved per run",
        "wstatus.draft": "Draft",
        "wstatus.pilot": "Pilot",
        "wstatus.production": "Production",
        "champions": "Champions",
        "by": "{author}, {date}",
        "none": "Nothing recorded yet.",
        "none.workflows": "No workflow for this department yet.",
        "none.champions": "No champion named yet.",
    },
    "fr": {
        "colon": " : ",
        "title": "Guide du pilote",
        "for": "{name} ({code})",
        "generated": "Généré le {date} à partir du journal du pilote, de la liste de "
        "préparation, des workflows et des champions du service.",
        "stage": "Étape",
        "stage.planned": "Prévu",
        "stage.pilot": "Pilote",
        "stage.rolling_out": "Déploiement",
        "stage.adopted": "Adopté",
        "onboarding": "Notes d'accueil",
        "training": "Notes de formation",
        "problems": "Problèmes et leurs solutions",
        "resolution": "Solution",
        "open": "Problèmes ouverts",
        "resources": "Ressources souhaitées",
        "readiness": "Preuves de préparation",
        "readiness.ratio": "{done} éléments faits sur {total}",
        "item": "Élément",
        "status": "Statut",
        "owner": "Responsable",
        "evidence": "Preuve",
        "files": "Fichiers",
        "status.done": "Fait",
        "status.open": "Ouvert",
        "status.not_applicable": "Sans objet",
        "computed": "vérifié d'après les données",
        "workflows": "Workflows",
        "workflow": "Workflow",
        "minutes": "Minutes gagnées par exécution",
        "wstatus.draft": "Brouillon",
        "wstatus.pilot": "Pilote",
        "wstatus.production": "Production",
        "champions": "Champions",
        "by": "{author}, {date}",
        "none": "Rien de noté pour l'instant.",
        "none.workflows": "Aucun workflow pour ce service pour l'instant.",
        "none.champions": "Aucun champion nommé pour l'instant.",
    },
}


def label(language: str, key: str, **values: object) -> str:
    text = LABELS.get(language, LABELS["en"]).get(key) or LABELS["en"][key]
    return text.format(**values) if values else text


# -- data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaybookEntry:
    id: int
    title: str
    body: str
    author: str
    written: date
    resolutions: tuple[PlaybookEntry, ...] = ()


@dataclass(frozen=True)
class WorkflowLine:
    id: str
    title: str
    status: str
    minutes_saved: int


@dataclass(frozen=True)
class ChampionLine:
    name: str
    email: str


@dataclass(frozen=True)
class Playbook:
    department_code: str
    department_name: str
    stage: str
    language: str
    generated_on: date
    onboarding: tuple[PlaybookEntry, ...]
    training: tuple[PlaybookEntry, ...]
    resolved_problems: tuple[PlaybookEntry, ...]
    open_problems: tuple[PlaybookEntry, ...]
    resources: tuple[PlaybookEntry, ...]
    checklist: tuple[ChecklistItem, ...]
    readiness: Readiness
    workflows: tuple[WorkflowLine, ...]
    champions: tuple[ChampionLine, ...]
    # Names of each item's evidence files, by item key (the files stay in the cockpit).
    evidence_files: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _entry(view: EntryView, by_id: dict[int, EntryView]) -> PlaybookEntry:
    return PlaybookEntry(
        id=view.id,
        title=view.title,
        body=view.body,
        author=view.author_name or view.author_email,
        written=view.created_at.date(),
        resolutions=tuple(_entry(by_id[i], by_id) for i in view.resolutions if i in by_id),
    )


def build_playbook(
    session: Session,
    department: Department,
    settings: Settings,
    *,
    language: str = "en",
    on: date | None = None,
) -> Playbook:
    on = on or date.today()
    journal = entries(session, department.id)
    by_id = {e.id: e for e in journal}

    def of(category: str) -> tuple[PlaybookEntry, ...]:
        return tuple(_entry(e, by_id) for e in journal if e.category == category)

    problems = of("problem")
    stage = session.scalar(
        select(DepartmentRollout.stage).where(DepartmentRollout.department_id == department.id)
    )
    items = checklist(
        session, department, use_cases=use_case_departments(settings), language=language
    )
    workflows = sorted(
        (
            WorkflowLine(d.id, d.title.get(language), d.status, d.minutes_saved)
            for d in load_registry(settings).definitions.values()
            if d.department.casefold() == department.code.casefold()
        ),
        key=lambda w: w.title.casefold(),
    )
    champions = session.execute(
        select(Person.name, Person.email)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == "champion",
            RoleGrant.department_id == department.id,
            employed_on(on),
        )
        .distinct()
        .order_by(Person.name, Person.email)
    ).all()
    return Playbook(
        department_code=department.code,
        department_name=department.name,
        stage=stage or "planned",
        language=language,
        generated_on=on,
        onboarding=of("onboarding"),
        training=of("training"),
        resolved_problems=tuple(p for p in problems if p.resolutions),
        open_problems=tuple(p for p in problems if not p.resolutions),
        resources=of("resource_wished"),
        checklist=tuple(items),
        readiness=readiness(items),
        workflows=tuple(workflows),
        champions=tuple(ChampionLine(name, email) for name, email in champions),
        evidence_files={
            key: tuple(f.filename for f in files)
            for key, files in evidence_files(session, department.id).items()
        },
    )


# -- Markdown ------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")


def md(text: str) -> str:
    """Journal text as literal Markdown text: markup characters are backslash-escaped, so
    an entry cannot inject links, images or raw HTML into the document."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))


def _md_entry(out: list[str], entry: PlaybookEntry, language: str, indent: str = "") -> None:
    by = label(language, "by", author=entry.author, date=format_date(entry.written, language))
    out.append(f"{indent}- **{md(entry.title)}** — {md(by)}")
    for line in entry.body.splitlines():
        if line.strip():
            out.append(f"{indent}  {md(line.strip())}")
    for resolution in entry.resolutions:
        _md_entry_resolution(out, resolution, language, indent + "  ")


def _md_entry_resolution(out: list[str], entry: PlaybookEntry, language: str, indent: str) -> None:
    by = label(language, "by", author=entry.author, date=format_date(entry.written, language))
    head = f"*{label(language, 'resolution')}{label(language, 'colon').rstrip()}*"
    out.append(f"{indent}- {head} **{md(entry.title)}** — {md(by)}")
    for line in entry.body.splitlines():
        if line.strip():
            out.append(f"{indent}  {md(line.strip())}")


def render_markdown(playbook: Playbook) -> str:
    lang = playbook.language
    title = label(lang, "title")
    name = label(lang, "for", name=playbook.department_name, code=playbook.department_code)
    colon = label(lang, "colon")
    out = [f"# {title}{colon}{md(name)}", ""]
    stage = label(lang, f"stage.{playbook.stage}")
    out += [f"{label(lang, 'stage')}{colon}{stage}", ""]
    out += [label(lang, "generated", date=format_date(playbook.generated_on, lang)), ""]
    sections = (
        ("onboarding", playbook.onboarding),
        ("training", playbook.training),
        ("problems", playbook.resolved_problems),
        ("open", playbook.open_problems),
        ("resources", playbook.resources),
    )
    for key, items in sections:
        out += [f"## {label(lang, key)}", ""]
        if not items:
            out += [f"_{label(lang, 'none')}_", ""]
            continue
        for entry in items:
            _md_entry(out, entry, lang)
        out.append("")
    state = playbook.readiness
    out += [f"## {label(lang, 'readiness')}", ""]
    out += [label(lang, "readiness.ratio", done=state.done, total=state.total), ""]
    header = [label(lang, k) for k in ("item", "status", "owner", "evidence")]
    out += ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for item in playbook.checklist:
        status = label(lang, f"status.{item.status}")
        if item.computed:
            status += f" ({label(lang, 'computed')})"
        evidence = " ".join(item.evidence.split())
        if item.evidence_url:
            evidence = f"{evidence} <{item.evidence_url}>".strip()
        if names := playbook.evidence_files.get(item.key):
            evidence = f"{evidence} {label(lang, 'files')}{colon}{', '.join(names)}".strip()
        cells = [md(item.title), status, md(item.owner_email or ""), md(evidence)]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", f"## {label(lang, 'workflows')}", ""]
    if playbook.workflows:
        out += [
            f"| {label(lang, 'workflow')} | {label(lang, 'status')} | {label(lang, 'minutes')} |",
            "|---|---|---|",
        ]
        for w in playbook.workflows:
            status = label(lang, f"wstatus.{w.status}")
            out.append(f"| {md(w.title)} ({md(w.id)}) | {status} | {w.minutes_saved} |")
    else:
        out.append(f"_{label(lang, 'none.workflows')}_")
    out += ["", f"## {label(lang, 'champions')}", ""]
    if playbook.champions:
        out += [f"- {md(c.name)} ({md(c.email)})" for c in playbook.champions]
    else:
        out.append(f"_{label(lang, 'none.champions')}_")
    return "\n".join(out).rstrip() + "\n"


# -- HTML and PDF --------------------------------------------------------------------------
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(label=label, format_date=format_date)
    return env


_ENV = _environment()


def render_html(playbook: Playbook) -> str:
    """A self-contained HTML document (inline CSS, nothing fetched), for the PDF."""
    return _ENV.get_template("playbook_document.html").render(pb=playbook)


def render_pdf(playbook: Playbook) -> bytes:
    return html_to_pdf(render_html(playbook))
