"""report.html: the figure logic on its own, then one finished run's page in a real headless chromium."""

from __future__ import annotations

import io
import json
from html import escape
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from browser import Browser, chromium
from conftest import make_binary_task
from iml.report import figures, wording
from iml.report.facts import Candidate, gather
from iml.runfolder import RunFolder

# ----------------------------------------------------------------------------- figure logic


def test_a_score_axis_starts_at_zero_and_ends_at_the_metrics_best_value() -> None:
    assert figures.score_axis([0.795, 0.821, 0.831], "auc") == (0.0, 1.0)
    lo, hi = figures.score_axis([12.3, 15.0], "rmse")  # no ceiling: a little past the largest error
    assert lo == 0.0 and 15.0 < hi <= 16.0
    lo, hi = figures.score_axis([-0.2, 0.4], "mcc")  # a signed score below zero shows how far
    assert -1.0 <= lo < -0.2 and hi == 1.0
    assert figures.score_axis([], "auc") == (0.0, 1.0)


def test_the_leaderboard_plot_draws_its_scores_on_the_honest_axis() -> None:
    candidates = [Candidate(track="traditional", model="lightgbm", status="ok", cv_score=0.821, cv_std=0.01,
                            fold_scores=[0.81, 0.82, 0.833], holdout=0.831, weight=1.0),
                  Candidate(track="traditional", model="linear", status="ok", cv_score=0.795, cv_std=0.02),
                  Candidate(track="custom_nn", model="tabm", status="skipped", error="time budget exhausted")]
    plot = figures.leaderboard(candidates, "auc", True, floor=0.5)
    assert plot.x_range == (0.0, 1.0)
    lower = figures.leaderboard([Candidate(track="t", model="m", status="ok", cv_score=3.2, cv_std=0.1)],
                                "rmse", False, floor=5.0)
    assert lower.x_range[0] == 0.0 and lower.x_range[1] > 5.0  # the floor is on the chart too
    assert figures.leaderboard(candidates[2:], "auc", True, None) is None


def test_the_holdout_sentence_follows_the_figures() -> None:
    # The case the old page got wrong: a holdout above the CV score, within the folds' spread.
    agree = wording.holdout_verdict(0.821, 0.831, 0.01, greater_is_better=True)
    assert "agrees" in agree and "may have over-fitted" not in agree
    worse = wording.holdout_verdict(0.85, 0.78, 0.01, greater_is_better=True)
    assert "worse" in worse and "may have over-fitted" in worse
    better = wording.holdout_verdict(0.80, 0.86, 0.005, greater_is_better=True)
    assert "better" in better and "may have over-fitted" not in better
    # Lower is better: a larger holdout error is the worse one.
    assert "may have over-fitted" in wording.holdout_verdict(10.0, 13.0, 0.5, greater_is_better=False)
    assert "better" in wording.holdout_verdict(10.0, 8.0, 0.5, greater_is_better=False)
    assert "no locked holdout" in wording.holdout_verdict(0.8, None, 0.01, greater_is_better=True)


def test_the_explanation_names_the_brain_that_wrote_it() -> None:
    assert "LLM" not in wording.explanation_author("expert")
    assert "LLM" in wording.explanation_author("llm")


def test_the_curves_agree_with_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 500)
    score = np.round(truth * 0.3 + rng.random(500), 2)  # ties, as rounded probabilities have
    found = figures.curves(truth, score)
    assert found["auc"] == pytest.approx(roc_auc_score(truth, score), abs=1e-12)
    assert found["ap"] == pytest.approx(average_precision_score(truth, score), abs=1e-12)
    assert found["fpr"][0] == 0 and found["tpr"][-1] == 1 and found["recall"][-1] == 1


