"""The markdown summary of a day-benchmark run: machine, command, cost tables, verdicts."""

from __future__ import annotations

from pathlib import Path


def _cell(row: dict | None) -> str:
    if row is None:
        return "—"
    if row["status"] != "solved":
        return row["status"]
    flags = "" if row["feasible"] else " INFEASIBLE"
    if row["unassigned_required"]:
        flags += f" ({row['unassigned_required']} out)"
    return f"{row['cost']:.2f}{flags}"


def _good(row: dict | None) -> bool:
    return (row is not None and row["status"] == "solved" and bool(row["feasible"])
            and not row["unassigned_required"])


def no_worse_count(rows: list[dict], engine: str, peer: str, limit: float) -> tuple[int, int]:
    """(instances where ``engine``'s plan is complete, feasible and no costlier than
    ``peer``'s, or ``peer`` has none; instances where ``engine`` ran) at ``limit``."""
    by = {(r["instance"], r["engine"]): r for r in rows if r["time_limit"] == limit}
    names = sorted({i for i, e in by if e == engine})
    wins = sum(1 for i in names if _good(by[(i, engine)]) and (
        not _good(by.get((i, peer))) or by[(i, engine)]["cost"] <= by[(i, peer)]["cost"]))
    return wins, len(names)


def write_summary(path: Path, rows: list[dict], engines: list[str], limits: list[float],
                  machine: dict) -> None:
    """Tables per time limit (instance x engine: evaluator cost or status) and notes."""
    lines = ["# Operating-day benchmark (issue 13)", "",
             f"- command: `{machine['command']}` (commit {machine['commit']})",
             f"- machine: {machine['cpu']}, Python {machine['python']}",
             f"- load before: `{machine['uptime_before']}`",
             f"- load after: `{machine['uptime_after']}`",
             "- every cost is the evaluator's; `refused`: the engine declines the problem "
             "(its message is in the CSV), `no_solution`: it found no plan; "
             "`(k out)`: k required stops left unassigned", ""]
    for limit in limits:
        at = [r for r in rows if r["time_limit"] == limit]
        if not at:
            continue
        names = list(dict.fromkeys(r["instance"] for r in at))
        by = {(r["instance"], r["engine"]): r for r in at}
        lines += [f"## {limit:g} s", "",
                  "| instance | " + " | ".join(engines) + " | wall s (" +
                  ", ".join(engines) + ") | runtime s |",
                  "|---|" + "---:|" * len(engines) + "---|---|"]
        for name in names:
            cells = [_cell(by.get((name, e))) for e in engines]
            walls = [str((by.get((name, e)) or {}).get("wall_s", "—")) for e in engines]
            runs = [str((by.get((name, e)) or {}).get("runtime_s") or "—") for e in engines]
            lines.append(f"| {name} | " + " | ".join(cells) + " | " + ", ".join(walls)
                         + " | " + ", ".join(runs) + " |")
        lines.append("")
        for engine in engines:
            for peer in engines:
                if engine == peer or not any(r["engine"] == engine and r["status"] == "solved"
                                             for r in at):
                    continue
                wins, ran = no_worse_count(rows, engine, peer, limit)
                lines.append(f"- `{engine}` complete, feasible and no costlier than `{peer}`: "
                             f"{wins} of {ran}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")
