"""The latest `qroute solve` run under a runs folder: its routes.png and result.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROUTES_PNG = "routes.png"
RESULT_JSON = "result.json"


def find_latest_solve(runs_dir: str | Path) -> dict[str, Any] | None:
    """The newest routes.png under `runs_dir` and the result.json beside it (if readable)."""
    folder = Path(runs_dir)
    if not folder.is_dir():
        return None
    images = [p for p in folder.rglob(ROUTES_PNG) if p.is_file()]
    if not images:
        return None
    image = max(images, key=lambda p: (p.stat().st_mtime, str(p)))
    result: dict[str, Any] = {}
    result_path = image.parent / RESULT_JSON
    if result_path.is_file():
        try:
            loaded = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = None
        if isinstance(loaded, dict):
            result = loaded
    return {
        "image": image,
        "result_path": result_path if result else None,
        "result": result,
        "modified": datetime.fromtimestamp(image.stat().st_mtime, UTC),
    }
