"""The Blueprint: ⟨prep, model, train, eval⟩ plus the InterfaceContract that binds them.

Every field is data the coders render into code and the Verifier checks against;
the llm brain's answer is validated against these same models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from iml.runtime.names import ALL_TRACKS, TRACKS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Decision(_Strict):
    """A column-level choice and why it was made, so blueprint.md can explain itself."""

    column: str
    action: str
    reason: str


class TextPlan(_Strict):
    column: str
    max_features: int = 20000
    svd_components: int = 64  # TF-IDF is reduced to a dense block so every learner can take it
    char_ngrams: bool = True  # character n-grams catch style and spelling; they cost most of the time
    terms: int = 0  # presence columns of the most frequent words and word pairs (the SVD blurs keywords)
    reason: str = ""


class MediaJoin(_Strict):
    """Media files no column names, reached from a key column's values (PetFinder style: images/<id>-1.jpg).

    The preprocessing adds ``column`` holding each row's file path; it is then read like any media column.
    """

    column: str  # the file-path column the preprocessing adds (not in the data)
    key: str  # the table column whose values start the file names
    folders: list[str]  # sub-folders holding the files (several when split, e.g. train/ and test/)
    pattern: str  # file name from the key value, '{}' standing for it
    modality: Literal["image", "audio"]


class PrepPlan(_Strict):
    id_column: str | None
    numeric_columns: list[str] = []
    boolean_columns: list[str] = []
    onehot_columns: list[str] = []  # low cardinality
    ordinal_columns: list[str] = []  # very high cardinality / near-unique: frequency-ordered codes + frequency
    # Mid/high cardinality: one category column (+ frequency) that LightGBM, CatBoost and XGBoost split
    # natively; the other learners read its codes, the nn feature set its ordinal codes. Reasons: decisions.
    native_categorical_columns: list[str] = []
    datetime_columns: list[str] = []
    text_columns: list[TextPlan] = []
    image_columns: list[str] = []  # file paths: thumbnail pixels, colour statistics, gradient histograms
    audio_columns: list[str] = []  # file paths: MFCC statistics
    media_joins: list[MediaJoin] = []  # media reached through a key column; read like image/audio columns
    media_folders: dict[str, list[str]] = {}  # media column -> sub-folders tried for bare file names
    image_side: int = Field(16, ge=4, le=64)  # thumbnail / pixel-grid side, from the images' measured sizes
    pretrained_text: str | None = None  # encoder location for the pretrained track's text embeddings
    pretrained_image: str | None = None  # vision encoder location for the pretrained track's image embeddings
    pretrained_audio: str | None = None  # audio encoder location for the pretrained track's audio embeddings
    dropped: list[Decision] = []
    decisions: list[Decision] = []
    missing_indicators: bool = True
    onehot_max_levels: int = 12
    target_transform: Literal["none", "log1p"] = "none"


# Each track reads the data through one feature set (iml.runtime.names.TRACK_FEATURES); the llm track
# (llm mode only) reads its own, computed by the LLM-written code/preprocess_llm.py.
Track = Literal[ALL_TRACKS]


class Candidate(_Strict):
    track: Track = TRACKS[0]
    learner: str  # e.g. lightgbm, xgboost, catboost, linear
    params: dict = {}
    search: bool = True  # tune with Optuna within its time share
    weight: float = 1.0  # share of the time budget, relative to the other candidates


class ModelPlan(_Strict):
    candidates: list[Candidate]
    skipped: list[Decision] = []  # tracks left out, with the reason
    feature_seconds: dict[str, float] = {}  # expected cost of computing a feature set (e.g. embeddings)
    # Of that, the fixed cost (importing libraries, reading weights) that a sample run pays in full too.
    feature_load_seconds: dict[str, float] = {}
    class_weight: Literal["balanced"] | None = None
    reason: str = ""


class TrainPlan(_Strict):
    cv: Literal["stratified", "kfold"]
    n_folds: int = Field(5, ge=2, le=20)
    holdout_fraction: float = Field(0.0, ge=0.0, lt=0.5)
    seed: int = 0
    max_trials: int = 60
    hpo_share: float = Field(0.4, ge=0.0, le=0.9)  # of each candidate's time on tuning
    early_stopping_rounds: int = 100
    ensemble: Literal["auto", "best", "greedy", "average", "stacking"] = "auto"  # average: the old name of greedy


class EvalPlan(_Strict):
    metric: str
    greater_is_better: bool
    prediction: Literal["label", "probability", "class_probabilities", "value", "multilabel_probabilities"]


class FeatureContract(_Strict):
    """What Preprocessor.transform must return (Q_post) and Model.fit accepts (R_pre)."""

    container: Literal["dataframe"] = "dataframe"
    dtype: Literal["float"] = "float"
    allow_category: bool = True  # pandas category columns beside the floats (native categories), checked as codes
    allow_missing: bool = False
    allow_infinite: bool = False
    rows: Literal["equal_input"] = "equal_input"
    min_features: int = 1
    same_columns_train_test: bool = True


class TargetContract(_Strict):
    task_type: Literal["binary", "multiclass", "regression", "multilabel"]
    classes: list[str] | None = None  # class order: y is encoded as the index into this list
    encoding: Literal["class_index", "float"]


class PredictionContract(_Strict):
    """What Model.predict / predict_proba must return."""

    rows: Literal["equal_input"] = "equal_input"
    proba_columns: int | None = None  # classification: len(classes)
    proba_rows_sum_to_one: bool = False
    min_value: float | None = None
    max_value: float | None = None


class SubmissionContract(_Strict):
    columns: list[str]
    id_column: str | None
    n_rows: int


class InterfaceContract(_Strict):
    features: FeatureContract = FeatureContract()
    target: TargetContract
    prediction: PredictionContract
    submission: SubmissionContract


class Blueprint(_Strict):
    task: str
    modality: str
    prep: PrepPlan
    model: ModelPlan
    train: TrainPlan
    eval: EvalPlan
    contract: InterfaceContract
    rationale: list[str] = []
    # The preset the expert planned with (iml.planning.presets: column "preset", action its name) and why.
    preset: Decision | None = None
    # The ablation this plan serves, one of iml.variants.VARIANTS ("full" unless the run asked for another).
    # A plain string here: iml.variants builds on blueprints, so the blueprint cannot import it back.
    variant: str = "full"
