"""Each llm brain alone, through the real client: bad answers are sent back, facts stay the expert's."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from iml.flow import Run
from iml.llm import brains
from iml.llm.client import LLM, ReplyInvalid
from iml.options import RunOptions
from iml.progress import Progress
from iml.templating import render
from llm_fake import FakeLLMServer


@pytest.fixture
def planned(binary_task: Path, tmp_path: Path) -> Run:
    run = Run.start(RunOptions(data_dir=str(binary_task), run_dir=str(tmp_path / "run"), time_budget=25,
                               tracks=["traditional"]), Progress(quiet=True))
    run.execute(stop_after="plan")
    return run


def llm(url: str) -> LLM:
    return LLM("ollama:test", base_url=url, backoff_s=0.01)


def test_blueprint_with_unknown_column_is_reasked_and_facts_stay(planned: Run) -> None:
    expert = planned.blueprint
    bad = json.loads(expert.model_dump_json())
    bad["prep"]["numeric_columns"].append("no_such_column")
    good = json.loads(expert.model_dump_json())
    good["model"]["candidates"] = [{"track": "traditional", "learner": "lightgbm"}]
    good["contract"]["submission"]["n_rows"] = 5  # a fact: the expert's stays
    with FakeLLMServer() as server:
        server.enqueue(json.dumps(bad), f"```json\n{json.dumps(good)}\n```")
        refined = brains.refine_blueprint(llm(server.url), planned.summary, planned.profile, expert)
    assert "'no_such_column' is not in the data" in server.prompts()[1]
    assert [c.learner for c in refined.model.candidates] == ["lightgbm"]
    assert refined.contract == expert.contract


def test_model_module_that_ignores_the_shape_is_reasked(planned: Run) -> None:
    no_proba = "```python\nclass Model:\n    def fit(self, X, y):\n        return self\n\n    def predict(self, X):\n        return X\n```"
    importing = no_proba.replace("class Model", "import iml\n\nclass Model").replace(
        "        return X\n", "        return X\n\n    def predict_proba(self, X):\n        return X\n")
    fixed = importing.replace("import iml\n", "import numpy as np\n")
    with FakeLLMServer() as server:
        server.enqueue(no_proba, importing, fixed)
        source = brains.write_model(llm(server.url), planned.blueprint, 600)
    assert "class Model needs a method predict_proba()" in server.prompts()[1]
    assert "do not import iml" in server.prompts()[2]
    assert "DEFAULTS: dict = {}" in source  # the pipeline reads it; added when missing
    compile(source, "model_llm.py", "exec")


def test_preprocess_without_load_gives_up_after_the_reasks(planned: Run) -> None:
    module = "```python\nclass Preprocessor:\n    def fit(self, f, y=None):\n        return self\n\n    def transform(self, f):\n        return f\n```"
    with FakeLLMServer() as server:
        server.enqueue(module, module, module)
        with pytest.raises(ReplyInvalid, match="load"):
            brains.write_preprocess(llm(server.url), planned.summary, planned.profile, planned.blueprint)
    assert len(server.requests) == 3


def test_prompts_render_strictly(planned: Run) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("prompts/coder_model.j2", bp=planned.blueprint)  # n_train_rows, classification, classes missing
    text = render("prompts/coder_model.j2", bp=planned.blueprint, n_train_rows=600, classification=True,
                  classes=["no", "yes"], guided=True)
    assert "predict_proba" in text and '["no", "yes"]' in text
