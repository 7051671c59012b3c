"""One run of the iML flow: perceive, plan, code, verify (and repair), train, select, report.

Each phase reads its inputs from the run folder and writes its artifact there
before the next starts, so `iml resume` can continue from the last phase done
and a person can edit an artifact and re-run from it.
"""

from __future__ import annotations

import difflib
import json
import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
from pydantic import BaseModel

from iml import rerun, tracking, variants
from iml.agents import (comparison, debugger, description_analyzer, guideline, llm_track, model_retriever,
                        modules)
from iml.agents.context import AgentContext
from iml.coding import coder
from iml.errors import DataError, PipelineFailed
from iml.integration import sandbox, verifier
from iml.integration.floor import write_floor, write_floor_if_absent
from iml.integration.debugger import Repair
from iml.integration.diagnosis import Diagnosis, diagnose
from iml.llm import mode as llm_mode
from iml.options import RunOptions
from iml.perception.profile import Profile
from iml.perception.profiling import profile_task
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.progress import Progress
from iml.runfolder import PHASES, PIPELINE_EVENTS, RunFolder, RunState
from iml.runtime import events as pev
from iml.runtime.data import STAND_IN_ROWS
from iml.runtime.events import EventTail, read_events
from iml.runtime.names import PIPELINE, model_module

# Seconds kept back from the budget for selection and the report after training (the report draws a dozen plots).
FINISH_RESERVE_S = 6.0
# A sample verification run gets this share of the budget as its time limit, within the floor and the cap.
# Healthy, it fits each candidate once with tiny settings (spaces.SMOKE) and takes a few seconds, mostly
# starting Python and importing the learners' packages, whatever the limit; the limit is spent only by a
# defect (a loop, a memory hog filling pages until the memory limit stops it), and the floor keeps a busy
# machine from calling such a defect, or a slow start, a timeout.
VERIFY_SHARE = 0.05
VERIFY_FLOOR_S = 20.0
VERIFY_CAP_S = 60.0
# The full run's finished candidates, which `iml resume` takes back after a kill instead of fitting them again.
CANDIDATES_DIR = "candidates"


class RunOutcome(BaseModel):
    run_dir: str
    submission: str | None
    metric: str
    cv_score: float | None
    holdout_score: float | None
    members: list[str]
    seconds: float
    status: str
    mlflow_run_id: str | None = None  # when the run was logged to MLflow (--mlflow)


