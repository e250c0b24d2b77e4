"""Deployment entry point (prefect.yaml); the flow lives in qroute.orchestration."""

from qroute.orchestration.hardware_comparison import hardware_comparison

__all__ = ["hardware_comparison"]
