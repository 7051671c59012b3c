"""The training loop: featurize, then per candidate a timing probe, tuning and cross-validation within its
time share, and after every success a saved selection (submission, fitted pipeline, report), so a kill
loses nothing.

It reports as typed events (``events.py``) for iml and as log lines for people.
"""

from __future__ import annotations

import json
import math
import pickle
import time
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from . import events as ev
from . import resumption, spaces
from .config import CandidateSpec, PipelineConfig
from .fitted import FittedPipeline, Member
from .folds import make_folds, sample_rows, split_holdout
from .executor import InProcess, Workers, dump
from .floor import floor_result
from .learners import preload
from .selection import CandidateResult, Selection, choose_ensemble, combine
from .submission import format_submission
from .tuning import tune
from .validation import cross_validate, fit_folds, fit_predict, kill_deadline, refit_params

MIN_SHARE_S = 3.0  # kept for each later candidate when a share is cut
SAVE_RESERVE_S = 2.0  # kept back from the budget for the last save, corrected once a save is timed


def log(message: str) -> None:
    print(f"[pipeline {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class TrainArgs:
    """What one training run is told on the command line."""

    data: str
    out: str = "submission.csv"
    model_dir: str | None = None
    report: str = "pipeline_report.json"
    oof_dir: str | None = None
    time_budget: float = 300.0
    sample_rows: int = 0  # > 0: a verification run on a row sample
    verify_dir: str | None = None  # where the verifier wants the real intermediate outputs
    events: str | None = None  # the typed events file
    workers: int | None = None  # fitting processes at a time (None: the config's; 0: one per core)
    in_process: bool = False  # fit in this process, one fit at a time, nothing killed (for a debugger)
    results_dir: str | None = None  # finished candidates kept here; a resumed execution reuses them
    executor: str = "local"  # local (forked workers) | ray (Ray tasks; sample runs stay local)
    ray_address: str | None = None  # a Ray cluster to join (None: a local Ray started for this run)


@dataclass
class Modules:
    """The task's code: the preprocessing module, a model module per track, feature-set modules of their own."""

    preprocess: ModuleType
    tracks: dict[str, ModuleType]
    features: dict[str, ModuleType] = field(default_factory=dict)

    def for_features(self, name: str) -> ModuleType:
        return self.features.get(name, self.preprocess)


class FeaturizeError(RuntimeError):
    """A feature set's module raised; the candidates reading that feature set cannot run."""


class Trainer:
    def __init__(self, config: PipelineConfig, modules: Modules, args: TrainArgs):
        self.config = config
        self.objective = config.objective
        self.modules = modules
        self.args = args
        self.sampling = args.sample_rows > 0
        self.started = time.time()
        self.run_deadline = self.started + args.time_budget
        self.deadline = self.run_deadline - SAVE_RESERVE_S
        self.events = ev.EventLog(args.events, started=self.started)
        self.features: dict[str, tuple[Any, Any, list]] = {}  # feature set -> (preprocessor, X, [X_test, X_hold])
        self.failed_features: dict[str, str] = {}
        self.results: list[CandidateResult] = []
        self.leaderboard: list[dict] = []
        self.floor: CandidateResult | None = None
        self.selection: dict | None = None  # what the saved submission holds
        workers = config.workers if args.workers is None else args.workers
        self.executor = InProcess() if args.in_process else Workers(workers or None)

    # ------------------------------------------------------------------ the run
    def run(self) -> int:
        """Train every candidate; the exit status is 0 when at least one was saved."""
        self.events.emit(ev.PipelineStarted(mode="sample" if self.sampling else "train",
                                            time_budget=self.args.time_budget))
        try:
            self._load()
            if not self.sampling:  # a valid submission before anything else can go wrong
                self._save_floor()
                self._start_executor()
            first = self.config.track_features[self.config.candidates[0].track]
            try:
                self.featurize(first)
            except FeaturizeError:
                self._finish_without_result("featurizing failed")
                return 1
            for i, spec in enumerate(self.config.candidates):
                self._run_candidate(i, spec)
        except Exception as exc:  # the program itself failed: say so as an event, then as a traceback
            self.events.emit(ev.PipelineFailed(exception=type(exc).__name__, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()))
            raise
        finally:
            self.executor.shutdown()
        if not self.results:
            self._finish_without_result("no candidate succeeded")
            return 1
        self._write_report(self.selection)  # the leaderboard with the candidates skipped after the last save
        self.events.emit(ev.PipelineFinished(succeeded=len(self.results), seconds=round(time.time() - self.started, 2)))
        return 0

    def _start_executor(self) -> None:
        """Ray, where asked for; the forked workers stay where it cannot start (the run goes on, and says so)."""
        kind = self.args.executor
        if kind == "ray" and not self.args.in_process:
            try:
                from .executor_ray import RayWorkers

                code_dir = Path(__file__).resolve().parent.parent  # code/: the task's modules and iml_runtime
                self.executor = RayWorkers(self.executor.workers if self.args.workers else None,
                                           self.args.ray_address, code_dir)
            except Exception as exc:
                log(f"Ray could not start ({type(exc).__name__}: {exc}); fitting in local worker processes")
                self.events.emit(ev.ExecutorStarted(executor="local", workers=self.executor.workers,
                                                    requested="ray", error=f"{type(exc).__name__}: {exc}"))
                return
            log(f"Ray executor: {self.executor.workers} workers on {self.executor.address} "
                f"(started in {self.executor.start_seconds:.1f}s)")
            self.events.emit(ev.ExecutorStarted(executor="ray", workers=self.executor.workers,
                                                address=self.executor.address, requested="ray",
                                                seconds=self.executor.start_seconds))
            return
        self.events.emit(ev.ExecutorStarted(executor="in_process" if self.args.in_process else "local",
                                            workers=self.executor.workers, requested=kind))

    def _finish_without_result(self, why: str) -> None:
        self._write_report(self.selection)  # the floor's, when it was saved
        log(why)
        self.events.emit(ev.PipelineFinished(succeeded=0, seconds=round(time.time() - self.started, 2)))

    def _load(self) -> None:
        config, seed = self.config, self.config.seed
        raw = self.modules.preprocess.load(self.args.data)
        frame, test, test_ids = raw.train, raw.test, raw.test_ids
        self.has_test = getattr(raw, "has_test", True)  # a module's own RawData may predate one-table tasks
        y = self.objective.encode_target(raw.y)
        n_folds = config.n_folds
        if self.sampling:
            rows = sample_rows(y, self.args.sample_rows, seed, self.objective.classification)
            frame, y = frame.iloc[rows].reset_index(drop=True), y[rows]
            test = test.head(self.args.sample_rows).reset_index(drop=True)
            test_ids = None if test_ids is None else test_ids.head(self.args.sample_rows)
            n_folds = 2
        fraction = 0.0 if self.sampling else config.holdout_fraction
        self.dev, self.hold = split_holdout(y, fraction, seed, self.objective.classification)
        self.frame, self.test, self.test_ids = frame, test, test_ids
        self.y_dev, self.y_hold = y[self.dev], y[self.hold]
        self.folds = make_folds(self.y_dev, n_folds, seed, config.stratified)
        self.events.emit(ev.DataLoaded(train_rows=len(self.dev), test_rows=len(test), holdout_rows=len(self.hold),
                                       folds=len(self.folds)))

    def _save_floor(self) -> None:
        """Class priors or the mean, saved as the submission until a model scores better."""
        self.floor = floor_result(self.y_dev, self.folds, len(self.test), len(self.hold), self.objective,
                                  self.y_hold)
        self.save()

    # ------------------------------------------------------------------ features
    def featurize(self, name: str):
        """Each track reads the data through its own feature set, computed once; FeaturizeError if it raises."""
        if name in self.failed_features:
            raise FeaturizeError(self.failed_features[name])
        if name in self.features:
            return self.features[name]
        expected = self.config.feature_seconds.get(name, 0.0)
        if self.features and not self.sampling and time.time() + 1.2 * expected > self.deadline:
            raise TimeoutError(f"feature set '{name}' needs about {expected:.0f}s; "
                               f"{self.deadline - time.time():.0f}s left")
        self.events.emit(ev.FeaturizeStarted(feature_set=name))
        began = time.time()
        try:
            module = self.modules.for_features(name)
            preprocessor = module.Preprocessor(seed=self.config.seed, features=name).fit(
                self.frame.iloc[self.dev], self.y_dev)
            X = preprocessor.transform(self.frame.iloc[self.dev])
            others = [preprocessor.transform(self.test)]
            if len(self.hold):
                others.append(preprocessor.transform(self.frame.iloc[self.hold]))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.failed_features[name] = error
            self.events.emit(ev.FeaturizeFailed(feature_set=name, exception=type(exc).__name__, error=error, traceback=traceback.format_exc()))
            log(f"feature set {name} failed: {error}")
            raise FeaturizeError(error) from exc
        log(f"preprocessed ({name}): {X.shape[0]} rows x {X.shape[1]} features; test {others[0].shape[0]} rows; "
            f"holdout {len(self.hold)} rows")
        self.events.emit(ev.Featurized(feature_set=name, rows=int(X.shape[0]), columns=int(X.shape[1]),
                                       test_rows=int(others[0].shape[0]), holdout_rows=len(self.hold),
                                       seconds=round(time.time() - began, 2)))
        if self.args.verify_dir:
            dump_features(Path(self.args.verify_dir), name, X, others[0], len(self.dev), len(self.test))
        self.features[name] = (preprocessor, X, others)
        return self.features[name]

    # ------------------------------------------------------------------ candidates
    def _run_candidate(self, i: int, spec: CandidateSpec) -> None:
        if self._reuse(spec):
            return
        track, learner = spec.track, spec.learner
        if not self.sampling:
            preload(learner)  # its imports (PyTorch: seconds) are the run's cost, not this candidate's share
        remaining = self.deadline - time.time()
        weights_left = sum(c.weight for c in self.config.candidates[i:])
        # Its weight's part of what is left, leaving each later candidate a few seconds at least.
        share = remaining * spec.weight / weights_left
        share = max(min(share, remaining - MIN_SHARE_S * (len(self.config.candidates) - i - 1)),
                    min(share, MIN_SHARE_S))
        row = {"track": track, "model": learner, "status": "ok", "cv_mean": None, "cv_std": None, "holdout": None,
               "seconds": 0.0, "trials": 0, "params": {}, "error": ""}
        t0 = time.time()
        # A sample run verifies every candidate's code, so none is skipped for time there.
        if remaining < 2 and not self.sampling:
            row.update(status="skipped", error="time budget exhausted")
            self.leaderboard.append(row)
            self.events.emit(ev.CandidateSkipped(track=track, learner=learner, reason=row["error"]))
            return
        self.events.emit(ev.CandidateStarted(track=track, learner=learner, share_s=round(share, 1)))
        log(f"fitting {track}/{learner} (time share {share:.0f}s)")  # after the event: the host reads it on this line
        stage = "featurize"
        try:
            _pre, X, others = self.featurize(self.config.track_features[track])
            stage = "fit"
            result, trials = self._validate(spec, X, others, share, t0)
            self.results.append(result)
            row.update(cv_mean=result.cv_mean, cv_std=float(np.std(result.fold_scores)), params=result.params, trials=trials,
                       refit=result.refit, fold_scores=[float(s) for s in result.fold_scores],
                       holdout=self.objective.evaluate(self.y_hold, result.holdout) if len(self.hold) else None)
            if result.oof is None:
                row["error"] = (f"validated on {len(result.fold_scores)} of {len(self.folds)} folds: "
                                "too little time for all")
            predictions_file = None
            if self.args.verify_dir:
                predictions_file = str(Path(self.args.verify_dir) / f"pred_{track}_{learner}.npy")
                np.save(predictions_file, result.test)
                pickle.dumps(result.models)  # every candidate must be savable, not only the sample's winner
        except TimeoutError as exc:  # out of time is not a defect of the module
            row.update(status="skipped", error=str(exc))
            log(f"{track}/{learner} skipped: {exc}")
            self.events.emit(ev.CandidateSkipped(track=track, learner=learner, reason=str(exc)))
        except Exception as exc:  # a failing candidate is recorded; the others go on
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            log(f"{track}/{learner} failed: {type(exc).__name__}: {exc}")
            self.events.emit(ev.CandidateFailed(track=track, learner=learner, stage=stage,
                                                exception=type(exc).__name__, error=row["error"],
                                                traceback=traceback.format_exc(),
                                                seconds=round(time.time() - t0, 2)))
        row["seconds"] = round(time.time() - t0, 2)
        self.leaderboard.append(row)
        if row["status"] != "ok":
            return
        log(f"{track}/{learner}: CV {row['cv_mean']:.5f} ± {row['cv_std']:.5f} in {row['seconds']:.1f}s")
        self.events.emit(ev.CandidateFinished(
            track=track, learner=learner, cv_mean=row["cv_mean"], cv_std=row["cv_std"], holdout=row["holdout"],
            folds=len(result.fold_scores), seconds=row["seconds"], trials=row["trials"], params=row["params"],
            predictions_file=predictions_file))
        saving = time.time()
        try:
            self.save()
        except Exception as exc:  # an unsavable candidate must not take the saved ones down with it
            self.results.pop()
            row.update(status="failed", error=f"could not be saved: {type(exc).__name__}: {exc}")
            log(f"{track}/{learner} failed: could not be saved: {exc}")
            self.events.emit(ev.CandidateFailed(track=track, learner=learner, stage="save",
                                                exception=type(exc).__name__, error=row["error"],
                                                traceback=traceback.format_exc()))
            if self.results:
                self.save()
        else:
            self._keep(spec, result, row)
        self.deadline = min(self.deadline, self.run_deadline - 3.0 * (time.time() - saving) - 1.0)

    # ------------------------------------------------------------------ resuming
    @cached_property
    def _fingerprint(self) -> str:
        m = self.modules
        folds = [part for fold in self.folds for part in fold]
        return resumption.fingerprint([m.preprocess, *m.tracks.values(), *m.features.values()],
                                      [self.frame, self.test], [self.y_dev, self.hold, *folds])

    def _keep(self, spec: CandidateSpec, result: CandidateResult, row: dict) -> None:
        if self.args.results_dir and not self.sampling:
            resumption.keep(self.args.results_dir, spec, self._fingerprint, result, row)

    def _reuse(self, spec: CandidateSpec) -> bool:
        """A previous execution of this code on these rows saved the candidate: take it back, fit nothing."""
        if not self.args.results_dir or self.sampling:
            return False
        kept = resumption.saved(self.args.results_dir, spec, self._fingerprint)
        if kept is None:
            return False
        try:
            self.featurize(self.config.track_features[spec.track])  # its preprocessor goes into the pipeline
        except Exception:  # FeaturizeError, or no time to featurize: the candidate's normal path says so
            return False
        result, row = kept
        self.results.append(result)
        self.leaderboard.append(row)
        log(f"{spec.name}: reused from the previous execution (CV {row['cv_mean']:.5f})")
        self.events.emit(ev.CandidateReused(track=spec.track, learner=spec.learner, cv_mean=row["cv_mean"],
                                            cv_std=row["cv_std"], holdout=row["holdout"]))
        self.save()
        return True

    def _validate(self, spec: CandidateSpec, X, others: list, share: float, t0: float) -> tuple[CandidateResult, int]:
        """Price a fit on the first folds, cross-validate the defaults (and submit them when nothing
        better is saved yet), tune with what the share leaves, cross-validate the tuned params, then
        refit the better of the two on every row."""
        if self.sampling:
            return self._smoke(spec, X, others)
        module, folds, y_dev, seed = self.modules.tracks[spec.track], self.folds, self.y_dev, self.config.seed
        # The loss the metric asks for (e.g. L1 for MAE), unless the blueprint fixed the learner's params itself.
        learner, fixed = spec.learner, {**spaces.metric_params(self.objective.metric, spec.learner), **(spec.params or {})}
        workers = self.executor.workers
        n_jobs = 1 if workers > 1 else None  # the workers share the cores; one alone may use them all
        waves = math.ceil(len(folds) / workers)
        fit_limit = max(1.0, min(share, self.deadline - time.time()) / (waves + 1))
        defaults = {**module.DEFAULTS.get(learner, {}), **fixed}
        probe = fit_folds(module, learner, defaults, X, y_dev, folds, range(min(workers, len(folds))), others,
                          self.objective, time.time() + fit_limit, self.deadline, seed, self.executor,
                          n_jobs=n_jobs)
        fit_seconds = max(f.seconds for f in probe.values())
        stopping = probe[0].early_stops
        if not stopping:  # its probe fitted on fewer rows than its folds have: price only, not reused
            probe = {}
        cv_cost = fit_seconds * math.ceil((len(folds) - len(probe)) / workers)
        refit_cost = 1.3 * fit_seconds
        cand_folds = folds
        if time.time() + cv_cost > self.deadline:
            if self.results and not self.sampling:
                raise TimeoutError(f"a cross-validation needs about {cv_cost:.0f}s; "
                                   f"{self.deadline - time.time():.0f}s left")
            # Nothing but the floor to submit yet, or a sample run: the probe stands for the CV.
            cand_folds = folds[:1]
        tuning = spec.search and not self.sampling
        cv_deadline = min(self.deadline, max(t0 + share, time.time() + 1.2 * cv_cost))
        result = self._cross_validate(spec, defaults, X, others, cand_folds, cv_deadline, probe, stopping, n_jobs)
        trials = 0
        if not self.results and not self.sampling:  # the first model's submission now: tuning and refit may
            self._save_interim(result)                # take the rest of its share
        tune_seconds = share - (time.time() - t0) - 1.2 * (cv_cost + refit_cost)
        if tuning and tune_seconds > 3 and result.oof is not None:
            fit_budget = max(fit_seconds * 1.5, fit_limit)
            params, trials = tune(module, learner, X, y_dev, folds, self.objective, tune_seconds,
                                  self.config.max_trials, seed, fit_budget, executor=self.executor, fixed=fixed,
                                  early_stopping=stopping, n_jobs=n_jobs)
            if params != defaults and time.time() + cv_cost < self.deadline:
                cv_deadline = min(self.deadline, max(t0 + share - refit_cost, time.time() + 1.2 * cv_cost))
                try:
                    tuned = self._cross_validate(spec, params, X, others, folds, cv_deadline, {}, stopping, n_jobs)
                except TimeoutError as exc:
                    log(f"{spec.name}: the tuned params could not be cross-validated in time ({exc}); "
                        "the defaults stand")
                else:
                    if tuned.oof is not None and not self.objective.better(result.cv_mean, tuned.cv_mean):
                        result = tuned
        if result.oof is not None and not self.sampling and self.config.refit:
            self._refit(result, module, X, others, refit_cost, n_jobs)
        return result, trials

    def _cross_validate(self, spec: CandidateSpec, params: dict, X, others: list, folds, deadline: float,
                        done: dict, stopping: bool, n_jobs: int | None) -> CandidateResult:
        module = self.modules.tracks[spec.track]
        cv = cross_validate(module, spec.learner, params, X, self.y_dev, folds, others, self.objective, deadline,
                            self.deadline, self.config.seed, allow_partial=not self.results, done=done,
                            executor=self.executor, early_stopping=stopping, n_jobs=n_jobs)
        complete = len(cv.models) == len(self.folds)
        cv_mean = float(np.mean(cv.fold_scores))
        return CandidateResult(track=spec.track, learner=spec.learner, models=cv.models,
                               oof=cv.oof if complete else None, test=cv.others[0],
                               holdout=cv.others[1] if len(cv.others) > 1 else None, cv_mean=cv_mean,
                               oof_score=self.objective.evaluate(self.y_dev, cv.oof) if complete else cv_mean,
                               params=params, fold_scores=cv.fold_scores, best_iterations=cv.best_iterations,
                               rounds_param=cv.rounds_param)

    def _refit(self, result: CandidateResult, module, X, others: list, cost: float, n_jobs: int | None) -> None:
        """The candidate's final model: one fit on every row, development and holdout (the holdout has
        done its part: the fold models scored it), with the rounds its folds' early stopping chose.
        Kept only when it finishes in time; the fold models stand otherwise."""
        if time.time() + 1.5 * cost > self.deadline:
            log(f"{result.name}: no time to refit on all rows; its fold models stay")
            return
        X_all, y_all = X, self.y_dev
        if len(self.hold):
            X_all = pd.concat([X, others[1]], ignore_index=True)
            y_all = np.concatenate([self.y_dev, self.y_hold])
        params = refit_params(result.params, result.rounds_param, result.best_iterations)
        limit = max(1.0, cost)
        job = self.executor.submit(
            lambda: fit_predict(self.modules.tracks[result.track], result.learner, params, X_all, y_all, None, None,
                                None, others[:1], self.objective, self.config.seed, limit, n_jobs),
            kill_deadline(limit, self.deadline))
        self.executor.wait([job])
        if not job.ok:
            log(f"{result.name}: the refit on all rows failed ({type(job.error).__name__}: {job.error}); "
                "its fold models stay")
            return
        result.models, result.test, result.refit = [job.value.model], job.value.others[0], True
        log(f"{result.name}: refit on {len(y_all)} rows" + (f" with {params}" if params != result.params else "")
            + f" in {job.value.seconds:.1f}s")

    def _save_interim(self, result: CandidateResult) -> None:
        self.results.append(result)
        try:
            self.save()
        finally:
            self.results.pop()

    def _smoke(self, spec: CandidateSpec, X, others: list) -> tuple[CandidateResult, int]:
        """A sample run's candidate: ONE fit on the first split with ``spaces.SMOKE``'s tiny settings.

        It makes the calls the full run makes (the module's Model fitted with a validation set, predictions
        on the validation rows, the test and the holdout, checked against the contract, and the save),
        only briefly: no timing probe, no tuning, no other folds.
        """
        from .spaces import SMOKE
        from .validation import predict_checked

        module, (train_idx, valid_idx) = self.modules.tracks[spec.track], self.folds[0]
        learner, seed = spec.learner, self.config.seed
        # as the full run's first fit, with SMOKE over the rest (a module's OVERRIDES still win in its Model)
        params = {**getattr(module, "DEFAULTS", {}).get(learner, {}), **(spec.params or {}), **SMOKE.get(learner, {})}
        model = module.Model(learner, params, seed=seed, time_limit=max(1.0, self.deadline - time.time()))
        model.fit(X.iloc[train_idx], self.y_dev[train_idx], X.iloc[valid_idx], self.y_dev[valid_idx])
        score = self.objective.evaluate(self.y_dev[valid_idx], predict_checked(model, X.iloc[valid_idx],
                                                                               self.objective))
        predicted = [predict_checked(model, frame, self.objective) for frame in others]
        result = CandidateResult(track=spec.track, learner=learner, models=[model], oof=None, test=predicted[0],
                                 holdout=predicted[1] if len(predicted) > 1 else None, cv_mean=float(score),
                                 oof_score=float(score), params=params, fold_scores=[float(score)])
        return result, 0

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        """Write submission, fitted pipeline and report together: temporary files renamed at the end,
        so the three always describe the same selection."""
        from .decision import score as decided_score  # here, so this method's edit stays its own

        config, objective = self.config, self.objective
        if self.results:
            chosen = choose_ensemble(self.results, self.y_dev, objective, config.ensemble, config.seed,
                                     decide=config.submission.prediction == "label")
            if self.floor is not None and objective.better(self.floor.oof_score, chosen.score):
                log(f"the models so far ({chosen.score:.5f}) score worse than the floor "
                    f"({self.floor.oof_score:.5f}): the floor stays")
                chosen = Selection([self.floor], None, self.floor.oof_score, "floor")
        else:
            chosen = Selection([self.floor], None, self.floor.oof_score, "floor")
        if chosen.oof is None and chosen.members[0] is self.floor:
            chosen.oof = self.floor.oof
        classification = objective.classification
        test_pred = combine([m.test for m in chosen.members], chosen.weights, chosen.stacker, classification)
        holdout, holdout_pred = None, None
        if len(self.y_hold):
            holdout_pred = combine([m.holdout for m in chosen.members], chosen.weights, chosen.stacker,
                                   classification)
            holdout = decided_score(objective, self.y_hold, holdout_pred, chosen.rule)
        weights: dict[str, float] = {}
        for m, w in zip(chosen.members, chosen.weights):  # two candidates of one name share its entry
            weights[m.name] = round(weights.get(m.name, 0.0) + float(w), 6)
        selection = {"members": [m.name for m in chosen.members], "how": chosen.how, "weights": weights,
                     "cv_score": chosen.score, "cv_score_argmax": chosen.score_argmax,
                     "rule": chosen.rule.describe(objective.classes) if chosen.rule is not None else None,
                     "holdout_score": holdout}
        out, staged = Path(self.args.out), []
        if self.has_test:  # one table: the stand-in rows' predictions only exercise the predict path
            submission = format_submission(self.test_ids, test_pred, objective, config.submission, chosen.rule)
            out.parent.mkdir(parents=True, exist_ok=True)
            staged.append((out.with_name(out.name + ".tmp"), out))
            submission.to_csv(staged[0][0], index=False)
        if self.args.model_dir:
            model_dir = Path(self.args.model_dir)
            model_dir.mkdir(parents=True, exist_ok=True)
            members = [Member(m.track, m.learner, config.track_features.get(m.track), m.models, float(w))
                       for m, w in zip(chosen.members, chosen.weights)]
            needed = {m.feature_set for m in members}
            fitted = FittedPipeline(objective, config.submission,
                                    {k: v[0] for k, v in self.features.items() if k in needed}, members,
                                    chosen.stacker, rule=chosen.rule)
            with open(model_dir / "pipeline.pkl.tmp", "wb") as fh:
                dump(fitted, fh)  # the workers' models as themselves, never unpickled here
            staged.append((model_dir / "pipeline.pkl.tmp", model_dir / "pipeline.pkl"))
        if self.args.oof_dir:
            oof_dir = Path(self.args.oof_dir)
            oof_dir.mkdir(parents=True, exist_ok=True)
            for m in self.results:
                if m.oof is not None:
                    np.save(oof_dir / f"{m.track}_{m.learner}.npy", m.oof)
            if chosen.oof is not None:  # the report's confusion matrix, ROC, calibration and residuals
                staged.append(self._write_selection_predictions(oof_dir, chosen, holdout_pred))
        self.selection = selection
        staged.append(self._write_report(selection, commit=False))
        for tmp, final in staged:
            tmp.replace(final)
        saved = "submission and pipeline" if self.has_test else "pipeline (no test table: no submission)"
        self.events.emit(ev.SubmissionSaved(members=selection["members"], how=chosen.how, cv_score=chosen.score,
                                            holdout_score=holdout, path=str(out) if self.has_test else ""))
        # after the event: the host reads the events when a line arrives, so it times the save by this one
        log(f"saved {saved}: {selection['members']} ({chosen.how}), CV {chosen.score:.5f}")

    def _write_selection_predictions(self, oof_dir: Path, chosen: Selection,
                                     holdout_pred: np.ndarray | None) -> tuple[Path, Path]:
        """selection.csv: per training row (``row``: its position among the rows with a target) the truth and the
        selection's prediction, out-of-fold for the development rows (``part`` cv) and from the models
        fitted without them for the locked holdout (``part`` holdout), on the target's own scale."""
        from .decision import labels as decided_labels

        objective = self.objective
        parts = [("cv", self.dev, self.y_dev, chosen.oof)]
        if holdout_pred is not None:
            parts.append(("holdout", self.hold, self.y_hold, holdout_pred))
        frames = []
        for part, rows, y, pred in parts:
            frame = pd.DataFrame({"row": np.asarray(rows), "part": part})
            if objective.classification:
                classes = np.asarray(objective.classes)
                frame["y"] = classes[np.asarray(y)]
                frame["label"] = classes[decided_labels(objective, pred, chosen.rule)]
                for j, name in enumerate(classes):
                    frame[f"p_{name}"] = np.asarray(pred)[:, j]
            else:
                frame["y"] = objective.decode_values(y)
                frame["prediction"] = objective.decode_values(pred)
            frames.append(frame)
        target = oof_dir / "selection.csv"
        pd.concat(frames, ignore_index=True).to_csv(target.with_name(target.name + ".tmp"), index=False)
        return target.with_name(target.name + ".tmp"), target

    def _write_report(self, selection: dict | None, commit: bool = True) -> tuple[Path, Path]:
        from .fitted import library_versions  # here, so this method's edit stays its own

        report = {"leaderboard": self.leaderboard, "selection": selection, "versions": library_versions(),
                  "floor_cv": None if self.floor is None else self.floor.oof_score,
                  "seconds": round(time.time() - self.started, 2), "metric": self.objective.metric,
                  "greater_is_better": self.objective.greater_is_better}
        path = Path(self.args.report)
        path.with_name(path.name + ".tmp").write_text(json.dumps(report, indent=2, default=float))
        if commit:
            path.with_name(path.name + ".tmp").replace(path)
        return path.with_name(path.name + ".tmp"), path


def dump_features(folder: Path, name: str, X, X_test, n_train: int, n_test: int) -> None:
    """Hand the real transform outputs to the verifier, before any model runs (plain arrays, no pickles).

    A pandas category column is saved as its integer codes (-1: missing), its categories in the index
    (``categories_train`` / ``categories_test``: column -> levels), so the verifier can compare them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    categories = {}
    for part, frame in (("train", X), ("test", X_test)):
        categories[part] = _category_levels(frame)
        if categories[part]:
            frame = frame.copy()
            for i, (_, column) in enumerate(frame.items()):
                if str(column.dtype) == "category":
                    frame.isetitem(i, column.cat.codes.astype(float))
        values = frame.to_numpy() if hasattr(frame, "to_numpy") else np.asarray(frame)
        if values.dtype == object:
            values = values.astype(str)
        np.save(folder / f"features_{name}_{part}.npy", values, allow_pickle=False)
    index_path = folder / "features.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    index[name] = {"input_rows": {"train": n_train, "test": n_test},
                   "columns_train": [str(c) for c in getattr(X, "columns", [])],
                   "columns_test": [str(c) for c in getattr(X_test, "columns", [])],
                   "categories_train": categories["train"], "categories_test": categories["test"],
                   "container": type(X).__name__}
    index_path.write_text(json.dumps(index))


def _category_levels(frame) -> dict[str, list[str]]:
    """Column -> categories of a frame's pandas category columns."""
    if not hasattr(frame, "items"):
        return {}
    return {str(c): [str(v) for v in column.cat.categories] for c, column in frame.items()
            if str(column.dtype) == "category"}