class Run:
    def __init__(self, folder: RunFolder, options: RunOptions, progress: Progress, started: float | None = None):
        self.folder = folder
        self.options = options
        self.progress = progress
        self.started = time.monotonic() if started is None else started
        self.deadline = self.started + options.time_budget
        self._first_saved = False
        self._first_model_saved = False
        self.variant = variants.of(options.variant)
        self.brains = llm_mode.connect(folder, options)  # None in expert mode (--llm none)
        self.ctx = AgentContext(folder, options, self.variant, progress, self.brains)
        progress.watch(folder, options.time_budget, self.summary.metric)

    # ---------------------------------------------------------------- entry points
    @classmethod
    def start(cls, options: RunOptions, progress: Progress, started: float | None = None) -> "Run":
        """A new run; its budget counts from ``started`` (a time.monotonic() value; default: now), so reading
        the data counts, and the CLI passes its process's start, so the command ends within its budget."""
        started = time.monotonic() if started is None else started
        data_dir = Path(options.data_dir)
        if not data_dir.is_dir():
            raise DataError(f"data folder {data_dir} does not exist or is not a folder.",
                            hint="pass the folder holding train/test files, e.g. examples/churn/prepared/public")
        tracking.require(options)
        # Perceive before creating anything, so bad input leaves no half-made run folder behind.
        summary = description_analyzer.expert(options)
        folder = RunFolder.create(Path(options.runs_root), summary.name,
                                  Path(options.run_dir) if options.run_dir else None)
        if options.keep_data:  # the staged tables become the run's own; resume and predict read them there
            shutil.copytree(data_dir, folder.file("data"))
            data_dir = folder.file("data")
            options = options.model_copy(update={"data_dir": str(data_dir), "keep_data": False})
            summary = summary.model_copy(update={"data_dir": str(data_dir)})
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        folder.save_state(RunState(data_dir=str(data_dir.resolve()), options=options.model_dump(),
                                   started_at=now, updated_at=now))
        folder.write_model("task_summary.json", summary)
        run = cls(folder, options, progress, started)
        run.folder.event("run_started", options=options.model_dump(),
                         seconds_before=round(time.monotonic() - started, 2))
        return run

    @classmethod
    def reopen(cls, run_dir: Path, progress: Progress, time_budget: float | None = None) -> "Run":
        folder = RunFolder.open(run_dir)
        state = folder.state()
        options = RunOptions.model_validate(state.options)
        tracking.require(options)
        if time_budget:
            options.time_budget = time_budget
        run = cls(folder, options, progress)
        run.folder.event("run_resumed", phase_done=state.phase_done)
        return run

    @classmethod
    def rerun_from(cls, run_dir: Path, start: str, progress: Progress, time_budget: float | None = None) -> "Run":
        """Re-run from a phase after a person edited an artifact (iml.rerun says which phase and why)."""
        decision = rerun.prepare(RunFolder.open(run_dir), start)
        if decision["edited"]:
            progress.info(f"edited since the last execution: {', '.join(decision['edited'])}")
        if decision["start"] != start:
            progress.info(f"re-running from {decision['start']} (not {start}): "
                          + ("the edits need it" if decision["edited"] else "the run never got that far"))
        if decision["history"]:
            progress.info(f"the earlier results are in {decision['history']}/")
        return cls.reopen(run_dir, progress, time_budget)

    def execute(self, stop_after: str | None = None) -> RunOutcome:
        """Run the phases after the last one done; ``stop_after`` pauses the run (to edit an artifact)."""
        state = self.folder.state()
        start = PHASES.index(state.phase_done) + 1 if state.phase_done else 0
        end = PHASES.index(stop_after) + 1 if stop_after else len(PHASES) - 1
        try:
            for phase in PHASES[start:end]:
                self.progress.phase(phase)
                began = time.monotonic()
                getattr(self, f"_{phase}")()
                self.folder.event("phase_done", phase=phase, seconds=round(time.monotonic() - began, 2))
                state.phase_done = phase
                self.folder.save_state(state)
        except Exception as exc:
            state.status, state.message = "failed", str(exc)
            self.folder.save_state(state)
            self.folder.event("run_failed", error=str(exc), type=type(exc).__name__)
            if isinstance(exc, PipelineFailed):
                self._leave_floor()
            raise
        if stop_after:
            return self.outcome()
        state.phase_done, state.status = "done", "succeeded"
        self.folder.save_state(state)
        outcome = self.outcome()
        if self.options.mlflow is not None:
            outcome.mlflow_run_id = self._track()
        self.folder.event("run_finished", **outcome.model_dump())
        return outcome

    # ---------------------------------------------------------------- phases
    def _perceive(self) -> None:
        summary = description_analyzer.analyze(self.ctx)
        for warning in summary.warnings:  # how the files were read and what was worked around, before any work
            self.folder.event("input_warning", message=warning)
            self.progress.warn(warning)
        profile = profile_task(summary)
        self.folder.write_model("profile.json", profile)
        self.progress.info(f"task: {summary.task_type.value}, target {summary.target_columns}, "
                           f"metric {summary.metric}; {profile.n_train_rows} train / {profile.n_test_rows} test rows")

    def _plan(self) -> None:
        snapshot = rerun.last_executed(self.folder)
        if snapshot is not None and rerun.differs(self.folder, snapshot, rerun.BLUEPRINT):
            # A person's edit of the plan is the plan: validated (a broken one is an error naming the field)
            # and kept; blueprint.md follows it.
            self.ctx.save_blueprint(self.blueprint)
            self.folder.event("edit_kept", artifact=rerun.BLUEPRINT, phase="plan")
            self.progress.info("blueprint.json was edited: the edit is the plan")
            return
        modalities = {"text"} if self.profile.text_columns else set()
        modalities |= {m.modality for m in self.summary.media}
        retrieval = model_retriever.retrieve(self.ctx, modalities)
        guideline.plan(self.ctx, retrieval)

    def _code(self) -> None:
        coder.copy_runtime(self.folder.path)
        snapshot = rerun.last_executed(self.folder)
        if snapshot is None:  # the first coding of this run
            modules.write(self.ctx, self.blueprint)
            llm_track.add(self.ctx)
            return
        # Coding again (`iml rerun`): a module edited since it last ran is kept, to be verified like generated
        # code; the others are rendered again only when the blueprint changed (else they stay as they ran,
        # repairs included).
        bp, replan = self.blueprint, rerun.differs(self.folder, snapshot, rerun.BLUEPRINT)
        for module in self.variant.modules(bp):
            if self.folder.file(module).exists() and rerun.differs(self.folder, snapshot, module):
                self.folder.event("edit_kept", artifact=module, phase="code")
                self.progress.info(f"{module} was edited: kept, and verified next")
            elif replan or not self.folder.file(module).exists():
                self.folder.write_text(module, modules.render(self.ctx, bp, module))

    def _verify(self) -> None:
        self._start_early_floor()
        if self.variant.verification_skipped:  # the ablation without execution verification
            self.folder.event("verification_skipped", reason=self.variant.verification_skipped)
            self.progress.info(f"{self.variant.name} variant: no verification on a sample")
            return
        while True:
            diagnoses = self._verify_once(self.blueprint, label="verify")
            if not diagnoses:
                self.progress.info("verification passed on a row sample")
                return
            if all(d.cause == "timeout" for d in diagnoses) and self._verify_time_spent():
                # A sample that keeps running out of time on a busy machine is not a defect to repair
                # round after round: the full run has its own per-candidate time limits.
                self.folder.event("verification_cut", reason="the sample runs timed out and have used half "
                                                             "the time budget; the full run goes ahead")
                self.progress.warn("the sample runs keep timing out; going on to the full run")
                return
            self._repair(diagnoses, stage="verification")

    def _verify_time_spent(self) -> bool:
        """Half the budget is gone and a repair has already been tried against a sample timeout."""
        timeouts = [e for e in self.folder.events() if e["event"] == "verification_failed"
                    and all(d["cause"] == "timeout" for d in e["diagnoses"])]
        return bool(timeouts) and self.deadline - time.monotonic() < 0.5 * self.options.time_budget

    def _repair(self, diagnoses: list[Diagnosis], stage: str) -> None:
        """Blame the first failure's module and apply the next repair to it; raise when out of rounds or ideas."""
        diagnosis = diagnoses[0]
        journal = self.folder.events()
        # A rerun starts its repair rounds afresh: the earlier attempt's repairs were of other code.
        since = max((i for i, e in enumerate(journal) if e["event"] == "rerun"), default=-1) + 1
        tried = [Repair.model_validate({k: e[k] for k in Repair.model_fields if k in e})
                 for e in journal[since:] if e["event"] == "repair"]
        diff_number = sum(1 for e in journal if e["event"] == "repair") + 1  # never overwrites an earlier diff
        self.folder.event(f"{stage}_failed", round=len(tried), diagnoses=[d.model_dump() for d in diagnoses])
        self.progress.warn(f"{diagnosis.module}: {diagnosis.failure} ({diagnosis.cause}): {diagnosis.evidence[:160]}")
        if len(tried) >= self.options.debug_rounds:
            raise PipelineFailed(
                f"{stage} still fails after {len(tried)} repair round(s): {diagnosis.module}: "
                f"{diagnosis.failure} ({diagnosis.cause}): {diagnosis.evidence}",
                hint="see attempts/ and events.jsonl; raise --debug-rounds, or fix the module and `iml resume`")
        fix = debugger.repair(self.ctx, diagnosis, tried)
        if fix is None:
            raise PipelineFailed(f"no repair left for {diagnosis.module}: {diagnosis.evidence}",
                                 hint="edit the module by hand, then `iml resume`")
        bp, repair, fixed_source = fix
        self.folder.event("repair", round=len(tried) + 1, failure=diagnosis.failure, cause=diagnosis.cause,
                          candidate=diagnosis.candidate, **repair.model_dump())
        self.progress.info(f"repair {len(tried) + 1}: {repair.module}: {repair.action}")
        before = {m: self.folder.file(m).read_text() for m in self.variant.modules(bp) if self.folder.file(m).exists()}
        self.ctx.save_blueprint(bp)
        if fixed_source is not None:
            self.folder.write_text(diagnosis.module, fixed_source)
        else:
            modules.write(self.ctx, bp, only=diagnosis.module if diagnosis.module != PIPELINE else None)
        diff = "".join(
            "".join(difflib.unified_diff(text.splitlines(True), self.folder.file(m).read_text().splitlines(True),
                                         f"a/{m}", f"b/{m}"))
            for m, text in before.items())
        diff_file = self.folder.write_text(f"attempts/repair-{diff_number:02d}.diff", diff)
        self.folder.event("repair_diff", round=len(tried) + 1, file=str(diff_file.relative_to(self.folder.path)),
                          changed_lines=sum(1 for line in diff.splitlines() if line[:1] in "+-"))

    def _verify_once(self, bp: Blueprint, label: str) -> list[Diagnosis]:
        attempt = self.folder.new_attempt(label)
        verify_dir = attempt / "verify"
        budget = max(VERIFY_FLOOR_S, min(VERIFY_CAP_S, self.options.time_budget * VERIFY_SHARE))
        # Loading an encoder costs the sample run nearly what it costs the full run: give it that time too.
        loading = sum(bp.model.feature_load_seconds.values())
        result = self._sandboxed(attempt, ["--sample-rows", str(self.options.sample_rows),
                                           "--verify-dir", str(verify_dir),
                                           "--time-budget", str(budget * 0.6 + loading),
                                           "--model-dir", str(attempt / "model"),
                                           "--out", str(attempt / "submission.csv")], timeout=budget + loading)
        violations = []
        if verify_dir.joinpath("features.json").exists():
            violations += verifier.check_features(bp.contract, verify_dir)
        # One table: the stand-in rows are the test the sample run predicts.
        n_test = min(self.options.sample_rows, self.profile.n_test_rows if self.summary.test_file else STAND_IN_ROWS)
        pipeline_events = read_events(attempt / PIPELINE_EVENTS)
        for done in pipeline_events:
            if isinstance(done, pev.CandidateFinished) and done.predictions_file:
                violations += verifier.check_predictions(bp.contract, _load(Path(done.predictions_file)), n_test,
                                                         model_module(done.track))
        if result.returncode == 0 and self.summary.test_file:
            violations += verifier.check_submission(bp.contract, attempt / "submission.csv", n_test)
        diagnoses = self._blame(diagnose(result, violations, pipeline_events))
        if not verify_dir.joinpath("features.json").exists() and not diagnoses:
            diagnoses = [Diagnosis(failure="integration", module=PIPELINE, cause="exception",
                                   evidence="the sample run produced no transform outputs")]
        outcome = {"sandbox": result.model_dump(), "violations": [v.to_dict() for v in violations],
                   "diagnoses": [d.model_dump() for d in diagnoses]}
        (attempt / "outcome.json").write_text(json.dumps(outcome, indent=2))
        return diagnoses

    def _train(self) -> None:
        self._finish_early_floor()
        while True:
            attempt, result = self._full_run()
            if _model_saved(attempt):
                if result.timed_out:
                    self.progress.warn("the full run hit the time budget; the last saved pipeline is used")
                return
            # Nothing submitted: a defect the sample did not show. Blame, repair, re-verify, run again.
            diagnoses = self._blame(diagnose(result, [], read_events(attempt / PIPELINE_EVENTS)))
            (attempt / "outcome.json").write_text(json.dumps(
                {"sandbox": result.model_dump(), "diagnoses": [d.model_dump() for d in diagnoses]}, indent=2))
            if not self.variant.repairs:
                what = "; ".join(f"{d.module}: {d.failure} ({d.cause}): {d.evidence}" for d in diagnoses)
                raise PipelineFailed(f"the full run produced no model (exit {result.returncode}) and the "
                                     f"{self.variant.name} variant neither verifies nor repairs: {what or result.stderr_tail(400).strip()}",
                                     hint=f"see {attempt}/stderr.txt; run with --variant full to verify and repair")
            floor_saved = self.folder.file("submission.csv" if self.summary.test_file else "model/pipeline.pkl")
            if self.deadline - time.monotonic() < 10 and floor_saved.exists():
                # No model made it in time, but the floor (class priors or the mean) is a valid submission.
                self.folder.event("floor_only", source="pipeline", returncode=result.returncode,
                                  timed_out=result.timed_out)
                self.progress.warn("no model finished in time; the submission is the floor (class priors or "
                                   f"the mean). See {attempt}/stderr.txt, or give it more time")
                return
            if self.deadline - time.monotonic() < 10 and _out_of_time(attempt, result):
                raise PipelineFailed(f"the time budget ({self.options.time_budget:.0f}s) ran out before any model "
                                     "was fitted: the data took that long to load and featurize on this machine",
                                     hint=f"give it more time: `iml resume {self.folder.path} --time-budget "
                                          f"{2 * self.options.time_budget:.0f}`")
            if not diagnoses or self.deadline - time.monotonic() < 10:
                raise PipelineFailed(f"the full run produced no model (exit {result.returncode}, "
                                     f"timed out: {result.timed_out}): {result.stderr_tail(400).strip()}",
                                     hint=f"see {attempt}/stderr.txt; fix the module and `iml resume`")
            self._repair(diagnoses, stage="full_run")
            self._verify()

    def _executor_args(self) -> list[str]:
        if self.options.executor != "ray":
            return []
        return ["--executor", "ray", *(["--ray-address", self.options.ray_address] if self.options.ray_address else [])]

    def _full_run(self):
        attempt = self.folder.new_attempt("full")
        remaining = self.deadline - time.monotonic()
        budget = max(5.0, remaining - FINISH_RESERVE_S - 3.0)
        result = self._sandboxed(attempt, ["--time-budget", f"{budget:.1f}",
                                           "--out", str(self.folder.file("submission.csv")),
                                           "--model-dir", str(self.folder.file("model")),
                                           "--oof-dir", str(self.folder.file("oof")),
                                           "--results-dir", str(self.folder.file(CANDIDATES_DIR)),
                                           *self._executor_args()],
                                 timeout=max(10.0, remaining - FINISH_RESERVE_S), stream=True)
        (attempt / "outcome.json").write_text(json.dumps({"sandbox": result.model_dump()}, indent=2))
        report_path = attempt / "pipeline_report.json"
        if report_path.exists():
            shutil.copy(report_path, self.folder.file("pipeline_report.json"))
        if result.data_changed:
            raise PipelineFailed(f"generated code changed the data folder: {result.data_changed[:5]}",
                                 hint="the module must only read the data; fix it and `iml resume`")
        return attempt, result

    def _select(self) -> None:
        report = json.loads(self.folder.file("pipeline_report.json").read_text())
        board = pd.DataFrame(report["leaderboard"])
        board = board.rename(columns={"cv_mean": "cv_score"})
        removed = [{"track": e["candidate"].split("/")[0], "model": e["candidate"].split("/")[1], "status": "failed",
                    "error": f"removed by repair {e['round']}: {e['reason']}"}
                   for e in self.folder.events() if e["event"] == "repair" and e.get("candidate")
                   and e.get("kind") in ("drop_candidate", "drop_missing_package")]
        board = pd.concat([board, pd.DataFrame(removed)], ignore_index=True) if removed else board
        board = board.reindex(columns=["track", "model", "status", "cv_score", "cv_std", "holdout", "seconds",
                                       "trials", "error"])
        board["variant"] = self.options.variant  # so leaderboards of ablation runs can be stacked and compared
        board.to_csv(self.folder.file("leaderboard.csv"), index=False)
        problems = [] if not self.summary.test_file else verifier.check_submission(
            self.blueprint.contract, self.folder.file("submission.csv"), self.blueprint.contract.submission.n_rows)
        if problems:
            raise PipelineFailed("the submission breaks the contract: " + "; ".join(p.message for p in problems))
        self.folder.event("selected", **(report.get("selection") or {}))
        comparison.explain(self.ctx, board.astype(object).where(board.notna(), None).to_dict("records"),
                           report.get("selection") or {})
        llm_mode.finish(self.folder, self.brains, self.progress)

    def _report(self) -> None:
        from iml.report import write_report

        write_report(self.folder, seconds_left=self.deadline - time.monotonic())

    def _track(self) -> str | None:
        """Log the finished run to MLflow; a tracking server that fails does not fail the run."""
        try:
            logged = tracking.log_run(self.folder, self.options)
        except Exception as exc:
            self.folder.event("mlflow_failed", error=f"{type(exc).__name__}: {exc}")
            self.progress.warn(f"logging to MLflow failed: {type(exc).__name__}: {exc}")
            return None
        self.folder.event("mlflow_logged", **logged)
        self.progress.info(f"MLflow run {logged['run_id']} ({logged['tracking_uri']}); model {logged['model_uri']}")
        return logged["run_id"]

    # ---------------------------------------------------------------- helpers
    def _start_early_floor(self) -> None:
        """The floor submission, written beside the sample run: a valid submission seconds after the start,
        long before the full run's own (which replaces it, as every better model does)."""
        self._early_floor: dict = {}
        if not self.summary.test_file or self.folder.file("submission.csv").exists():
            return
        data_dir, target = Path(self.options.data_dir), self.folder.file("submission.csv")

        def write() -> None:
            try:
                if write_floor_if_absent(self.blueprint, self.summary, data_dir, target):
                    self._early_floor["seconds"] = round(time.monotonic() - self.started, 2)
            except Exception as exc:  # the pipeline writes its own floor; this one only comes sooner
                self._early_floor["error"] = f"{type(exc).__name__}: {exc}"

        self._early_floor_thread = threading.Thread(target=write, name="iml-early-floor", daemon=True)
        self._early_floor_thread.start()

    def _finish_early_floor(self) -> None:
        """Wait for the early floor and record it (events are written from this thread only)."""
        thread = getattr(self, "_early_floor_thread", None)
        if thread is None:
            return
        thread.join()
        self._early_floor_thread = None
        if "seconds" in self._early_floor:
            self.folder.event("floor_saved", source="host", path=str(self.folder.file("submission.csv")),
                              seconds=self._early_floor["seconds"])
            if not self._first_saved:
                self._first_saved = True
                self.folder.event("first_submission", seconds=self._early_floor["seconds"])
        elif "error" in self._early_floor:
            self.folder.event("floor_failed", stage="early", error=self._early_floor["error"])

    def _leave_floor(self) -> None:
        """A failed run whose data can be read still leaves a valid submission: the floor."""
        self._finish_early_floor()
        target = self.folder.file("submission.csv")
        if target.exists():  # the early floor, the pipeline's own, or a model's
            self.folder.event("floor_only", source="pipeline")
            return
        if not self.folder.file("blueprint.json").exists() or not self.summary.test_file:
            return
        try:
            write_floor(self.blueprint, self.summary, Path(self.options.data_dir), target)
        except Exception as exc:  # the data itself cannot be read: nothing to submit
            self.folder.event("floor_failed", error=f"{type(exc).__name__}: {exc}")
            return
        self.folder.event("floor_only", source="host")
        self.progress.warn(f"the pipeline failed; {target} holds the floor (class priors or the mean)")

    @property
    def summary(self) -> TaskSummary:
        return self.ctx.summary

    @property
    def profile(self) -> Profile:
        return self.ctx.profile

    @property
    def blueprint(self) -> Blueprint:
        return self.ctx.blueprint

    def _blame(self, diagnoses: list[Diagnosis]) -> list[Diagnosis]:
        return self.variant.blame(diagnoses)

    def _sandboxed(self, attempt: Path, args: list[str], timeout: float, stream: bool = False):
        for module in [PIPELINE, *(str(p.relative_to(self.folder.path)) for p in self.folder.path.glob("code/*.py"))]:
            target = attempt / rerun.CODE_VERSION / module
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.folder.file(module), target)
        if self.folder.file(rerun.BLUEPRINT).exists():  # what ran was coded from this plan (`iml rerun` compares)
            shutil.copy(self.folder.file(rerun.BLUEPRINT), attempt / rerun.CODE_VERSION / rerun.BLUEPRINT)
        args = [str(self.folder.file(PIPELINE)), "--data", self.options.data_dir,
                "--report", str(attempt / "pipeline_report.json"), "--events", str(attempt / PIPELINE_EVENTS), *args]
        memory = self.options.memory_mb or int(psutil.virtual_memory().total * 0.75 / 2**20)
        self.folder.event("execute", attempt=attempt.name, args=args, timeout=round(timeout, 1), memory_mb=memory)
        tail = EventTail(attempt / PIPELINE_EVENTS)
        on_line = (lambda _line: self._on_pipeline_events(tail.new())) if stream else None
        result = sandbox.run(args, workdir=attempt, log_dir=attempt, timeout_s=timeout, memory_mb=memory,
                             watch=Path(self.options.data_dir), on_line=on_line)
        if stream:
            self._on_pipeline_events(tail.new())
        self.folder.event("executed", attempt=attempt.name, returncode=result.returncode,
                          timed_out=result.timed_out, seconds=result.seconds, data_changed=result.data_changed)
        return result

    def _on_pipeline_events(self, new: list[pev.Event]) -> None:
        """The full run's typed events as they arrive: the first submission's time, and progress lines."""
        for event in new:
            if isinstance(event, pev.SubmissionSaved) and not self._first_saved:
                self._first_saved = True
                self.folder.event("first_submission", seconds=round(time.monotonic() - self.started, 2))
            if isinstance(event, pev.SubmissionSaved) and event.how != "floor" and not self._first_model_saved:
                self._first_model_saved = True
                self.folder.event("first_model_submission", seconds=round(time.monotonic() - self.started, 2))
            self.progress.pipeline_event(event)

    def outcome(self) -> RunOutcome:
        report_path = self.folder.file("pipeline_report.json")
        selection = json.loads(report_path.read_text()).get("selection") or {} if report_path.exists() else {}
        submission = self.folder.file("submission.csv")
        return RunOutcome(run_dir=str(self.folder.path), submission=str(submission) if submission.exists() else None,
                          metric=self.summary.metric, cv_score=selection.get("cv_score"),
                          holdout_score=selection.get("holdout_score"), members=selection.get("members", []),
                          seconds=round(time.monotonic() - self.started, 1), status=self.folder.state().status)


def _out_of_time(attempt: Path, result) -> bool:
    """The run was killed for time, or every candidate was skipped for lack of it."""
    if result.timed_out:
        return True
    ends = [e for e in read_events(attempt / PIPELINE_EVENTS)
            if isinstance(e, (pev.CandidateFinished, pev.CandidateFailed, pev.CandidateSkipped))]
    return bool(ends) and all(isinstance(e, pev.CandidateSkipped) for e in ends)


def _model_saved(attempt: Path) -> bool:
    """A model's submission was saved (not only the floor's)."""
    return any(isinstance(e, pev.SubmissionSaved) and e.how != "floor" for e in read_events(attempt / PIPELINE_EVENTS))


def _load(path: Path):
    import numpy as np

    return np.load(path, allow_pickle=False)
