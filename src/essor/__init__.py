"""Essor: take an organisation's AI assistant from a successful pilot to everyday use."""

__version__ = "0.1.0"
