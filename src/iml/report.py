"""report.html: what was done, how well, and where to look next, with plots."""

from __future__ import annotations

import base64
import io
import json

import pandas as pd

from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runfolder import RunFolder
from iml.templating import render


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _leaderboard_plot(board: pd.DataFrame, metric: str) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = board[board["status"] == "ok"]
    if ok.empty:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * len(ok)))
    labels = ok["track"] + "/" + ok["model"]
    ax.barh(labels, ok["cv_score"], xerr=ok["cv_std"].fillna(0), color="#4c78a8", label="CV mean ± std")
    if ok["holdout"].notna().any():
        ax.scatter(ok["holdout"], labels, color="#f58518", zorder=3, label="holdout")
    low = min(ok["cv_score"].min(), ok["holdout"].min(skipna=True) if ok["holdout"].notna().any() else 1e9)
    high = max(ok["cv_score"].max(), ok["holdout"].max(skipna=True) if ok["holdout"].notna().any() else -1e9)
    pad = (high - low) * 0.5 + 1e-3
    ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel(metric)
    ax.legend(loc="lower right", fontsize=8)
    plt.close(fig)
    return _png(fig)


def _target_plot(profile: Profile) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not profile.targets or not profile.targets[0].class_counts:
        return None
    counts = profile.targets[0].class_counts
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.35 * min(len(counts), 20)))
    items = sorted(counts.items(), key=lambda kv: kv[1])[-20:]
    ax.barh([k for k, _ in items], [v for _, v in items], color="#54a24b")
    ax.set_xlabel("training rows")
    ax.set_title(f"target: {profile.targets[0].name}")
    plt.close(fig)
    return _png(fig)


def write_report(folder: RunFolder) -> None:
    summary = folder.read_model("task_summary.json", TaskSummary)
    profile = folder.read_model("profile.json", Profile)
    bp = folder.read_model("blueprint.json", Blueprint)
    board = pd.read_csv(folder.file("leaderboard.csv"))
    pipeline_report = json.loads(folder.file("pipeline_report.json").read_text())
    repairs = [e for e in folder.events() if e["event"] == "repair"]
    explained = folder.file("selection_explained.md")  # llm mode: the Comparison Agent's words
    html = render(
        "report.html.j2",
        summary=summary,
        profile=profile,
        bp=bp,
        board=board.astype(object).where(board.notna(), "").to_dict("records"),
        selection=pipeline_report.get("selection") or {},
        leaderboard_png=_leaderboard_plot(board, summary.metric),
        target_png=_target_plot(profile),
        repairs=repairs,
        explanation=explained.read_text().strip() if explained.exists() else None,
        run_dir=str(folder.path),
    )
    folder.write_text("report.html", html)
