"""The demo organisation, Essor Demo SA: bilingual documents and the seeding that loads them."""

from __future__ import annotations

from essor.demo.seed import DEMO_QUESTIONS, DOCUMENTS, seed_demo

__all__ = ["DEMO_QUESTIONS", "DOCUMENTS", "seed_demo"]
