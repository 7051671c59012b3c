"""The command line of a run's ``pipeline.py``: train (and validate, and predict the test set), or predict.

    python pipeline.py --data DATA_DIR --out submission.csv
    python pipeline.py predict --model-dir model --input new.csv --out predictions.csv
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import sys
from pathlib import Path
from types import ModuleType

from .config import PipelineConfig
from .loop import Modules, TrainArgs, Trainer, log


def task_modules(config: PipelineConfig, script: ModuleType | None = None) -> Modules:
    """The task's code: ``code/preprocess.py`` and ``code/model_<track>.py`` imported by their stable names
    (so fitted objects unpickle elsewhere), or every part from one ``script`` (the mono variant)."""
    if script is not None:
        return Modules(preprocess=script, tracks={t: script for t in config.tracks})
    return Modules(preprocess=importlib.import_module("preprocess"),
                   tracks={t: importlib.import_module(f"model_{t}") for t in config.tracks},
                   features={name: importlib.import_module(module)
                             for name, module in config.feature_modules.items()})


def predict(model_dir: str, input_path: str, out: str, preprocess: ModuleType, output: str = "submission") -> None:
    with open(Path(model_dir) / "pipeline.pkl", "rb") as fh:
        fitted = pickle.load(fh)
    frame = preprocess.read_frame(input_path)
    table = fitted.predict_table(frame, output)
    table.to_csv(out, index=False)
    log(f"wrote {len(table)} predictions ({output}) to {out}")


def main(config: dict, here: Path, doc: str | None = None, argv: list[str] | None = None,
         script: ModuleType | None = None) -> None:
    settings = PipelineConfig.from_dict(config)
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("predict", help="predict with a fitted pipeline")
    p.add_argument("--model-dir", default=str(here / "model"))
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--output", choices=("submission", "labels", "probabilities"), default="submission",
                   help="the task's submission format, the predicted labels (values), or class probabilities")
    parser.add_argument("--data", help="task data folder (train/test files)")
    parser.add_argument("--out", default="submission.csv")
    parser.add_argument("--model-dir", default=None, help="where to save the fitted pipeline")
    parser.add_argument("--report", default="pipeline_report.json")
    parser.add_argument("--oof-dir", default=None, help="where to save out-of-fold predictions")
    parser.add_argument("--time-budget", type=float, default=settings.time_budget)
    parser.add_argument("--sample-rows", type=int, default=0, help="verification run on a row sample")
    parser.add_argument("--verify-dir", default=None, help="dump intermediate outputs for the verifier")
    parser.add_argument("--events", default=None, help="write typed progress events (JSON lines) to this file")
    parser.add_argument("--workers", type=int, default=None,
                        help="fitting processes at a time (default: one per core)")
    parser.add_argument("--results-dir", default=None,
                        help="keep finished candidates here; a later run of the same code reuses them")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="where fits run: local worker processes, or Ray tasks (a sample run stays local)")
    parser.add_argument("--ray-address", default=None,
                        help="a Ray cluster to join (default: a local Ray started for this run)")
    parser.add_argument("--in-process", action="store_true",
                        help="fit in this process, one fit at a time, no fit stopped (to debug a module)")
    args = parser.parse_args(argv)
    modules = task_modules(settings, script)
    if args.command == "predict":
        predict(args.model_dir, args.input, args.out, modules.preprocess, args.output)
        return
    if not args.data:
        parser.error("--data is required to train")
    train_args = TrainArgs(data=args.data, out=args.out, model_dir=args.model_dir, report=args.report,
                           oof_dir=args.oof_dir, time_budget=args.time_budget, sample_rows=args.sample_rows,
                           verify_dir=args.verify_dir, events=args.events, workers=args.workers,
                           in_process=args.in_process, results_dir=args.results_dir,
                           executor=args.executor, ray_address=args.ray_address)
    sys.exit(Trainer(settings, modules, train_args).run())
