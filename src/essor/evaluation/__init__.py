"""Retrieval evaluation against question sets with relevance labels."""
