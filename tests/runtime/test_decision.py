"""The decision rule for label metrics: tuned where the best rule is known, not adopted on noise, and applied
wherever labels are made (the submission, the fitted pipeline); old pickles without rules or weights still predict."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from iml.runtime import decision
from iml.runtime.decision import DecisionRule, decide, fit_rule, label_scorer
from iml.runtime.fitted import FittedPipeline, Member
from iml.runtime.objective import Objective
from iml.runtime.submission import SubmissionFormat, format_submission


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def binary(p_pos):
    return np.column_stack([1 - p_pos, p_pos])


def miscalibrated(n, shift, seed=0, base=0.0):
    """True P(y=1) = sigmoid(z + base); the model says sigmoid(z + base + shift): the accuracy-best threshold
    on what it says is sigmoid(shift), not 0.5."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=n)
    y = (rng.random(n) < sigmoid(z + base)).astype(int)
    return y, binary(sigmoid(z + base + shift))


# ---------------------------------------------------------------------------- the fast scores
@pytest.mark.parametrize("metric", sorted(decision.RULE_METRICS))
@pytest.mark.parametrize("classes", [["a", "b"], ["x", "y", "z", "w"], ["1", "10", "2", "3"]])
def test_the_fast_label_score_equals_the_objectives(metric, classes):
    if metric == "f1" and len(classes) > 2:
        pytest.skip("F1 of one positive class is a binary metric")
    obj = Objective(metric, True, classes=classes, positive_label=classes[0] if metric == "f1" else None)
    k = len(classes)
    rng = np.random.default_rng(k)
    scorer = label_scorer(obj)
    for trial in range(5):
        y = rng.integers(0, k, 300)
        pred = np.where(rng.random(300) < 0.6, y, rng.integers(0, k, 300))
        if trial == 1:
            pred[pred == k - 1] = 0  # a class never predicted
        if trial == 2 and k > 2:
            y[y == 1], pred[pred == 1] = 0, 0  # a class absent on both sides
        onehot = np.eye(k)[pred]
        assert scorer(y, pred) == pytest.approx(obj.evaluate(y, onehot), abs=1e-12)
    # weights count rows: a weight of 2 is the row twice
    w = rng.integers(0, 3, 300).astype(float)
    rows = np.repeat(np.arange(300), w.astype(int))
    assert scorer(y, pred, w) == pytest.approx(scorer(y[rows], pred[rows]), abs=1e-12)


# ---------------------------------------------------------------------------- rules where the best is known
def test_accuracy_threshold_of_a_shifted_model_is_found_and_adopted():
    y, proba = miscalibrated(20000, shift=1.0)
    obj = Objective("accuracy", True, classes=["no", "yes"], positive_label="yes")
    found = decide(obj, y, proba, seed=0)
    assert found is not None and found.rule is not None and found.rule.kind == "threshold"
    assert found.rule.positive == 1
    assert found.rule.values[0] == pytest.approx(sigmoid(1.0), abs=0.04)  # 0.731, not 0.5
    assert found.score > found.score_argmax + 0.01 and found.confidence >= decision.CONFIDENCE
    assert found.score_argmax == pytest.approx(obj.evaluate(y, proba))
    # the honest score is the cross-fitted one: close to, not above by much, the rule's score on all rows
    assert decision.score(obj, y, proba, found.rule) == pytest.approx(found.score, abs=0.01)


def test_the_positive_class_is_the_contracts():
    y, proba = miscalibrated(20000, shift=1.0, seed=1)
    obj = Objective("accuracy", True, classes=["yes", "no"], positive_label="yes")  # column 0 is positive
    found = decide(obj, 1 - y, proba[:, ::-1], seed=0)
    assert found.rule.positive == 0 and found.rule.values[0] == pytest.approx(sigmoid(1.0), abs=0.04)


def test_f1_macro_on_imbalanced_classes_lowers_the_threshold():
    # calibrated probabilities, 8% positives: macro F1 is won by calling the rare class more often
    y, proba = miscalibrated(20000, shift=0.0, base=-3.5)
    assert 0.04 < y.mean() < 0.12
    obj = Objective("f1_macro", True, classes=["neg", "pos"], positive_label="pos")
    found = decide(obj, y, proba, seed=0)
    assert found.rule is not None and found.rule.values[0] < 0.45
    assert found.score > found.score_argmax


def test_binary_f1_of_a_rare_positive_class_lowers_its_threshold():
    # calibrated probabilities, 8% positives: F1 of the positive class is won well below 0.5
    y, proba = miscalibrated(20000, shift=0.0, base=-3.5)
    obj = Objective("f1", True, classes=["neg", "pos"], positive_label="pos")
    found = decide(obj, y, proba, seed=0)
    assert found.rule is not None and found.rule.kind == "threshold" and found.rule.values[0] < 0.4
    assert found.score > found.score_argmax
    from sklearn.metrics import f1_score

    assert decision.score(obj, y, proba, found.rule) == pytest.approx(f1_score(y, found.rule.labels(proba)))


