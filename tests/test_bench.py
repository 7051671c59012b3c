"""`iml bench` on real task folders, checked against independent grading of the same files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from iml.bench.cells import BenchCell
from iml.bench.ranking import rank
from iml.bench.systems import unsupported
from iml.grading import TaskFacts, grade_submission

TASKS = Path(__file__).resolve().parents[2] / "shared" / "tasks"
needs_tasks = pytest.mark.skipif(not TASKS.is_dir(), reason="the development tasks are not beside the repo")


def iml(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def read_cells(out: Path) -> list[BenchCell]:
    return [BenchCell.model_validate_json(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    base = tmp_path_factory.mktemp("bench")
    tasks = base / "tasks"
    for name in ("employee-attrition", "seattle-weather"):
        shutil.copytree(TASKS / name, tasks / name)
    # A reference leaderboard of 30 teams for one task, so ranking runs on real scores.
    pd.DataFrame({"score": [0.50 + 0.015 * i for i in range(30)]}).to_csv(
        tasks / "employee-attrition" / "leaderboard.csv", index=False)
    out = base / "out"
    proc = iml("bench", tasks, "--systems", "iml,floor", "--time-budget", 12, "--tracks", "traditional",
               "--out", out, "--jobs", 2, cwd=base)
    return tasks, out, proc


@needs_tasks
def test_bench_table_matches_independent_grading(bench_run) -> None:
    tasks, out, proc = bench_run
    assert proc.returncode == 0, proc.stderr
    cells = read_cells(out)
    assert sorted((c.task, c.system) for c in cells) == [
        ("employee-attrition", "floor"), ("employee-attrition", "iml"),
        ("seattle-weather", "floor"), ("seattle-weather", "iml")]
    for cell in cells:
        again = grade_submission(tasks / cell.task, cell.submission)
        assert again.valid and cell.valid
        assert cell.score == pytest.approx(again.score) and cell.p_norm == pytest.approx(again.p_norm)
        assert cell.peak_memory_mb and cell.peak_memory_mb > 10
        assert 0 < cell.wall_s < 12 * 1.5 + 60
    by = {(c.task, c.system): c for c in cells}
    for task in ("employee-attrition", "seattle-weather"):
        assert by[(task, "iml")].p_norm > by[(task, "floor")].p_norm + 0.02
        assert by[(task, "iml")].first_submission_s is not None
        board = pd.read_csv(Path(by[(task, "iml")].run_dir) / "leaderboard.csv")
        assert (board["status"] == "ok").any()

    table = (out / "results.md").read_text()
    assert all(line in proc.stdout for line in table.splitlines() if line.startswith("| **APS**"))
    for system in ("iml", "floor"):
        mine = [c.p_norm for c in cells if c.system == system]
        assert f"**{sum(mine) / len(mine):.4f}**" in table
    assert (out / "pnorm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = [json.loads(line) for line in (out / "mlebench" / "iml.jsonl").read_text().splitlines()]
    assert {row["competition_id"] for row in lines} == {"employee-attrition", "seattle-weather"}
    assert all(Path(row["submission_path"]).is_file() for row in lines)
    # The tasks themselves were never written into.
    assert not any(p.name == "submission.csv" for p in tasks.rglob("*"))


@needs_tasks
def test_bench_ranks_against_a_leaderboard(bench_run) -> None:
    tasks, out, _ = bench_run
    cells = {(c.task, c.system): c for c in read_cells(out)}
    floor = cells[("employee-attrition", "floor")]
    assert floor.medal == "none" and floor.above_median is False  # AUC 0.5 is the board's last place
    ranked = cells[("employee-attrition", "iml")]
    expected = rank(ranked.score, pd.read_csv(tasks / "employee-attrition" / "leaderboard.csv")["score"], "auc")
    assert (ranked.medal, ranked.above_median) == (expected.medal, expected.above_median)
    assert cells[("seattle-weather", "iml")].medal is None  # no leaderboard, no ranking
    assert "| above median % |" in (out / "results.md").read_text()


@needs_tasks
def test_bench_rerun_skips_finished_cells(bench_run) -> None:
    tasks, out, _ = bench_run
    before = (out / "results.jsonl").read_text()
    proc = iml("bench", tasks, "--systems", "iml,floor", "--time-budget", 12, "--tracks", "traditional",
               "--out", out, cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    assert (out / "results.jsonl").read_text() == before


def test_medal_thresholds_follow_the_number_of_teams() -> None:
    # 50 teams, higher is better: gold = top 5, silver = top 10, bronze = top 20 positions.
    board = pd.Series([1.0 - 0.01 * i for i in range(50)])  # 1.00, 0.99, ... 0.51
    assert rank(0.96, board, "auc").medal == "gold"      # 5th best score
    assert rank(0.955, board, "auc").medal == "silver"
    assert rank(0.91, board, "auc").medal == "silver"    # 10th best
    assert rank(0.81, board, "auc").medal == "bronze"    # 20th best
    assert rank(0.80, board, "auc").medal == "none"
    assert rank(0.80, board, "auc").above_median
    assert not rank(0.74, board, "auc").above_median
    # 500 teams, lower is better: gold = top 11, silver = top 50, bronze = top 100.
    errors = pd.Series([round(0.1 * i, 1) for i in range(1, 501)])
    assert rank(1.1, errors, "rmse").medal == "gold"
    assert rank(1.2, errors, "rmse").medal == "silver"
    assert rank(10.0, errors, "rmse").medal == "bronze"
    assert rank(10.05, errors, "rmse").medal == "none"
    assert rank(None, errors, "rmse").medal == "none"


def test_table_only_baselines_are_unsupported_on_media() -> None:
    image = TaskFacts(id="t", modality="image", metric="accuracy", id_column="id", target_columns=["label"],
                      media={"column": "image", "folder": "images"})
    assert "image" in unsupported("autogluon", image)
    assert unsupported("floor", image) is None
    assert unsupported("iml", image) is None


def test_a_baseline_that_is_not_installed_is_a_clear_error(tmp_path: Path) -> None:
    proc = iml("bench", tmp_path, "--systems", "iml,autogluon", "--system-python", f"autogluon={sys.executable}",
               "--out", tmp_path / "out", cwd=tmp_path)
    if proc.returncode == 0:
        pytest.skip("autogluon is installed in this interpreter")
    assert "autogluon is not importable" in proc.stderr and "what to do" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "results.jsonl").exists()
