"""`iml predict`: the fitted pipeline of a run, applied to new rows, inside the sandbox."""

from __future__ import annotations

import tempfile
from pathlib import Path

from iml.errors import DataError, RunFolderError
from iml.integration import sandbox
from iml.runfolder import RunFolder
from iml.runtime.names import PIPELINE


def predict(run_dir: Path, input_path: Path, out: Path, timeout_s: float = 3600) -> Path:
    folder = RunFolder.open(run_dir)
    if not (folder.file("model") / "pipeline.pkl").exists():
        raise RunFolderError(f"{run_dir} has no fitted pipeline (model/pipeline.pkl).",
                             hint="finish the run first with `iml resume RUN_DIR`")
    if not Path(input_path).is_file():
        raise DataError(f"input file {input_path} does not exist.", hint="pass a CSV with the test file's columns")
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="iml-predict-") as work:
        result = sandbox.run([str(folder.file(PIPELINE)), "predict", "--model-dir", str(folder.file("model")),
                              "--input", str(Path(input_path).resolve()), "--out", str(out)],
                             workdir=Path(work), log_dir=Path(work), timeout_s=timeout_s)
        if not result.ok or not out.exists():
            raise DataError(f"prediction failed: {result.stderr_tail(600).strip().splitlines()[-1:]}",
                            hint="the input needs the same columns as the task's test file")
    return out
