"""The rollout cockpit: every department on one screen for the programme lead, one
department's page for its department admin, waves and the support model.

Pages (``cockpit_pages``) only read; forms (``cockpit_forms``) change nothing themselves but
call ``rollout.actions``, which check ``can_manage_rollout`` and audit every change and
every refusal.
"""

from __future__ import annotations

from fastapi import APIRouter

from essor.web import cockpit_evidence, cockpit_forms, cockpit_pages

router = APIRouter(include_in_schema=False)
router.include_router(cockpit_pages.router)
router.include_router(cockpit_forms.router)
router.include_router(cockpit_evidence.router)
