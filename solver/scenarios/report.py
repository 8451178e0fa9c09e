"""Exports of a comparison: CSV, JSON, and one self-contained HTML page with charts.

Charts are matplotlib figures embedded as base64 PNG (no files beside the page, no
scripts): cost per variant split into its parts, the change in cost against the base,
distance / vehicles / unassigned / on-time per variant, and for a grid sweep heat maps
of cost and feasibility over its first two axes (other axes and seeds averaged).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from solver.scenarios.compare import Comparison
from solver.scenarios.sets import BASE

if TYPE_CHECKING:  # matplotlib takes seconds to import; only reports need it
    from matplotlib.figure import Figure

PARTS = ("fixed_cost", "distance_cost", "time_cost", "penalty_cost")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def write_csv(comparison: Comparison, path: str | Path) -> None:
    """One row per run, the base first; empty cells where a run has no value."""
    rows = comparison.rows
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with Path(path).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if _clean(r.get(k)) is None else _clean(r.get(k))
                             for k in columns})


def write_json(comparison: Comparison, path: str | Path) -> None:
    """Rows, plan diffs and run metadata; NaN becomes null."""
    data = comparison.as_dict()
    data["rows"] = [{k: _clean(v) for k, v in r.items()} for r in data["rows"]]
    Path(path).write_text(json.dumps(data, indent=2, default=str))


def mean_by_variant(rows: Sequence[dict[str, Any]], column: str) -> dict[str, float]:
    """Mean of ``column`` over seeds, per variant, in first-seen order (NaN skipped)."""
    acc: dict[str, list[float]] = {}
    for r in rows:
        v = r.get(column)
        acc.setdefault(r["variant"], [])
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            acc[r["variant"]].append(float(v))
    return {k: float(np.mean(v)) if v else math.nan for k, v in acc.items()}


def _figure(**kwargs: Any) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bar_height(n: int) -> float:
    return max(2.5, 0.28 * n + 1.2)


def cost_chart(rows: Sequence[dict[str, Any]]) -> Figure:
    """Horizontal stacked bars of the cost parts per variant (mean over seeds)."""
    names = list(mean_by_variant(rows, "total_cost"))
    fig = _figure(figsize=(8, _bar_height(len(names))))
    ax = fig.subplots()
    left = np.zeros(len(names))
    for part in PARTS:
        vals = np.nan_to_num([mean_by_variant(rows, part)[n] for n in names])
        ax.barh(names, vals, left=left, label=part.replace("_", " "))
        left += vals
    ax.invert_yaxis()
    ax.set_xlabel("total cost")
    ax.set_title("Cost per variant")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def delta_chart(rows: Sequence[dict[str, Any]]) -> Figure:
    """Change in total cost against the base, in percent, per variant."""
    pct = {k: v for k, v in mean_by_variant(rows, "delta_total_cost_pct").items() if k != BASE}
    fig = _figure(figsize=(8, _bar_height(len(pct))))
    ax = fig.subplots()
    vals = np.nan_to_num(list(pct.values()))
    ax.barh(list(pct), vals, color=["#c0392b" if v > 0 else "#27ae60" for v in vals])
    ax.axvline(0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("total cost vs base (%)")
    ax.set_title("Change in cost")
    return fig


def kpi_panels(rows: Sequence[dict[str, Any]]) -> Figure:
    """Distance, vehicles used, unassigned stops and on-time rate per variant."""
    cols = (("distance", "distance"), ("vehicles_used", "vehicles used"),
            ("unassigned", "unassigned stops"), ("on_time_rate", "on-time rate"))
    names = list(mean_by_variant(rows, "total_cost"))
    fig = _figure(figsize=(11, _bar_height(len(names))))
    axes = fig.subplots(1, 4, sharey=True)
    for ax, (col, title) in zip(axes, cols, strict=True):
        vals = np.nan_to_num([mean_by_variant(rows, col)[n] for n in names])
        ax.barh(names, vals, color=["#7f8c8d" if n == BASE else "#2980b9" for n in names])
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].invert_yaxis()
    return fig


def grid_maps(rows: Sequence[dict[str, Any]], axes: Sequence[str]) -> Figure | None:
    """Heat maps of mean cost and of the feasible share over the first two grid axes;
    a line chart when the grid has one axis."""
    cells = [r for r in rows if r["variant"] != BASE and r.get(axes[0]) is not None]
    if not cells:
        return None
    xs = sorted({r[axes[0]] for r in cells})
    if len(axes) == 1:
        fig = _figure(figsize=(7, 3.5))
        ax = fig.subplots()
        ys = [np.nanmean([r["total_cost"] for r in cells if r[axes[0]] == x]) for x in xs]
        ax.plot([str(x) for x in xs], ys, marker="o")
        ax.set_xlabel(axes[0])
        ax.set_ylabel("mean total cost")
        return fig
    ys = sorted({r[axes[1]] for r in cells})
    cost = np.full((len(ys), len(xs)), np.nan)
    ok = np.full((len(ys), len(xs)), np.nan)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            here = [r for r in cells if r[axes[0]] == x and r[axes[1]] == y]
            if here:
                cost[j, i] = np.nanmean([float(r["total_cost"]) for r in here])
                ok[j, i] = np.mean([r["feasible"] is True and r["unassigned"] == 0
                                    for r in here])
    fig = _figure(figsize=(12, 0.5 * len(ys) + 3))
    for ax, data, title, cmap in zip(fig.subplots(1, 2), (cost, ok),
                                     ("mean total cost", "feasible, all stops served (share)"),
                                     ("viridis", "RdYlGn"), strict=True):
        im = ax.imshow(data, cmap=cmap, aspect="auto", origin="lower",
                       vmin=0 if cmap == "RdYlGn" else None, vmax=1 if cmap == "RdYlGn" else None)
        ax.set_xticks(range(len(xs)), [str(x) for x in xs])
        ax.set_yticks(range(len(ys)), [str(y) for y in ys])
        ax.set_xlabel(axes[0])
        ax.set_ylabel(axes[1])
        ax.set_title(title)
        for (j, i), v in np.ndenumerate(data):
            if not np.isnan(v):
                ax.text(i, j, f"{v:,.0f}" if cmap == "viridis" else f"{v:.0%}",
                        ha="center", va="center", fontsize=7, color="white"
                        if cmap == "viridis" else "black")
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


TABLE_COLUMNS = ("variant", "seed", "status", "total_cost", "delta_total_cost_pct", "distance",
                 "duration", "vehicles_used", "unassigned", "on_time_rate", "on_time_expected",
                 "utilisation", "cost_per_stop", "stops_moved", "routes_changed", "warm_start",
                 "runtime_s")


def _cell(col: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if col in ("on_time_rate", "on_time_expected", "utilisation"):
        return f"{v:.1%}"
    if col == "delta_total_cost_pct":
        return f"{v:+.2f}%"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return html.escape(str(v))


def render_html(comparison: Comparison) -> str:
    """The report page: summary, charts and the full table, with nothing external."""
    rows = comparison.rows
    figures = [("Cost per variant", cost_chart(rows)), ("Change vs base", delta_chart(rows)),
               ("KPIs per variant", kpi_panels(rows))]
    if comparison.axes:
        maps = grid_maps(rows, comparison.axes)
        if maps is not None:
            figures.insert(0, ("Grid sweep", maps))
    imgs = "\n".join(f'<h2>{html.escape(t)}</h2><img alt="{html.escape(t)}" '
                     f'src="data:image/png;base64,{_png(f)}">' for t, f in figures)
    cols = [c for c in TABLE_COLUMNS if c != "seed" or len(comparison.seeds) > 1]
    cols[1:1] = list(comparison.axes)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "\n".join(
        "<tr{}>{}</tr>".format(' class="base"' if r["variant"] == BASE else "",
                               "".join(f"<td>{_cell(c, r.get(c))}</td>" for c in cols))
        for r in rows)
    n_var = len({r["variant"] for r in rows}) - 1
    note = " (cancelled before every run finished)" if comparison.cancelled else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>routecast what-if: {html.escape(comparison.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 12px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
th {{ background: #f3f3f3; }} td:first-child {{ text-align: left; }}
tr.base {{ background: #fff7d6; font-weight: 600; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>What-if: {html.escape(comparison.name)}</h1>
<p>{n_var} variant(s) against the base, seeds {comparison.seeds}, wall time
{comparison.wall_s:.1f} s{note}. Deltas are against the base solved with the same seed;
every number is the independent evaluator's.</p>
{imgs}
<h2>All runs</h2>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
</body></html>
"""


def write_report(comparison: Comparison, out: str | Path) -> dict[str, Path]:
    """Write comparison.csv, comparison.json and report.html into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "comparison.csv", "json": out / "comparison.json",
             "html": out / "report.html"}
    write_csv(comparison, paths["csv"])
    write_json(comparison, paths["json"])
    paths["html"].write_text(render_html(comparison))
    return paths
