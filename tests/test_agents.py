"""The agents' seams without a pipeline run: typed repairs, the expert ladder's memory, the variants' answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_binary_task
from iml.integration.debugger import MODEL_LADDER, Repair, propose
from iml.integration.diagnosis import Diagnosis
from iml.perception.description import analyze_task
from iml.perception.profiling import profile_task
from iml.planning import guideline
from iml.retrieval.retriever import Retrieval
from iml.runtime.names import PIPELINE, PREPROCESS, model_module
from iml.variants import VARIANTS, of


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    data = make_binary_task(tmp_path_factory.mktemp("agents") / "data", n_train=200, n_test=50)
    summary = analyze_task(Path(data))
    profile = profile_task(summary)
    return summary, profile, guideline.plan(summary, profile, 200)


def failure(module: str, candidate: str | None = None, evidence: str = "boom") -> Diagnosis:
    return Diagnosis(failure="contract_usage", module=module, candidate=candidate, cause="exception",
                     evidence=evidence)


def test_repairs_are_typed_and_each_rung_is_tried_once(planned) -> None:
    _summary, _profile, bp = planned
    first = bp.model.candidates[1]
    d = failure(model_module(first.track), candidate=f"{first.track}/{first.learner}")
    tried: list[Repair] = []
    kinds = []
    while (proposal := propose(bp, d, tried, module_is_pristine=True)) is not None:
        bp, repair = proposal
        tried.append(repair)
        kinds.append(repair.kind)
    assert kinds == ["drop_candidate", "fewer_candidates"]
    assert tried[0].candidates == [d.candidate] and tried[0].action == f"removed candidate {d.candidate}"
    assert len(bp.model.candidates) == 1


def test_an_edited_module_is_regenerated_first_and_only_once(planned) -> None:
    bp = planned[2]
    d = failure(PREPROCESS)
    _, repair = propose(bp, d, [], module_is_pristine=False)
    assert repair.kind == "regenerate" and repair.regenerate and repair.model_dump()["regenerate"]
    _, second = propose(bp, d, [repair], module_is_pristine=False)
    assert second.kind != "regenerate"


def test_a_missing_package_removes_its_candidates(planned) -> None:
    bp = planned[2]
    d = failure(model_module("traditional"), evidence="ModuleNotFoundError: No module named 'catboost'")
    assert MODEL_LADDER[0](bp, d) is None  # an exception that merely names a learner removes nothing
    d = d.model_copy(update={"cause": "missing_package", "failure": "environment"})
    new_bp, repair = MODEL_LADDER[0](bp, d)
    assert repair.kind == "drop_missing_package" and repair.candidates == ["traditional/catboost"]
    assert all(c.learner != "catboost" for c in new_bp.model.candidates)


def test_variants_answer_the_flows_questions(planned) -> None:
    summary, profile, bp = planned
    assert list(VARIANTS) == ["full", "reactive", "mono", "static"]
    full, reactive, mono, static = (of(name) for name in VARIANTS)
    assert full.modules(bp)[:2] == [PREPROCESS, PIPELINE] and mono.modules(bp) == [PIPELINE]
    assert static.verification_skipped and not static.repairs and full.verification_skipped is None
    assert reactive.llm_plan_skipped and not reactive.guided and mono.llm_track_skipped
    d = failure(model_module("traditional"))
    assert mono.blame([d])[0].module == PIPELINE and full.blame([d]) == [d]
    assert mono.llm_may_rewrite(PIPELINE) and not full.llm_may_rewrite(PIPELINE)
    assert not full.llm_may_rewrite("code/iml_runtime/metrics.py")
    reactive_bp = reactive.plan(summary, profile, 60, Retrieval(checkpoints=[]), ("traditional",))
    assert reactive_bp.variant == "reactive" and len(reactive_bp.model.candidates) == 1
    mono_bp = mono.plan(summary, profile, 60, Retrieval(checkpoints=[]), ("traditional", "custom_nn"))
    assert {c.track for c in mono_bp.model.candidates} == {"traditional"}
    assert "class Preprocessor" in mono.assemble(mono_bp, summary, 60)  # the modules inlined
    assert "class Preprocessor" not in full.assemble(bp, summary, 60)
