"""Expert Preprocessing and Modeling Coders: render code/ modules from the blueprint."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from iml.perception.summary import TaskSummary
from iml.planning import guideline
from iml.planning.blueprint import Blueprint
from iml.runtime.names import RUNTIME_DIR
from iml.templating import render


def write_preprocess(bp: Blueprint, summary: TaskSummary) -> str:
    text_svd = max((t.svd_components for t in bp.prep.text_columns), default=0)
    char_ngrams = any(t.char_ngrams for t in bp.prep.text_columns)
    text_terms = max((t.terms for t in bp.prep.text_columns), default=0)
    joins = [(j.column, j.key, j.folders, j.pattern) for j in bp.prep.media_joins]
    return render("preprocess.py.j2", bp=bp, summary=summary, text_svd=text_svd, text_char_ngrams=char_ngrams,
                  text_terms=text_terms,
                  pretrained_text=bp.prep.pretrained_text, image_columns=guideline.image_columns(bp.prep),
                  audio_columns=guideline.audio_columns(bp.prep), media_joins=joins)


def write_model(bp: Blueprint, track: str) -> str:
    """The track's model module: the task's facts and the track's learners around iml_runtime.learners."""
    from iml.runtime.names import LEARNERS_OF_TRACK  # here, so this function's edits stay inside it

    classification = bp.contract.target.classes is not None
    return render(f"model_{track}.py.j2", bp=bp, classification=classification,
                  learners=LEARNERS_OF_TRACK[track])


def copy_runtime(run_dir: Path) -> Path:
    """Copy iml's engine (``iml.runtime``) verbatim into the run folder, so its code runs without iml."""
    source = Path(str(resources.files("iml").joinpath("runtime")))
    target = Path(run_dir) / RUNTIME_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def tracks_of(bp: Blueprint) -> list[str]:
    return list(dict.fromkeys(c.track for c in bp.model.candidates))
