"""The rollout cockpit: stages, waves, readiness checklists and the support model."""
