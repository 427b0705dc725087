"""Grounded answering: retrieve, compose, verify, and answer with citations or abstain."""
