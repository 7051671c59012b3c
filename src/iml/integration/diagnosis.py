"""Error Analyzer: from the sandbox outcome, the pipeline's typed events and the contract diff to one blamed module.

The pipeline says in its events which stage failed (a feature set, a candidate, the program) and with
which exception; the module to blame follows from the stage, and a traceback frame in generated code
refines it. Log text is never parsed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from iml.errors import ContractViolation
from iml.integration.sandbox import SandboxResult
from iml.runtime import events as ev
from iml.runtime.names import PIPELINE, PREPROCESS, candidate_id, feature_module, model_module

FailureClass = Literal["contract_fulfillment", "contract_usage", "environment", "data", "integration"]

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
# Exceptions raised while reading the user's files or target: the data, not the code, needs attention.
DATA_EXCEPTIONS = frozenset({"ParserError", "EmptyDataError", "UnicodeDecodeError", "FileNotFoundError", "TargetError"})
PACKAGE_EXCEPTIONS = frozenset({"ModuleNotFoundError", "ImportError"})
# Only for a crash before the pipeline could write any event (a module that does not even import).
_MISSING_PACKAGE = re.compile(r"(ModuleNotFoundError|ImportError): (.*)")
TRACEBACK_KEEP = 4000  # characters of a traceback kept with a diagnosis, for a person or the LLM debugger


class Diagnosis(BaseModel):
    failure: FailureClass
    module: str  # e.g. code/preprocess.py, code/model_traditional.py, pipeline.py
    candidate: str | None = None  # track/learner when one candidate failed
    cause: str  # timeout | memory | missing_package | exception | contract
    evidence: str
    traceback: str = ""


def blamed_file(traceback_text: str) -> str | None:
    """The innermost frame that belongs to the task's generated code (the engine in iml_runtime/ is not blamed)."""
    blamed = None
    for path, _line in _FRAME.findall(traceback_text):
        parts = Path(path).parts
        if "iml_runtime" in parts:
            continue
        name = parts[-1] if parts else ""
        if name.startswith(("preprocess", "model_")):  # preprocess.py, preprocess_llm.py, model_<track>.py
            blamed = f"code/{name}"
        elif name == Path(PIPELINE).name and blamed is None:
            blamed = PIPELINE
    return blamed


def _cause(exception: str) -> tuple[FailureClass | None, str]:
    """(failure class it implies, cause) of an exception's class name; None: the stage decides."""
    if exception == "MemoryError":
        return "environment", "memory"
    if exception in PACKAGE_EXCEPTIONS:
        return "environment", "missing_package"
    if exception in DATA_EXCEPTIONS:
        return "data", "exception"
    return None, "exception"


def _failure_of(module: str) -> FailureClass:
    if module.startswith("code/preprocess"):
        return "contract_fulfillment"
    return "contract_usage" if module.startswith("code/model_") else "integration"


def diagnose(result: SandboxResult, violations: list[ContractViolation], events: list[ev.Event]) -> list[Diagnosis]:
    """All failures of one execution, most fundamental first (preprocessing before modeling)."""
    found: list[Diagnosis] = []
    feature_problems = [v for v in violations if v.module.startswith("code/preprocess")]
    failing_preprocessors = list(dict.fromkeys(v.module for v in feature_problems))  # the expert's, the LLM's
    for prep_module in failing_preprocessors:
        found.append(Diagnosis(failure="contract_fulfillment", module=prep_module, cause="contract",
                               evidence="; ".join(v.message for v in feature_problems if v.module == prep_module)))
    if result.timed_out:
        module, candidate = stage_at_end(events)
        found.append(Diagnosis(failure="environment", module=module, candidate=candidate, cause="timeout",
                               evidence=f"killed after {result.seconds:.0f}s (wall-clock limit)"))
    for event in events:
        if isinstance(event, ev.FeaturizeFailed):
            module = feature_module(event.feature_set)
            if module not in failing_preprocessors:
                found.append(_from_exception(module, None, event.exception, event.error, event.traceback))
        elif isinstance(event, ev.CandidateFailed) and event.stage != "featurize":  # featurize: reported above
            # A candidate fails while fitting or predicting: its model module, unless preprocessing raised.
            module = blamed_file(event.traceback)
            if not module or not module.startswith("code/preprocess"):
                module = model_module(event.track)
            if module not in failing_preprocessors:
                found.append(_from_exception(module, candidate_id(event.track, event.learner), event.exception,
                                             event.error, event.traceback))
        elif isinstance(event, ev.PipelineFailed):
            module = blamed_file(event.traceback) or PIPELINE
            found.append(_from_exception(module, None, event.exception, event.error, event.traceback))
    if not result.timed_out and result.returncode not in (0, None) and not any(
            isinstance(e, (ev.FeaturizeFailed, ev.CandidateFailed, ev.PipelineFailed)) for e in events):
        found.extend(_from_crash(result, bool(feature_problems)))
    for v in violations:
        if v.module.startswith("code/model_") or v.module == PIPELINE:
            found.append(Diagnosis(failure="contract_usage" if v.module != PIPELINE else "integration",
                                   module=v.module, cause="contract", evidence=v.message,
                                   candidate=getattr(v, "candidate", None)))
    return found


def _from_exception(module: str, candidate: str | None, exception: str, error: str, tb: str) -> Diagnosis:
    failure, cause = _cause(exception)
    return Diagnosis(failure=failure or _failure_of(module), module=module, candidate=candidate, cause=cause,
                     evidence=error[:500] or "(no message)", traceback=tb[-TRACEBACK_KEEP:])


def _from_crash(result: SandboxResult, have_feature_problems: bool) -> list[Diagnosis]:
    """The program died before it could report (it did not import, or it was killed): its stderr tells."""
    tail = result.stderr_tail()
    module = blamed_file(tail) or PIPELINE
    if result.memory_exceeded:
        return [Diagnosis(failure="environment", module=module, cause="memory", evidence=_last_line(tail),
                          traceback=tail[-TRACEBACK_KEEP:])]
    missing = _MISSING_PACKAGE.search(tail)
    if missing:
        return [Diagnosis(failure="environment", module=module, cause="missing_package", evidence=missing.group(0),
                          traceback=tail[-TRACEBACK_KEEP:])]
    if have_feature_problems:
        return []
    return [Diagnosis(failure=_failure_of(module), module=module, cause="exception", evidence=_last_line(tail),
                      traceback=tail[-TRACEBACK_KEEP:])]


def stage_at_end(events: list[ev.Event]) -> tuple[str, str | None]:
    """(module, candidate) of the stage still open when the pipeline stopped reporting (killed on a timeout)."""
    open_features: str | None = None
    open_candidate: tuple[str, str] | None = None
    for event in events:
        if isinstance(event, ev.FeaturizeStarted):
            open_features = event.feature_set
        elif isinstance(event, (ev.Featurized, ev.FeaturizeFailed)):
            open_features = None
        elif isinstance(event, ev.CandidateStarted):
            open_candidate = (event.track, event.learner)
        elif isinstance(event, (ev.CandidateFinished, ev.CandidateFailed, ev.CandidateSkipped)):
            open_candidate = None
    if open_features is not None:
        return feature_module(open_features), None
    if open_candidate is not None:
        return model_module(open_candidate[0]), candidate_id(*open_candidate)
    if not any(isinstance(e, ev.Featurized) for e in events):
        return PREPROCESS, None  # it never got past loading the data
    return PIPELINE, None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "(no output)"
