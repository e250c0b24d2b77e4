"""Deployment entry point (prefect.yaml); the flow lives in qroute.orchestration.replan."""

from qroute.orchestration.replan import replan_flow

__all__ = ["replan_flow"]
