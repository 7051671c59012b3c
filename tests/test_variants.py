"""The iML paper's ablations (--variant reactive|mono|static), each run end to end with the expert brain.

`full` (the default) is what every other run test exercises.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_binary_task
from iml.errors import PipelineFailed
from iml.flow import Run
from iml.options import RunOptions
from iml.predicting import predict
from iml.progress import Progress
from llm_fake import FakeLLMServer

MAIN_BLOCK = '\n\nif __name__ == "__main__":' 


@pytest.fixture
def task(tmp_path: Path) -> Path:
    return make_binary_task(tmp_path / "data", n_train=400, n_test=200)


def start(data: Path, run_dir: Path, variant: str, **overrides) -> Run:
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=overrides.pop("time_budget", 12),
                         memory_mb=3000, tracks=["traditional"], variant=variant, **overrides)
    return Run.start(options, Progress(quiet=True))


def kinds(run: Run) -> list[str]:
    return [e["event"] for e in run.folder.events()]


def assert_valid(run: Run, outcome, variant: str) -> None:
    assert outcome.status == "succeeded"
    submission = pd.read_csv(outcome.submission)
    assert list(submission.columns) == ["row_id", "left"]
    assert len(submission) == 200 and submission["left"].between(0, 1).all()
    assert run.folder.state().options["variant"] == variant
    assert run.blueprint.variant == variant
    assert set(pd.read_csv(run.folder.file("leaderboard.csv"))["variant"]) == {variant}
    assert f"Ablation variant: {variant}" in run.folder.file("report.html").read_text()


def planted(body: str) -> str:
    """A defect wrapped around the module's own Preprocessor.transform, as a person might patch it in."""
    return ("\n\nimport numpy as np  # planted\n_planted_transform = Preprocessor.transform\n\n\n"
            "def _planted(self, frame):\n    out = _planted_transform(self, frame)\n" + body + "    return out\n\n\n"
            "Preprocessor.transform = _planted\n")


def plant(run: Run, module: str, body: str) -> None:
    """Add the defect at the module's end, or in the one script before its main block."""
    path = run.folder.file(module)
    text = path.read_text()
    patch = planted(body)
    if MAIN_BLOCK in text:
        assert text.count(MAIN_BLOCK) == 1
        text = text.replace(MAIN_BLOCK, patch + MAIN_BLOCK)
    else:
        text += patch
    path.write_text(text)


def test_reactive_codes_from_a_minimal_default_plan(task: Path, tmp_path: Path) -> None:
    run = start(task, tmp_path / "run", "reactive")
    outcome = run.execute()
    assert_valid(run, outcome, "reactive")
    bp = run.blueprint
    # One default learner, untuned; generic preprocessing: the date and the categories become frequency codes.
    assert [(c.track, c.learner, c.search) for c in bp.model.candidates] == [("traditional", "lightgbm", False)]
    assert bp.prep.numeric_columns == ["age", "balance"]
    assert bp.prep.ordinal_columns == ["plan", "city", "joined"]
    assert not (bp.prep.datetime_columns or bp.prep.onehot_columns or bp.prep.text_columns)
    assert bp.rationale[0].startswith("Variant reactive: no blueprint-guided planning")
    board = pd.read_csv(run.folder.file("leaderboard.csv"))
    assert board["model"].tolist() == ["lightgbm"] and board["status"].tolist() == ["ok"]


def test_mono_is_one_script_repaired_as_a_whole(task: Path, tmp_path: Path) -> None:
    run = start(task, tmp_path / "run", "mono")
    run.execute(stop_after="code")
    assert not list(run.folder.file("code").glob("*.py"))  # no modules: the script holds everything
    script = run.folder.file("pipeline.py").read_text()
    assert script.count("class Preprocessor") == 1 and script.count("class Model") == 1
    assert '_import("preprocess")' not in script
    # A defect the verifier catches in the preprocessing part (NaN in the features): blamed on the script.
    plant(run, "pipeline.py", "    out.iloc[::7, 0] = np.nan\n")
    outcome = run.execute()

    assert_valid(run, outcome, "mono")
    failed = [e["diagnoses"][0] for e in run.folder.events() if e["event"] == "verification_failed"]
    assert len(failed) == 1 and failed[0]["module"] == "pipeline.py" and "missing" in failed[0]["evidence"]
    repairs = [e for e in run.folder.events() if e["event"] == "repair"]
    assert [(r["module"], r["action"]) for r in repairs] == [("pipeline.py", "regenerated from the template")]
    assert planted("    out.iloc[::7, 0] = np.nan\n") not in run.folder.file("pipeline.py").read_text()
    assert not list(run.folder.file("code").glob("*.py"))
    # The one script's fitted pipeline predicts on new rows by itself.
    out = predict(run.folder.path, task / "test.csv", tmp_path / "pred.csv")
    assert len(pd.read_csv(out)) == 200


