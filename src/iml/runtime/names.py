"""The vocabulary every part of iml and the run folder shares: tracks, learners, feature sets, module paths.

Defined once here (the runtime has to know them and cannot import iml); iml imports them from
``iml.runtime.names``.
"""

from __future__ import annotations

# The expert's implementation tracks, in the order a run explores them.
TRACKS = ("traditional", "pretrained", "custom_nn")
# The extra track an LLM brain writes (its own preprocessing and model modules).
LLM_TRACK = "llm"
ALL_TRACKS = (*TRACKS, LLM_TRACK)

BOOSTING_LEARNERS = ("lightgbm", "xgboost", "catboost")
# Cheap learners unlike the boosters (bagged trees, random splits, neighbours): diversity for the ensemble.
DIVERSE_LEARNERS = ("random_forest", "extra_trees", "knn")
TABULAR_LEARNERS = (*BOOSTING_LEARNERS, "linear", *DIVERSE_LEARNERS)
NN_LEARNERS = ("mlp", "tabm")
LEARNERS_OF_TRACK = {"traditional": TABULAR_LEARNERS, "pretrained": TABULAR_LEARNERS, "custom_nn": NN_LEARNERS,
                     LLM_TRACK: (LLM_TRACK,)}
LEARNERS = (*TABULAR_LEARNERS, *NN_LEARNERS)
# The import a learner needs: a missing package removes its candidates, not the run.
PACKAGE_OF = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "linear": "sklearn",
              "mlp": "torch", "tabm": "tabm", **{learner: "sklearn" for learner in DIVERSE_LEARNERS}}

# Feature sets: each track reads the data through one of them.
#   standard:   TF-IDF/SVD text, image thumbnails + gradient histograms, MFCC statistics
#   nn:         as standard, but images as pixel grids and audio as log-mel grids for convolutions
#   pretrained: as standard, but each modality through a pretrained encoder's pooled embeddings
#   llm:        whatever the LLM's own preprocessing module computes
FEATURE_SETS = ("standard", "nn", "pretrained")
TRACK_FEATURES = {"traditional": "standard", "pretrained": "pretrained", "custom_nn": "nn", LLM_TRACK: "llm"}

# Module paths, relative to the run folder.
PIPELINE = "pipeline.py"
CODE_DIR = "code"
RUNTIME_DIR = "code/iml_runtime"
PREPROCESS = "code/preprocess.py"
LLM_PREPROCESS = "code/preprocess_llm.py"
LLM_MODEL = "code/model_llm.py"
# Feature set -> the code/ module (import name) computing it, when that is not code/preprocess.py.
FEATURE_MODULES = {"llm": "preprocess_llm"}


def model_module(track: str) -> str:
    """The module path of a track's model code."""
    return f"{CODE_DIR}/model_{track}.py"


def feature_module(feature_set: str) -> str:
    """The module path of the code computing a feature set."""
    name = FEATURE_MODULES.get(feature_set)
    return f"{CODE_DIR}/{name}.py" if name else PREPROCESS


def candidate_id(track: str, learner: str) -> str:
    """How a candidate is named everywhere: 'track/learner'."""
    return f"{track}/{learner}"
