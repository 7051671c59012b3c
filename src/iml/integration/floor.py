"""The host's own floor submission, for a run whose pipeline could not even write one.

The pipeline writes the floor (class priors or the mean) as soon as it has read the data. iml writes
the same floor itself before that: once the plan exists, beside the sample run (``write_floor_if_absent``),
so a valid submission is there within seconds of the start; and when the generated code breaks and
repairs run out, so a run whose data can be read still ends with a valid submission.
"""

from __future__ import annotations

import os
from pathlib import Path

from iml.data_io import read_table
from iml.integration.assembler import pipeline_config
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runtime.floor import Prior
from iml.runtime.objective import Objective
from iml.runtime.submission import SubmissionFormat, format_submission


def write_floor(bp: Blueprint, summary: TaskSummary, data_dir: Path, out: Path) -> Path:
    """Write the floor submission for the task to ``out``; raises when the tables cannot be read."""
    config = pipeline_config(bp, summary, 0.0)
    objective, fmt = Objective.from_config(config), SubmissionFormat.from_config(config)
    train = read_table(data_dir / summary.train_file)
    test = read_table(data_dir / summary.test_file)
    target = train[summary.target_columns[0]].dropna()
    y = objective.encode_target(target)
    prior = Prior(objective).fit(None, y)
    pred = prior.predict_proba(test) if objective.classification else prior.predict(test)
    ids = test[fmt.id_column] if fmt.id_column and fmt.id_column in test.columns else None
    out.parent.mkdir(parents=True, exist_ok=True)
    format_submission(ids, pred, objective, fmt).to_csv(out, index=False)
    return out


def write_floor_if_absent(bp: Blueprint, summary: TaskSummary, data_dir: Path, out: Path) -> bool:
    """The floor at ``out`` unless a submission is already there (the pipeline's, a model's): written aside,
    then linked in place, which fails rather than overwrite one that appeared meanwhile. True when written."""
    if out.exists():
        return False
    aside = out.with_name(out.name + ".floor.tmp")
    write_floor(bp, summary, data_dir, aside)
    try:
        os.link(aside, out)
    except FileExistsError:
        return False
    finally:
        aside.unlink(missing_ok=True)
    return True
