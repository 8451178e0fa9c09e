"""`routecast plot`: a solution drawn as a route map or a vehicle timeline (PNG files)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from solver.io.stops_csv import Fleet, read_stops_csv

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "instances" / "tiny" / "tiny4.json"
runner = CliRunner()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (fails on anything that is not a PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def solution_file(tmp_path: Path, routes: list[list[str]], name: str = "sol.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"routes": [{"vehicle_type": "van", "stops": r} for r in routes],
                                "unassigned": [{"stop": "E", "reason": "UNPROFITABLE"}]}))
    return path


def plot(*args: str) -> None:
    result = runner.invoke(app, ["plot", *args])
    assert result.exit_code == 0, result.output


def test_map_and_timeline_pngs(tmp_path: Path) -> None:
    """Both kinds write a non-empty PNG of the figure's size; the timeline grows one row
    per vehicle."""
    one = solution_file(tmp_path, [["A", "B", "C"]], "one.json")
    two = solution_file(tmp_path, [["A", "B"], ["C"]], "two.json")
    plot(str(one), "--problem", str(TINY), "--kind", "map", "--out", str(tmp_path / "m.png"))
    plot(str(one), "--problem", str(TINY), "--kind", "timeline", "--out", str(tmp_path / "t1.png"))
    plot(str(two), "--problem", str(TINY), "--kind", "timeline", "--out", str(tmp_path / "t2.png"))
    w, h = png_size(tmp_path / "m.png")
    assert 700 <= w <= 1000 and 700 <= h <= 1000  # 8 x 8 in at 120 dpi, trimmed
    w1, h1 = png_size(tmp_path / "t1.png")
    w2, h2 = png_size(tmp_path / "t2.png")
    assert 1100 <= w1 <= 1350 and w2 == w1  # 11 in wide at 120 dpi, trimmed
    assert 40 <= h2 - h1 <= 90  # 0.55 in more for the second vehicle
    assert (tmp_path / "t2.png").stat().st_size > 5000


def test_timeline_of_a_geo_plan_with_a_late_visit(tmp_path: Path) -> None:
    """A CSV-imported plan on the clock, with a visit past its window, is drawn."""
    problem = read_stops_csv("id,lat,lon,window_start,window_end,service_time\n"
                             "a,52.38,4.90,08:00,08:01,600\nb,52.36,4.88,07:00,07:05,300\n",
                             Fleet(depot_lat=52.37, depot_lon=4.89, vehicles=1,
                                   shift_start="07:00"))
    (tmp_path / "p.json").write_text(problem.to_json())
    sol = tmp_path / "s.json"
    sol.write_text(json.dumps({"routes": [{"vehicle_type": "vehicle", "stops": ["a", "b"]}]}))
    plot(str(sol), "--problem", str(tmp_path / "p.json"), "--kind", "timeline",
         "--out", str(tmp_path / "t.png"))
    assert png_size(tmp_path / "t.png")[0] > 1000


def test_plot_errors_exit_2(tmp_path: Path) -> None:
    """A missing solution file exits 2 with one line and writes no PNG."""
    result = runner.invoke(app, ["plot", str(tmp_path / "nope.json"), "--problem", str(TINY),
                                 "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "no such file" in result.output
    assert not (tmp_path / "x.png").exists()
