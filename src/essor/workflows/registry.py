"""Every workflow definition: the prebuilt ones, then the organisation's own files.

Prebuilt definitions ship with Essor and must be valid (a broken one is a bug, and raises).
The organisation's files in ``$ESSOR_DATA_DIR/workflows/*.yaml`` are loaded one by one: an
invalid file, or one reusing an id already taken, is left out and reported, so one bad upload
does not take the whole library down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from essor.governance.access import Reader, can_manage_collections
from essor.people.models import Department
from essor.settings import Settings
from essor.workflows.loader import DefinitionError, Problem, load_file
from essor.workflows.schema import ALL_DEPARTMENTS, WorkflowDefinition

BUILTIN_DIR = Path(__file__).parent / "builtin"
PUBLISHED = ("pilot", "production")


def organisation_dir(settings: Settings) -> Path:
    return settings.data_dir / "workflows"


@dataclass
class Registry:
    definitions: dict[str, WorkflowDefinition] = field(default_factory=dict)
    errors: list[DefinitionError] = field(default_factory=list)

    def get(self, workflow_id: str) -> WorkflowDefinition | None:
        return self.definitions.get(workflow_id)

    def all(self) -> list[WorkflowDefinition]:
        return sorted(self.definitions.values(), key=lambda d: (d.department, d.id))

    def add(self, definition: WorkflowDefinition) -> None:
        taken = self.definitions.get(definition.id)
        if taken is not None:
            raise DefinitionError(
                definition.source,
                [Problem(1, f"duplicate id {definition.id!r}: already defined in {taken.source}")],
            )
        self.definitions[definition.id] = definition

    def visible_to(self, session: Session, reader: Reader) -> list[WorkflowDefinition]:
        """Published workflows of the person's department and of everyone; drafts only to the
        people who manage content (administrators and content owners), who review them."""
        if reader.system:
            return self.all()
        identity = reader.identity
        if identity is None:
            return []
        if identity.is_admin:
            return self.all()
        code = department_code(session, identity.department_id)
        reviewer = can_manage_collections(reader)
        out = []
        for d in self.all():
            mine = d.department == ALL_DEPARTMENTS or (
                code is not None and d.department.casefold() == code.casefold()
            )
            if mine and (d.status in PUBLISHED or reviewer):
                out.append(d)
        return out


def department_code(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    return session.execute(
        select(Department.code).where(Department.id == department_id)
    ).scalar_one_or_none()


def builtin_files() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.yaml"))


def load_registry(settings: Settings) -> Registry:
    registry = Registry()
    for path in builtin_files():
        registry.add(load_file(path))
    folder = organisation_dir(settings)
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    for path in files:
        try:
            registry.add(load_file(path))
        except DefinitionError as exc:
            registry.errors.append(exc)
    return registry
