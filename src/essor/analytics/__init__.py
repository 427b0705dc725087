"""Usage events (what the rollout cockpit measures) and, later, rollups and metrics."""
