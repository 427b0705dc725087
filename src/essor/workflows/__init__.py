"""Prebuilt and organisation workflows: a form, a retrieval scope and cited output sections.

Names are imported on first use: the runner pulls in search, the assistant and numpy, which a
command that only reads the registry (``essor metrics``) should not pay for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from essor.workflows.loader import DefinitionError, load_file, load_text
    from essor.workflows.registry import Registry, load_registry
    from essor.workflows.runner import InputError, WorkflowResult, run_workflow
    from essor.workflows.schema import WorkflowDefinition

_WHERE = {
    "DefinitionError": "loader",
    "load_file": "loader",
    "load_text": "loader",
    "Registry": "registry",
    "load_registry": "registry",
    "InputError": "runner",
    "WorkflowResult": "runner",
    "run_workflow": "runner",
    "WorkflowDefinition": "schema",
}

__all__ = [
    "DefinitionError",
    "InputError",
    "Registry",
    "WorkflowDefinition",
    "WorkflowResult",
    "load_file",
    "load_registry",
    "load_text",
    "run_workflow",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'essor.workflows' has no attribute {name!r}")
    return getattr(import_module(f"essor.workflows.{_WHERE[name]}"), name)
