"""iml's engine: everything that decides a run's score, as plain, typed, tested Python.

Each run copies this package verbatim into its folder as ``code/iml_runtime/``, so the
generated program (``pipeline.py``) and the task-specific modules (``code/preprocess.py``,
``code/model_<track>.py``) import it there and run without iml installed. Inside iml it is
``iml.runtime``. For that reason every module here imports its siblings relatively and
nothing outside numpy, pandas, scikit-learn, scipy, Pillow and the learners' own packages
(the heavy ones only inside the function that needs them); never ``iml`` or pydantic.
"""

from __future__ import annotations

RUNTIME_PACKAGE = "iml_runtime"  # the package's name in a run folder's code/
