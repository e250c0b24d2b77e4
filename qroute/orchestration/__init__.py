"""Orchestration: the Prefect flows and tasks (the only layer that imports Prefect)."""
