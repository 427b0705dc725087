"""Prebuilt and organisation workflows: a form, a retrieval scope and cited output sections."""

from essor.workflows.loader import DefinitionError, load_file, load_text
from essor.workflows.registry import Registry, load_registry
from essor.workflows.runner import InputError, WorkflowResult, run_workflow
from essor.workflows.schema import WorkflowDefinition

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