def test_mono_with_the_llm_repairs_the_whole_script(task: Path, tmp_path: Path) -> None:
    script = {}

    def responder(request: dict) -> str:
        system, prompt = request["messages"][0]["content"], request["messages"][-1]["content"]
        if "Debugger" in system:  # the whole script back, without the planted defect
            return "```python\n" + script["pristine"] + "```"
        if "```json" in prompt:  # Description Analyzer, Guideline Agent: the expert's answer confirmed
            return prompt[prompt.index("```json"):prompt.index("```", prompt.index("```json") + 7) + 3]
        return "The linear model won."

    with FakeLLMServer(responder=responder) as server:
        run = start(task, tmp_path / "run", "mono", llm="ollama:test", llm_base_url=server.url, llm_retry_wait=0.01)
        run.execute(stop_after="code")
        script["pristine"] = run.folder.file("pipeline.py").read_text()
        plant(run, "pipeline.py", "    out.iloc[::7, 0] = np.nan\n")
        outcome = run.execute()

    assert_valid(run, outcome, "mono")
    assert [e["reason"] for e in run.folder.events() if e["event"] == "llm_track_skipped"] == [
        "mono variant: one script, no llm track modules"]
    repairs = [e for e in run.folder.events() if e["event"] == "repair"]
    assert [(r["module"], r["action"]) for r in repairs] == [("pipeline.py", "rewritten by the LLM")]
    asked = [r["messages"][-1]["content"] for r in server.requests if "Debugger" in r["messages"][0]["content"]]
    assert len(asked) == 1 and "pipeline.py is the whole program" in asked[0]
    assert "out.iloc[::7, 0] = np.nan" in asked[0]  # the LLM saw the whole script, defect included
    # (a fenced reply loses the script's trailing blank lines)
    assert run.folder.file("pipeline.py").read_text().rstrip() == script["pristine"].rstrip()


def test_static_runs_once_without_verification(task: Path, tmp_path: Path) -> None:
    run = start(task, tmp_path / "run", "static")
    outcome = run.execute()
    assert_valid(run, outcome, "static")
    assert "verification_skipped" in kinds(run) and "repair" not in kinds(run)
    assert [p.name for p in sorted(run.folder.file("attempts").iterdir())] == ["001-full"]


def test_static_with_a_planted_failure_stops_without_repairs(task: Path, tmp_path: Path) -> None:
    run = start(task, tmp_path / "run", "static")
    run.execute(stop_after="code")
    plant(run, "code/preprocess.py", "    raise RuntimeError('planted: row 7 is malformed')\n")
    with pytest.raises(PipelineFailed) as info:
        run.execute()
    assert "static variant neither verifies nor repairs" in info.value.message
    assert "planted: row 7 is malformed" in info.value.message
    assert "--variant full" in info.value.hint
    assert run.folder.state().status == "failed"
    assert "repair" not in kinds(run) and "verification_failed" not in kinds(run)
    assert [p.name for p in sorted(run.folder.file("attempts").iterdir())] == ["001-full"]
    # nothing trained, yet the floor the pipeline wrote before featurizing stands
    assert "floor_only" in kinds(run)
    floor = pd.read_csv(run.folder.file("submission.csv"))
    assert len(floor) > 0 and floor.iloc[:, -1].nunique() == 1
    outcome = json.loads((run.folder.file("attempts") / "001-full" / "outcome.json").read_text())
    assert outcome["diagnoses"][0]["module"] == "code/preprocess.py"


def test_cli_names_the_variants_when_given_another(task: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(task), "--variant", "monolithic",
                           "--run-dir", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0 and "Traceback" not in text
    assert "invalid option: variant" in text and "'full', 'reactive', 'mono' or 'static'" in text, text
    assert not (tmp_path / "run").exists()
