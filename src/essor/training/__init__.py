"""Training at scale: tracks by tier, resources, completion, coverage, and tips in context."""
