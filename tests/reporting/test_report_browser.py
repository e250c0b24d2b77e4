"""The HTML report in a real browser: headless Chromium loads it without errors, every plot
decodes, nothing is fetched from elsewhere, and a screenshot is kept.

Needs /usr/bin/chromium (Debian package ``chromium``); skipped with a reason without it.  Set
``QROUTE_KEEP_SCREENSHOTS=1`` to copy the screenshot to ``tests/artifacts/``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qroute.reporting.comparison import run_comparison
from qroute.reporting.html_report import RESULTS_DB, append_run, build_report
from tests.paths import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
KEEP_ENV = "QROUTE_KEEP_SCREENSHOTS"
WIDTH = 1280

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"headless Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium); "
    "the browser check of the HTML report needs it",
)

# Loaded before the report's own content: records script errors, failed resource loads and
# console.error calls, then on `load` writes what it saw onto <body> for --dump-dom.
PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(String(e.message || (t && (t.src || t.href)) || "error"));
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var images = Array.prototype.slice.call(document.images);
    var body = document.body;
    body.setAttribute("data-images", images.length);
    body.setAttribute("data-decoded", images.filter(function (i) {
      return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0;
    }).length);
    body.setAttribute("data-errors", JSON.stringify(errors));
    body.setAttribute("data-resources", JSON.stringify(
      performance.getEntriesByType("resource").map(function (r) { return r.name; })));
    body.setAttribute("data-height", document.documentElement.scrollHeight);
  });
})();
</script>"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp)


def _probe(page: Path, tmp: Path) -> tuple[dict[str, str], str]:
    """Load `page` with the probe injected; the probe's findings and Chromium's stderr."""
    probed = tmp / f"probed-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1))
    done = _chromium(tmp, f"--window-size={WIDTH},900", "--dump-dom", probed.as_uri())
    assert done.returncode == 0, done.stderr[-3000:]
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body is not None, done.stdout[:2000]
    found = {k: html.unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', body[1])}
    assert "images" in found, f"the probe did not run: {done.stdout[:1000]}"
    return found, done.stderr


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(\]]", line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report from a real (tiny) measurement, a solve run's route map and nightly rows."""
    from matplotlib.figure import Figure

    root = tmp_path_factory.mktemp("browser")
    runs = root / "runs"
    run_comparison(
        sizes=(3, 5),
        seeds=2,
        backends=["exact", "dwave-sa", "dwave-tabu", "qaoa-statevector"],
        out_dir=runs,
    )
    solve = runs / "solve-yangtze"
    solve.mkdir()
    fig = Figure(figsize=(6, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for route in ([(0, 0), (1, 2), (2, 3), (0, 0)], [(0, 0), (-1, 1), (-2, -1), (0, 0)]):
        ax.plot(*zip(*route, strict=True), marker="o")
    ax.set_title("yangtze-delta: cost 1,234.5 (test route map)")
    fig.savefig(solve / "routes.png")
    from qroute.hybrid.pipeline import PipelineConfig, initial_routes
    from qroute.model.scenario import yangtze_delta
    from qroute.reporting.geomap import MAP_JSON, write_map_data

    problem = yangtze_delta(num_customers=20)
    assert write_map_data(
        solve / MAP_JSON, problem, initial_routes(problem, PipelineConfig(policy="local"))
    )
    (solve / "result.json").write_text(
        json.dumps(
            {
                "instance": "yangtze-delta",
                "status": "complete",
                "cost": 1234.5,
                "routes": [[1, 2], [3, 4]],
                "gap_percent": 3.2,
                "quantum_share": {"share_of_solves": 0.6},
                "backends": {"dwave-sa": 6, "exact": 4},
                "wall_seconds": 58.0,
            }
        )
    )
    for day, gap, share in ((20, 5.0, 0.4), (21, 4.1, 0.5), (22, 3.2, 0.6)):
        append_run(
            runs / RESULTS_DB,
            {
                "ts": datetime(2026, 11, day, 2, tzinfo=UTC),
                "instance": "yangtze-delta",
                "cost": 1200 + 10 * gap,
                "gap_percent": gap,
                "backends": {"dwave-sa": 6, "exact": 4},
                "quantum_share": share,
                "cost_usd": 0.0,
                "wall_seconds": 60.0,
            },
        )
    return build_report(runs, root / "report.html")


def test_the_probe_catches_broken_images_and_errors(tmp_path: Path) -> None:
    """Control: the probe really reports a broken image, a missing file and a script error."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head></head><body>"
        '<img src="data:image/png;base64,AAAA"><img src="missing.png">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">'
        "<script>console.error('bad thing'); notDefined();</script></body></html>"
    )
    found, stderr = _probe(page, tmp_path)
    assert (found["images"], found["decoded"]) == ("3", "1")
    errors = json.loads(found["errors"])
    assert any("bad thing" in e for e in errors)
    assert any("notDefined" in e for e in errors)
    assert any("missing.png" in e for e in errors)
    assert _console_lines(stderr), "Chromium's console log lines are not recognised"


def test_report_loads_cleanly_and_every_plot_decodes(report: Path, tmp_path: Path) -> None:
    page = report.read_text(encoding="utf-8")
    expected = page.count("<img ")
    # gap, feasibility, time, cost, QAOA, route map, nightly trend (no QPU: no chain-break plot)
    assert expected == 7
    found, stderr = _probe(report, tmp_path)
    assert int(found["images"]) == expected
    assert int(found["decoded"]) == expected, "a plot image did not decode"
    assert json.loads(found["errors"]) == []
    assert json.loads(found["resources"]) == [], "the report fetched something from elsewhere"
    assert _console_lines(stderr) == []

    height = min(max(int(found["height"]), 900), 16000)
    shot = tmp_path / "report.png"
    done = _chromium(
        tmp_path, f"--window-size={WIDTH},{height}", f"--screenshot={shot}", report.as_uri()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _console_lines(done.stderr) == []
    assert shot.is_file()
    if os.environ.get(KEEP_ENV):
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(shot, ARTIFACTS / "report.png")

    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (height, WIDTH)
    assert float(pixels[..., :3].std()) > 0.05, "the screenshot is blank"
    # the header band is dark blue, the page background light
    assert pixels[20, WIDTH // 2, :3].mean() < 0.4
    assert pixels[height - 5, 5, :3].mean() > 0.9


# Runs after the report's own scripts: zooms with the wheel, drags, hovers a route, and writes
# what the map did onto <body> for --dump-dom.
MAP_PROBE = """<script>
window.addEventListener("load", function () {
  var b = document.body, svg = document.getElementById("geomap");
  if (!svg) { b.setAttribute("data-map", "missing"); return; }
  var r = svg.getBoundingClientRect();
  var cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  b.setAttribute("data-map", "present");
  b.setAttribute("data-geo", svg.querySelectorAll("g.geo-coastline path").length + "," +
    svg.querySelectorAll("g.geo-river path").length);
  b.setAttribute("data-routes", svg.querySelectorAll("path.route").length);
  b.setAttribute("data-view0", svg.getAttribute("viewBox"));
  svg.dispatchEvent(new WheelEvent("wheel", {deltaY: -100, clientX: cx, clientY: cy,
    bubbles: true, cancelable: true}));
  b.setAttribute("data-view1", svg.getAttribute("viewBox"));
  svg.dispatchEvent(new PointerEvent("pointerdown", {clientX: cx, clientY: cy, bubbles: true}));
  svg.dispatchEvent(new PointerEvent("pointermove", {clientX: cx + 50, clientY: cy,
    bubbles: true}));
  window.dispatchEvent(new PointerEvent("pointerup", {}));
  b.setAttribute("data-view2", svg.getAttribute("viewBox"));
  svg.querySelector("path.route").dispatchEvent(new MouseEvent("mouseover", {bubbles: true,
    clientX: cx, clientY: cy}));
  var tip = document.getElementById("geomap-tip");
  b.setAttribute("data-tip", tip.style.display + "|" + tip.textContent);
});
</script>"""


def test_interactive_map_pans_zooms_and_explains_routes(report: Path, tmp_path: Path) -> None:
    """The report's route map works offline: geography and routes are inline SVG; the wheel
    zooms, a drag pans, hovering a route shows its details. A screenshot is kept."""
    probed = tmp_path / "map-probe.html"
    probed.write_text(
        report.read_text(encoding="utf-8").replace("</body>", MAP_PROBE + "</body>", 1)
    )
    done = _chromium(tmp_path, f"--window-size={WIDTH},900", "--dump-dom", probed.as_uri())
    assert done.returncode == 0, done.stderr[-3000:]
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body is not None
    found = {k: html.unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', body[1])}
    assert found.get("map") == "present", found
    coast, rivers = (int(n) for n in found["geo"].split(","))
    assert coast > 20 and rivers > 5, "no coastline or river drawn: geography missing"
    assert int(found["routes"]) >= 2
    view0, view1, view2 = (
        [float(v) for v in found[k].split()] for k in ("view0", "view1", "view2")
    )
    assert view0[:2] == [0.0, 0.0]
    assert view1[2] == pytest.approx(view0[2] * 0.8)  # zoomed in by the wheel
    assert view2[0] < view1[0] and view2[2] == view1[2]  # dragged right: the view moved left
    shown, _, text = found["tip"].partition("|")
    assert shown == "block" and text.startswith("route 1:") and " km" in text

    map_only = tmp_path / "map-only.html"
    page = report.read_text(encoding="utf-8")
    section = re.search(r'<section id="route-map">.*?</section>', page, re.S)
    assert section is not None
    map_only.write_text(page.split("<body", 1)[0] + "<body>" + section[0] + "</body></html>")
    shot = tmp_path / "route-map.png"
    done = _chromium(
        tmp_path, f"--window-size={WIDTH},900", f"--screenshot={shot}", map_only.as_uri()
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-3000:]
    if os.environ.get(KEEP_ENV):
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(shot, ARTIFACTS / "route-map.png")
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    # the map's sand-coloured land (#f4f1ea) and blue water lines are on screen
    sand = (abs(pixels - [0xF4 / 255, 0xF1 / 255, 0xEA / 255]).max(axis=2) < 0.02).mean()
    assert sand > 0.2, f"only {sand:.0%} of the screenshot is map background"