def test_balanced_accuracy_calls_the_rare_class_at_about_its_prior():
    # for calibrated probabilities the balanced-accuracy-best threshold sits near the positive rate
    y, proba = miscalibrated(20000, shift=0.0, base=-3.0)
    obj = Objective("balanced_accuracy", True, classes=["neg", "pos"], positive_label="pos")
    found = decide(obj, y, proba, seed=0)
    assert found.rule is not None and found.rule.values[0] < 2.5 * y.mean()
    assert found.score > found.score_argmax + 0.05


def test_precision_and_recall_keep_the_argmax():
    y, proba = miscalibrated(5000, shift=1.0)
    for metric in ("precision", "recall"):
        obj = Objective(metric, True, classes=["neg", "pos"], positive_label="pos")
        assert not decision.applies(obj) and decide(obj, y, proba, seed=0) is None


def test_multiclass_weights_undo_a_shrunk_class():
    # the model shrinks class 2's probability by 0.3: weighting it back by 1/0.3 restores the Bayes rule
    rng = np.random.default_rng(0)
    n = 20000
    logits = rng.normal(scale=1.5, size=(n, 3))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in truth])
    model = truth * [1.0, 1.0, 0.3]
    model /= model.sum(axis=1, keepdims=True)
    obj = Objective("accuracy", True, classes=["a", "b", "c"])
    found = decide(obj, y, model, seed=0)
    assert found.rule is not None and found.rule.kind == "weights" and len(found.rule.values) == 3
    w = np.asarray(found.rule.values)
    assert 2.3 < w[2] / w[0] < 4.8 and 2.3 < w[2] / w[1] < 4.8
    assert found.score > found.score_argmax + 0.01