def test_the_classification_plots_come_from_saved_predictions() -> None:
    rng = np.random.default_rng(0)
    n = 400
    truth = rng.choice(["no", "yes"], n, p=[0.7, 0.3])
    p_yes = np.clip(np.where(truth == "yes", 0.6, 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    frame = pd.DataFrame({"row": np.arange(n), "part": ["cv"] * 300 + ["holdout"] * 100, "y": truth,
                          "label": np.where(p_yes > 0.5, "yes", "no"), "p_no": 1 - p_yes, "p_yes": p_yes})
    keys = [p.key for p in figures.roc_pr(frame, "yes")]
    assert keys == ["roc", "precision_recall"]
    assert figures.confusion(frame).key == "confusion"
    assert "bins" in figures.calibration(frame, "yes").caption
    assert figures.residuals(frame, "y") == []  # not a regression
    values = pd.DataFrame({"row": np.arange(50), "part": "cv", "y": rng.normal(size=50),
                           "prediction": rng.normal(size=50)})
    assert [p.key for p in figures.residuals(values, "y")] == ["residuals", "predicted_vs_true"]
    assert figures.roc_pr(values, None) == [] and figures.calibration(values, None) is None


# ----------------------------------------------------------------------------- one finished run


def iml(*args, cwd: Path, timeout: float = 150) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "iml.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished binary run with a locked holdout (2,000+ rows), its report rebuilt by `iml report`."""
    base = tmp_path_factory.mktemp("report")
    data = make_binary_task(base / "task" / "public", n_train=2100, n_test=300)
    iml("run", data, "--time-budget", 30, "--presets", "fast", "--tracks", "traditional", "--run-dir",
        base / "run", cwd=base)
    iml("report", base / "run", cwd=base)
    return base / "run"


def test_the_runtime_saves_the_selections_out_of_fold_predictions(run: Path) -> None:
    saved = pd.read_csv(run / "oof" / "selection.csv")
    assert set(saved["part"]) == {"cv", "holdout"}
    assert len(saved) == 2100 and saved["row"].is_unique
    assert set(saved["y"]) == {"no", "yes"}
    np.testing.assert_allclose(saved["p_no"] + saved["p_yes"], 1.0, atol=1e-6)
    report = json.loads((run / "pipeline_report.json").read_text())
    ok = [r for r in report["leaderboard"] if r["status"] == "ok"]
    assert ok and all(len(r["fold_scores"]) == 3 for r in ok)
    assert {"python", "numpy", "lightgbm"} <= set(report["versions"])


def test_the_page_states_the_selection_as_the_run_recorded_it(run: Path) -> None:
    html = (run / "report.html").read_text()
    report = json.loads((run / "pipeline_report.json").read_text())
    selection = report["selection"]
    assert f"{selection['cv_score']:.5f}" in html
    for name, weight in selection["weights"].items():
        if not selection["how"].startswith("stacking"):
            assert re.search(rf"<code>{re.escape(name)}</code>, weight <b>{weight:.3f}</b>", html)
    assert "written by the expert brain" in html and "written by the LLM" not in html
    facts = gather(RunFolder.open(run))
    expected = wording.holdout_verdict(selection["cv_score"], selection["holdout_score"], facts.members_std,
                                       True, holdout_rows=int((pd.read_csv(run / "oof" / "selection.csv")["part"]
                                                               == "holdout").sum()))
    assert escape(expected) in html  # the sentence the figures choose, beside those figures
    # Self-contained: nothing is fetched, no script runs.
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html
    for section in ("result", "asked", "data", "plan", "leaderboard", "selection", "timeline", "skipped", "run"):
        assert f'id="{section}"' in html
    assert "not recorded by this run" not in html  # the versions are


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (apt-get install -y chromium; "
                                                ".ci/run installs it)")
def test_the_page_loads_in_chromium_without_errors_and_shows_its_plots(run: Path) -> None:
    from PIL import Image

    browser = Browser()
    try:
        visit = browser.visit((run / "report.html").as_uri(), """JSON.stringify([...document.images].map(i => ({
            id: i.id, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,
            shown: i.getBoundingClientRect().width})))""")
    finally:
        browser.close()
    assert visit.errors == [], visit.errors
    assert all(url.startswith(("file:", "data:")) for url in visit.requests), \
        [u[:80] for u in visit.requests if not u.startswith(("file:", "data:"))]
    images = {i["id"]: i for i in visit.evaluated}
    expected = {"plot-target", "plot-missingness", "plot-associations", "plot-leaderboard", "plot-importance",
                "plot-confusion", "plot-roc", "plot-precision_recall", "plot-calibration", "plot-timeline"}
    assert expected <= set(images), sorted(images)
    for image in images.values():
        assert image["complete"] and image["width"] > 200 and image["height"] > 100 and image["shown"] > 200, image
    shot = Image.open(io.BytesIO(visit.screenshot)).convert("RGB")
    (run / "report_screenshot.png").write_bytes(visit.screenshot)  # to look at when the test fails
    assert shot.width >= 1000 and shot.height > 4000, shot.size  # the whole page, not one screen
    pixels = np.asarray(shot).astype(int)
    assert (pixels.min(axis=2) < 200).mean() > 0.02  # ink, not a blank page (a page of text and plots: ~5%)
    # The plots' colours are on it: matplotlib's bars (blue, orange, green) show in the screenshot.
    colours = {tuple(c) for c in pixels.reshape(-1, 3)[::7]}
    for hex_ in (figures.BLUE, figures.ORANGE, figures.GREEN):
        rgb = tuple(int(hex_[i:i + 2], 16) for i in (1, 3, 5))
        assert any(max(abs(a - b) for a, b in zip(rgb, c)) < 12 for c in colours), hex_
