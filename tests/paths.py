"""Paths the tests need, independent of where a test module sits under tests/."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