def ordinal_model(n, seed=0, cuts=(0.8, 1.2, 2.5), width=0.45):
    """Four ordered classes from a latent z by ``cuts``; the model's probabilities centre on z."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-0.2, 3.2, n)
    y = np.searchsorted(np.asarray(cuts), z + rng.normal(scale=0.1, size=n))

    def proba_at(latent):
        p = np.exp(-((np.arange(4)[None, :] - np.asarray(latent)[:, None]) ** 2) / (2 * width ** 2))
        return p / p.sum(axis=1, keepdims=True)

    return y, proba_at(z), proba_at


def test_qwk_cut_points_follow_the_true_cuts():
    y, proba, proba_at = ordinal_model(20000)
    obj = Objective("qwk", True, classes=["0", "1", "2", "3"])
    found = decide(obj, y, proba, seed=0)
    assert found.rule is not None and found.rule.kind == "cuts"
    # the best cut on the expected class index is the expected index at the true latent cut
    at_cuts = proba_at([0.8, 1.2, 2.5]) @ np.arange(4)
    np.testing.assert_allclose(found.rule.values, at_cuts, atol=0.12)
    assert list(found.rule.values) == sorted(found.rule.values)
    assert found.score > found.score_argmax + 0.01


def test_a_rule_is_not_adopted_on_pure_noise():
    # labels independent of the probabilities, classes exactly balanced (no prior for a rule to lean on):
    # a rule can only fit noise, and the cross-fitting with its bootstrap rejects it about 95% of the time
    adopted = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 2000
        y = rng.permutation(np.repeat([0, 1], n // 2))
        proba = binary(rng.uniform(0.3, 0.7, n))
        for metric in ("accuracy", "f1_macro", "mcc"):
            found = decide(Objective(metric, True, classes=["0", "1"], positive_label="1"), y, proba, seed=seed)
            adopted += found.rule is not None
            if found.rule is None:
                assert found.score == found.score_argmax
        y3 = rng.permutation(np.arange(n) % 3)
        p3 = rng.dirichlet([2, 2, 2], n)
        for metric in ("accuracy", "qwk"):
            adopted += decide(Objective(metric, True, classes=["0", "1", "2"]), y3, p3, seed=seed).rule is not None
    assert adopted <= 3  # of 40 (1 with these seeds): a false adoption needs a gain the bootstrap finds 95% sure


def test_no_rule_for_probability_metrics_regression_or_tiny_data():
    y, proba = miscalibrated(500, shift=1.0)
    for obj in (Objective("auc", True, classes=["0", "1"], positive_label="1"),
                Objective("logloss", False, classes=["0", "1"])):
        assert not decision.applies(obj) and decide(obj, y, proba) is None
    assert not decision.applies(Objective("rmse", False))
    tiny = decide(Objective("accuracy", True, classes=["0", "1"]), y[:20], proba[:20])
    assert tiny.rule is None


def test_identity_rules_are_the_argmax_and_rules_pickle():
    rng = np.random.default_rng(0)
    p2, p3 = binary(rng.random(50)), rng.dirichlet([1, 1, 1], 50)
    np.testing.assert_array_equal(DecisionRule("threshold", [0.5]).labels(p2), p2.argmax(axis=1))
    np.testing.assert_array_equal(DecisionRule("weights", [1.0, 1.0, 1.0]).labels(p3), p3.argmax(axis=1))
    cuts = DecisionRule("cuts", [0.5, 1.5])
    np.testing.assert_array_equal(cuts.labels(np.array([[1, 0, 0], [0.2, 0.5, 0.3], [0, 0.2, 0.8]])), [0, 1, 2])
    y, proba = miscalibrated(400, shift=1.0)
    rule = fit_rule(Objective("accuracy", True, classes=["0", "1"]), y, proba)
    again = pickle.loads(pickle.dumps(rule))
    assert again == rule and again.describe(["0", "1"])["kind"] == "threshold"
    assert "exceeds" in again.describe(["0", "1"])["text"]
    with pytest.raises(ValueError):
        DecisionRule("magic", [1.0]).labels(p2)


# ---------------------------------------------------------------------------- where labels are made
OBJ = Objective("accuracy", True, classes=["no", "yes"], positive_label="yes")
LABELS = SubmissionFormat("label", ["id", "answer"], ["answer"], id_column="id")
PROBS = binary(np.array([0.2, 0.6, 0.8, 0.95]))
STRICT = DecisionRule("threshold", [0.7], positive=1)


def test_format_submission_applies_the_rule_to_labels_only():
    plain = format_submission([1, 2, 3, 4], PROBS, OBJ, LABELS)
    ruled = format_submission([1, 2, 3, 4], PROBS, OBJ, LABELS, STRICT)
    assert plain["answer"].tolist() == ["no", "yes", "yes", "yes"]
    assert ruled["answer"].tolist() == ["no", "no", "yes", "yes"]
    probability = SubmissionFormat("probability", ["id", "p"], ["p"], id_column="id")
    np.testing.assert_allclose(format_submission([1, 2, 3, 4], PROBS, OBJ, probability, STRICT)["p"], PROBS[:, 1])


class Passthrough:
    """A preprocessor handing on two columns (module level, so it pickles)."""

    def fit(self, frame, y=None):
        return self

    def transform(self, frame):
        return frame[["p", "q"]]


class ColumnModel:
    """A 'model' whose positive probability is one input column."""

    def __init__(self, column):
        self.column = column

    def predict_proba(self, X):
        return binary(np.asarray(X[self.column], dtype=float))


def pipeline(rule=None, weights=(0.75, 0.25)):
    members = [Member("traditional", "a", "all", [ColumnModel("p")], weights[0]),
               Member("traditional", "b", "all", [ColumnModel("q")], weights[1])]
    return FittedPipeline(OBJ, LABELS, {"all": Passthrough()}, members, None, rule=rule)


FRAME = pd.DataFrame({"id": [7, 8, 9], "p": [0.9, 0.6, 0.1], "q": [0.1, 0.6, 0.9]})


def test_the_fitted_pipeline_weighs_members_and_applies_its_rule():
    plain = pipeline()
    np.testing.assert_allclose(plain.predict_matrix(FRAME)[:, 1], [0.7, 0.6, 0.3])  # 0.75 p + 0.25 q
    assert plain.predict_submission(FRAME)["answer"].tolist() == ["yes", "yes", "no"]
    ruled = pickle.loads(pickle.dumps(pipeline(rule=DecisionRule("threshold", [0.65]))))
    assert ruled.predict_submission(FRAME)["answer"].tolist() == ["yes", "no", "no"]
    assert ruled.predict_submission(FRAME)["id"].tolist() == [7, 8, 9]


def test_an_old_pickle_without_rule_or_weights_still_predicts():
    old = pipeline(rule=DecisionRule("threshold", [0.65]))
    del old.__dict__["rule"]  # as pickled before rules and weights existed
    for member in old.members:
        del member.__dict__["weight"]
    loaded = pickle.loads(pickle.dumps(old))
    assert "rule" not in loaded.__dict__ and loaded.rule is None
    assert all(m.weight == 1.0 for m in loaded.members)
    np.testing.assert_allclose(loaded.predict_matrix(FRAME)[:, 1], [0.5, 0.6, 0.5])  # the plain mean
    assert loaded.predict_submission(FRAME)["answer"].tolist() == ["no", "yes", "no"]  # the argmax
