"""`iml predict`: the fitted pipeline of a run, applied to new rows, inside the sandbox.

The rows are checked against the training schema here first (the check reads the run's profile and
blueprint, not its code), so a table the pipeline was not trained on is refused with what is wrong and
nothing is written. The output appears only when the prediction succeeded, and never over an existing
file unless asked.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from iml.data_io import read_table
from iml.errors import DataError, RunFolderError
from iml.integration import sandbox
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.runfolder import RunFolder
from iml.runtime.names import PIPELINE
from iml.schema import InputSchema

OUTPUTS = ("submission", "labels", "probabilities")


def predict(run_dir: Path, input_path: Path, out: Path, output: str = "submission", force: bool = False,
            timeout_s: float = 3600, on_note: Callable[[str], None] = print) -> Path:
    """The written file; DataError when the input does not fit. Notes (ignored columns) go to ``on_note``."""
    folder = RunFolder.open(run_dir)
    if not (folder.file("model") / "pipeline.pkl").exists():
        raise RunFolderError(f"{run_dir} has no fitted pipeline (model/pipeline.pkl).",
                             hint="finish the run first with `iml resume RUN_DIR`")
    if output not in OUTPUTS:
        raise DataError(f"unknown output {output!r}.", hint=f"choose {', '.join(OUTPUTS)}")
    out = Path(out).resolve()
    if out.exists() and not force:
        raise DataError(f"{out} already exists.", hint="pass another --out, or --force to overwrite it")
    if not Path(input_path).is_file():
        raise DataError(f"input file {input_path} does not exist.", hint="pass a CSV with the test file's columns")
    summary = folder.read_model("task_summary.json", TaskSummary)
    if output == "probabilities" and summary.classes is None:
        raise DataError("a regression pipeline predicts values, not class probabilities.",
                        hint="pass --output labels or submission")
    schema = InputSchema.of(summary, folder.read_model("profile.json", Profile),
                            folder.read_model("blueprint.json", Blueprint))
    _, notes = schema.check(read_table(input_path), needs_id=output == "submission")
    for note in notes:
        on_note(note)
    with tempfile.TemporaryDirectory(prefix="iml-predict-") as work:
        written = Path(work) / "predictions.csv"
        result = sandbox.run([str(folder.file(PIPELINE)), "predict", "--model-dir", str(folder.file("model")),
                              "--input", str(Path(input_path).resolve()), "--out", str(written),
                              "--output", output],
                             workdir=Path(work), log_dir=Path(work), timeout_s=timeout_s)
        if not result.ok or not written.exists():
            raise DataError(f"prediction failed: {result.stderr_tail(600).strip().splitlines()[-1:]}",
                            hint=f"see the run's code in {folder.file('code')}; the input passed the schema check")
        # Copied beside the target, then renamed: a half-written file never shows, across file systems too.
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.with_name(f".{out.name}.tmp")
        shutil.copyfile(written, staged)
        staged.replace(out)
    return out
