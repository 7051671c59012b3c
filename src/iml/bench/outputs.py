"""What a bench leaves behind besides results.jsonl: tables, a plot, MLE-bench's input.

- ``results.md``: tasks x systems (P_norm, score) with APS, valid %, and — where tasks
  carry a leaderboard — above-median % and medals; then one row per cell with its
  measurements.
- ``pnorm.png``: P_norm per task per system.
- ``mlebench/<column>.jsonl``: one line per task, as ``mlebench grade --submission`` takes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from iml.bench.cells import BenchCell


def _columns(cells: list[BenchCell]) -> list[str]:
    return list(dict.fromkeys(c.column for c in cells))


def _tasks(cells: list[BenchCell]) -> list[str]:
    return list(dict.fromkeys(c.task for c in cells))


def _entry(cell: BenchCell | None) -> str:
    if cell is None:
        return ""
    if not cell.supported:
        return "unsupported (0)"
    if not cell.valid:
        return "invalid (0)"
    return f"{cell.p_norm:.4f} ({cell.score:.5g})"


def summary_table(cells: list[BenchCell]) -> str:
    columns, tasks = _columns(cells), _tasks(cells)
    by = {(c.task, c.column): c for c in cells}
    lines = ["| task | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for task in tasks:
        lines.append(f"| {task} | " + " | ".join(_entry(by.get((task, col))) for col in columns) + " |")

    def per_column(fn) -> str:
        values = []
        for col in columns:
            mine = [c for c in cells if c.column == col]
            values.append(fn(mine) if mine else "")
        return " | ".join(values)

    lines.append("| **APS** | " + per_column(lambda m: f"**{sum(c.p_norm for c in m) / len(m):.4f}**") + " |")
    lines.append("| valid % | " + per_column(lambda m: f"{100 * sum(c.valid for c in m) / len(m):.0f}%") + " |")
    if any(c.medal is not None for c in cells):
        def ranked(m):
            return [c for c in m if c.medal is not None]
        lines.append("| above median % | " + per_column(
            lambda m: f"{100 * sum(bool(c.above_median) for c in ranked(m)) / len(ranked(m)):.0f}%"
            if ranked(m) else "-") + " |")
        lines.append("| medals (gold/silver/bronze) | " + per_column(
            lambda m: "/".join(str(sum(c.medal == k for c in m)) for k in ("gold", "silver", "bronze"))) + " |")
    return "\n".join(lines)


def detail_table(cells: list[BenchCell]) -> str:
    lines = ["| task | system | score | P_norm | valid | wall s | first submission s | first model s | "
             "orchestration s | peak MB | LLM tokens | LLM $ |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        score = f"{c.score:.5f}" if c.score is not None else "-"
        first = f"{c.first_submission_s:.1f}" if c.first_submission_s is not None else "-"
        peak = f"{c.peak_memory_mb:.0f}" if c.peak_memory_mb is not None else "-"
        model = f"{c.first_model_s:.1f}" if c.first_model_s is not None else "-"
        orchestration = f"{c.orchestration_s:.1f}" if c.orchestration_s is not None else "-"
        valid = "yes" if c.valid else "no: " + c.reason.replace("|", "/")
        lines.append(f"| {c.task} | {c.column} | {score} | {c.p_norm:.4f} | {valid} | {c.wall_s:.1f} | {first} | "
                     f"{model} | {orchestration} | {peak} | {c.llm_tokens} | {c.llm_cost_usd:.4f} |")
    return "\n".join(lines)


def markdown_report(cells: list[BenchCell], time_budget: float) -> str:
    return (f"Budget {time_budget:.0f} s per cell, {os.cpu_count()} cores.\n\n"
            f"{summary_table(cells)}\n\n{detail_table(cells)}\n")


def plot_pnorm(cells: list[BenchCell], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; a bench machine has no display
    import matplotlib.pyplot as plt
    import numpy as np

    columns, tasks = _columns(cells), _tasks(cells)
    by = {(c.task, c.column): c.p_norm for c in cells}
    width = 0.8 / max(1, len(columns))
    x = np.arange(len(tasks))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(tasks) + 4), 4))
    for i, col in enumerate(columns):
        ax.bar(x + i * width - 0.4 + width / 2, [by.get((t, col), 0.0) for t in tasks], width, label=col)
    ax.set_xticks(x, tasks, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("P_norm")
    ax.set_title("P_norm per task and system")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: bars reach 1.0
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_mlebench(cells: list[BenchCell], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for col in _columns(cells):
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", col).strip("-")
        lines = [json.dumps({"competition_id": c.task, "submission_path": c.submission})
                 for c in cells if c.column == col and c.submission]
        (folder / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines))


def write_outputs(cells: list[BenchCell], out_dir: Path, time_budget: float) -> None:
    (out_dir / "results.md").write_text(markdown_report(cells, time_budget))
    if cells:
        plot_pnorm(cells, out_dir / "pnorm.png")
    write_mlebench(cells, out_dir / "mlebench")
