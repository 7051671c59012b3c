"""Presets as data: each gives a valid blueprint on a real task, records itself, and an unknown name is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from iml.coding import coder
from iml.errors import IMLError
from iml.options import RunOptions
from iml.perception.description import analyze_task
from iml.perception.profiling import profile_task
from iml.planning import guideline, presets
from iml.planning.blueprint import Blueprint
from iml.runtime import names, spaces
from iml.runtime.learners import REGISTRY

CHURN = Path(__file__).resolve().parents[1] / "examples" / "churn" / "prepared" / "public"


@pytest.fixture(scope="module")
def churn():
    summary = analyze_task(CHURN)
    return summary, profile_task(summary)


def test_every_preset_is_well_formed() -> None:
    assert presets.DEFAULT_PRESET == "medium" and set(presets.PRESETS) == {"fast", "medium", "best"}
    for name, preset in presets.PRESETS.items():
        assert preset["tradeoff"] and "\n" not in preset["tradeoff"], name
        learners = [c["learner"] for c in preset["candidates"]]
        assert learners[0] == "lightgbm" and len(set(learners)) == len(learners), name
        for learner in learners:  # every learner runs in the traditional track and has a space and a class
            assert learner in names.TABULAR_LEARNERS and learner in REGISTRY and learner in spaces.SPACES
        assert preset["n_folds"] in (None, 3, 5) and 1 <= preset["max_trials"] and 0 < preset["hpo_share"] < 0.9
    fast, medium, best = (presets.PRESETS[n] for n in ("fast", "medium", "best"))
    assert len(fast["candidates"]) < len(medium["candidates"]) <= len(best["candidates"])
    assert fast["max_trials"] < medium["max_trials"] < best["max_trials"]
    # the portfolio gets up to half the trials: the best preset reaches all of it, the fast one a part
    assert (best["max_trials"] - 1) // 2 >= max(map(len, spaces.PORTFOLIO.values()))


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_each_preset_plans_a_valid_blueprint_on_a_real_task(churn, name: str) -> None:
    summary, profile = churn
    bp = guideline.plan(summary, profile, 600, preset=name)
    assert Blueprint.model_validate_json(bp.model_dump_json()) == bp  # it survives blueprint.json
    learners = [c.learner for c in bp.model.candidates]
    assert learners[0] == "lightgbm"  # cheap and strong: the first submission comes early
    assert learners == [c["learner"] for c in presets.PRESETS[name]["candidates"]]  # 600 s: every one of them
    assert bp.train.max_trials == presets.PRESETS[name]["max_trials"]
    assert bp.train.n_folds == (presets.PRESETS[name]["n_folds"] or 5)
    assert bp.preset.column == "preset" and bp.preset.action == name
    assert presets.PRESETS[name]["tradeoff"] in bp.preset.reason
    assert bp.rationale[0].startswith(f"Preset {name}: ")
    source = coder.write_model(bp, "traditional")  # the track module names every planned learner
    compile(source, "model_traditional.py", "exec")


def test_medium_adds_the_diverse_learners_with_small_weights(churn) -> None:
    summary, profile = churn
    weights = {c.learner: c.weight for c in guideline.plan(summary, profile, 600).model.candidates}
    assert set(names.DIVERSE_LEARNERS) <= set(weights)
    assert all(weights[d] < min(weights[b] for b in names.BOOSTING_LEARNERS) for d in names.DIVERSE_LEARNERS)


def test_the_default_preset_keeps_todays_short_budget_plan(churn) -> None:
    summary, profile = churn
    bp = guideline.plan(summary, profile, 30)
    assert [c.learner for c in bp.model.candidates] == ["lightgbm", "linear"]
    assert bp.train.n_folds == 3 and bp.train.max_trials == 60 and bp.preset.action == "medium"
    assert "Left out: catboost (needs a budget of 60s)" in bp.model.reason


def test_large_data_lowers_or_drops_heavy_learners() -> None:
    planned, left_out = presets.candidates("medium", n_rows=500_000, n_cells=50_000_000, time_budget=3600)
    weights = dict(planned)
    assert weights["catboost"] == 1.0 and "knn" not in weights and "extra_trees" not in weights
    assert any(reason.startswith("knn (more than 100,000 rows") for reason in left_out)


def test_an_unknown_preset_is_refused_with_the_valid_ones(churn) -> None:
    summary, profile = churn
    with pytest.raises(IMLError, match="unknown preset 'quick'; expected one of fast, medium, best") as err:
        guideline.plan(summary, profile, 60, preset="quick")
    assert "fast: " in err.value.hint and "best: " in err.value.hint
    with pytest.raises(ValidationError, match="unknown preset 'quick'"):
        RunOptions(data_dir=str(CHURN), presets="quick")
    assert RunOptions(data_dir=str(CHURN)).presets == "medium"


def test_the_cli_lists_the_presets_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    src = str(Path(__file__).resolve().parents[1] / "src")  # this checkout's iml, wherever the test runs
    env = {**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}, "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}

    def iml(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "iml.cli", "run", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, env=env)

    text = " ".join(iml("--help").stdout.replace("│", " ").split())  # the help's box, unwrapped
    for name, preset in presets.PRESETS.items():
        assert f"{name}: {preset['tradeoff']}" in text
    proc = iml(str(CHURN), "--presets", "quick", "--time-budget", "10")
    out = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 2 and "Traceback" not in out
    assert "unknown preset 'quick'; expected one of fast, medium, best" in out and "what to do:" in out
    assert not (tmp_path / "runs").exists()
