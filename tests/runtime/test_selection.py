"""Selection by out-of-fold scores: the best single, a greedy weighted ensemble, a stacker; combining members."""

from __future__ import annotations

import numpy as np
import pytest

from iml.runtime.objective import Objective
from iml.runtime.selection import (CandidateResult, choose_ensemble, combine, fit_stacker, greedy_weights,
                                   stack_features)

N = 200
Y = np.tile([0, 1], N // 2)  # alternating classes
FIRST = np.arange(N) < N // 2


def probs(p_pos: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - p_pos, p_pos])


def knows(half: np.ndarray) -> np.ndarray:
    """Confident and right on ``half`` of the rows, uninformed (0.5) on the rest."""
    return probs(np.where(half, np.where(Y == 1, 0.9, 0.1), 0.5))


A, B = knows(FIRST), knows(~FIRST)           # complementary: their average is right everywhere
WRONG = probs(np.where(Y == 1, 0.3, 0.7))    # consistently wrong


def cand(name, objective, oof, cv_mean=None, test=None):
    score = objective.evaluate(Y, oof)
    return CandidateResult(track="traditional", learner=name, models=[name], oof=oof,
                           test=oof[:5] if test is None else test, holdout=None,
                           cv_mean=score if cv_mean is None else cv_mean, oof_score=score)


AUC = Objective("auc", True, classes=["0", "1"], positive_label="1")
LOGLOSS = Objective("logloss", False, classes=["0", "1"])


@pytest.mark.parametrize("objective", [AUC, LOGLOSS], ids=["auc", "logloss"])
def test_setup_average_beats_each_member(objective):
    a, b = objective.evaluate(Y, A), objective.evaluate(Y, B)
    avg = objective.evaluate(Y, (A + B) / 2)
    assert objective.better(avg, a) and objective.better(avg, b)
    assert objective.better(a, objective.evaluate(Y, WRONG))


@pytest.mark.parametrize("objective", [AUC, LOGLOSS], ids=["auc", "logloss"])
def test_best_mode_takes_the_best_mean_fold_score(objective):
    # cv_mean decides, in the objective's direction: "b" is better than "a" either way
    worse, better = (0.6, 0.7) if objective.greater_is_better else (0.7, 0.6)
    results = [cand("a", objective, A, cv_mean=worse), cand("b", objective, B, cv_mean=better)]
    sel = choose_ensemble(results, Y, objective, "best", seed=0)
    assert sel.how == "best" and [m.learner for m in sel.members] == ["b"] and sel.stacker is None
    assert sel.score == results[1].oof_score


@pytest.mark.parametrize("objective", [AUC, LOGLOSS], ids=["auc", "logloss"])
def test_greedy_ensembles_the_complementary_pair(objective):
    results = [cand("wrong", objective, WRONG), cand("a", objective, A), cand("b", objective, B)]
    sel = choose_ensemble(results, Y, objective, "greedy", seed=0)
    assert sel.how == "greedy ensemble of 2" and sel.stacker is None
    assert [m.learner for m in sel.members] == ["a", "b"]  # the wrong one gets no weight
    assert sel.weights == pytest.approx([0.5, 0.5])
    assert sel.score == pytest.approx(objective.evaluate(Y, (A + B) / 2)) and sel.rule is None
    # auto also weighs the stacker: it wins only where its own cross-validation beats the greedy mean
    # (logloss: the mean of A and B is right everywhere but unsure, the stacker sharpens it; AUC: a tie)
    auto = choose_ensemble(results, Y, objective, "auto", seed=0)
    assert auto.how == ("stacking of 3" if objective is LOGLOSS else "greedy ensemble of 2")
    assert not objective.better(sel.score, auto.score)


@pytest.mark.parametrize("objective", [AUC, LOGLOSS], ids=["auc", "logloss"])
def test_greedy_keeps_the_best_single_when_adding_hurts(objective):
    results = [cand("wrong", objective, WRONG), cand("a", objective, A)]
    sel = choose_ensemble(results, Y, objective, "greedy", seed=0)
    assert sel.how == "best" and [m.learner for m in sel.members] == ["a"]
    assert sel.score == results[1].oof_score
    # the wrong one is wrong consistently: a stacker turns it around, honestly better, so auto takes it
    auto = choose_ensemble(results, Y, objective, "auto", seed=0)
    assert auto.how == "stacking of 2" and objective.better(auto.score, sel.score)


@pytest.mark.parametrize("mode", ["greedy", "average"])  # "average": the older name, blueprints still say it
def test_greedy_mode_never_adds_a_member_that_hurts(mode):
    results = [cand("wrong", LOGLOSS, WRONG), cand("a", LOGLOSS, A)]
    sel = choose_ensemble(results, Y, LOGLOSS, mode, seed=0)
    assert sel.how == "best" and [m.learner for m in sel.members] == ["a"] and sel.weights == [1.0]
    assert sel.score == pytest.approx(results[1].oof_score)


def test_an_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="ensemble mode"):
        choose_ensemble([cand("a", LOGLOSS, A)], Y, LOGLOSS, "blend", seed=0)


@pytest.mark.parametrize("mode", ["auto", "average", "greedy"])
def test_no_average_when_a_candidate_lacks_oof(mode):
    a, b = cand("a", LOGLOSS, A), cand("b", LOGLOSS, B)
    b.oof = None
    sel = choose_ensemble([a, b], Y, LOGLOSS, mode, seed=0)
    assert sel.how == "best" and len(sel.members) == 1


def test_stacking_of_every_complete_candidate():
    results = [cand("a", LOGLOSS, A), cand("b", LOGLOSS, B), cand("c", LOGLOSS, A, cv_mean=9.0)]
    results[2].oof = None
    sel = choose_ensemble(results, Y, LOGLOSS, "stacking", seed=0)
    assert sel.how == "stacking of 2" and sel.stacker is not None
    assert {m.learner for m in sel.members} == {"a", "b"}
    # its own cross-validated score, and the stacker learns what the average shows: both beat a single member
    assert LOGLOSS.better(sel.score, results[0].oof_score)
    out = combine([m.oof for m in sel.members], sel.weights, sel.stacker, classification=True)
    assert out.shape == (N, 2) and np.allclose(out.sum(axis=1), 1.0)
    assert AUC.evaluate(Y, out) > 0.99


def test_stacking_needs_two_complete_candidates():
    a, b = cand("a", LOGLOSS, A), cand("b", LOGLOSS, B)
    b.oof = None
    sel = choose_ensemble([a, b], Y, LOGLOSS, "stacking", seed=0)
    assert sel.how == "best" and sel.stacker is None


def test_regression_selection_lower_is_better():
    rng = np.random.default_rng(0)
    y = rng.normal(size=120)
    err = rng.normal(scale=0.5, size=120)
    obj = Objective("rmse", False)

    def rc(name, oof):
        s = obj.evaluate(y, oof)
        return CandidateResult("traditional", name, [], oof, oof[:3], None, s, s)

    over, under, off = rc("over", y + err), rc("under", y - err), rc("off", y + 3.0)
    sel = choose_ensemble([off, over, under], y, obj, "auto", seed=0)
    assert sel.how == "greedy ensemble of 2" and sel.score == pytest.approx(0.0, abs=1e-12)
    assert [m.learner for m in sel.members] == ["over", "under"] and sel.weights == pytest.approx([0.5, 0.5])
    assert choose_ensemble([off, over], y, obj, "best", seed=0).members[0].learner == "over"
    stacked = choose_ensemble([over, off], y, obj, "stacking", seed=0)
    assert stacked.how == "stacking of 2" and obj.better(stacked.score, off.oof_score)
    pred = combine([over.oof, off.oof], None, stacked.stacker, classification=False)
    assert pred.shape == (120,)


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError):
        choose_ensemble([], Y, AUC, "auto", seed=0)


def test_combine_without_a_stacker_is_the_weighted_mean():
    parts = [np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([[0.4, 0.6], [0.8, 0.2]])]
    np.testing.assert_allclose(combine(parts, None, None, True), [[0.3, 0.7], [0.7, 0.3]])
    np.testing.assert_allclose(combine(parts, [0.5, 0.5], None, True), [[0.3, 0.7], [0.7, 0.3]])
    np.testing.assert_allclose(combine(parts, [0.75, 0.25], None, True), [[0.25, 0.75], [0.65, 0.35]])
    np.testing.assert_allclose(combine([np.array([1.0, 2.0]), np.array([3.0, 6.0])], None, None, False), [2.0, 4.0])
    np.testing.assert_allclose(combine([np.array([1.0, 2.0]), np.array([3.0, 6.0])], [3, 1], None, False),
                               [1.5, 3.0])  # weights need not sum to one


def test_combine_with_a_stacker_feeds_it_the_stack_features():
    class Echo:
        def predict_proba(self, features):
            return features

        def predict(self, features):
            return features.sum(axis=1)

    parts = [np.array([[0.5, 0.5], [0.2, 0.8]]), np.array([[1.0, 0.0], [0.9, 0.1]])]
    feats = combine(parts, [0.9, 0.1], Echo(), True)  # a stacker weighs its inputs itself
    assert feats.shape == (2, 4)
    np.testing.assert_allclose(feats[0, :2], [0.0, 0.0])  # log-odds of 0.5
    np.testing.assert_allclose(feats[1, 1], np.log(0.8 / 0.2))
    assert np.isfinite(feats).all()  # 0 and 1 are clipped before the log-odds
    np.testing.assert_allclose(feats, stack_features(parts, True))
    reg = combine([np.array([1.0, 2.0]), np.array([10.0, 20.0])], None, Echo(), False)
    np.testing.assert_allclose(reg, [11.0, 22.0])


# ---------------------------------------------------------------------------- greedy ensemble selection
RMSE = Objective("rmse", False)


def regression_candidates(noise_scales, n=2000, seed=0):
    """Predictors of y with independent noise of the given scales."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return y, [rcand(f"m{i}", y, y + rng.normal(scale=s, size=n)) for i, s in enumerate(noise_scales)]


def rcand(name, y, oof):
    s = RMSE.evaluate(y, oof)
    return CandidateResult("traditional", name, [], oof, oof[:3], None, s, s)


def halves(n=3000, seed=0):
    """y = u + v + noise; one predictor sees only u, the other only v (each 2u, 2v: right on average), and
    a useless one sees nothing: the mean of the first two is the best any blend of the three can do."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=n), rng.normal(size=n)
    y = u + v + rng.normal(scale=0.3, size=n)
    return y, [rcand("u", y, 2 * u), rcand("v", y, 2 * v), rcand("useless", y, rng.normal(size=n))]


def test_two_complementary_noisy_predictors_get_equal_weight_and_a_useless_one_none():
    y, results = halves()
    weights = greedy_weights([r.oof for r in results], y, RMSE)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] == pytest.approx(0.5, abs=0.1) and weights[1] == pytest.approx(0.5, abs=0.1)
    assert weights[2] == 0.0
    sel = choose_ensemble(results, y, RMSE, "greedy", seed=0)
    assert sel.how == "greedy ensemble of 2" and {m.learner for m in sel.members} == {"u", "v"}
    assert sum(sel.weights) == pytest.approx(1.0)


def test_greedy_with_replacement_finds_unequal_weights():
    # noise variances 1 and 4: the best linear blend weighs them 0.8 / 0.2, reachable only by picking m0 again
    y, results = regression_candidates([1.0, 2.0], n=20000)
    weights = greedy_weights([r.oof for r in results], y, RMSE)
    assert weights[0] == pytest.approx(0.8, abs=0.08) and weights[1] == pytest.approx(0.2, abs=0.08)
    sel = choose_ensemble(results, y, RMSE, "greedy", seed=0)
    assert [m.learner for m in sel.members] == ["m0", "m1"]  # heaviest first
    assert sel.weights == pytest.approx(list(weights))
    assert sel.score == pytest.approx(RMSE.evaluate(y, weights[0] * results[0].oof + weights[1] * results[1].oof))
    assert RMSE.better(sel.score, RMSE.evaluate(y, (results[0].oof + results[1].oof) / 2))  # beats the mean


def test_greedy_weights_are_counts_over_at_most_the_round_limit():
    y, results = regression_candidates([1.0, 1.3, 1.7, 2.0], n=5000)
    weights = greedy_weights([r.oof for r in results], y, RMSE, rounds=7, patience=7)
    assert any(np.allclose(weights * t, np.round(weights * t)) for t in range(2, 8))
    assert (weights > 0).sum() >= 2 and weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("metric", ["auc", "logloss", "accuracy", "mcc"])
@pytest.mark.parametrize("seed", [0, 1])
def test_selection_never_scores_worse_than_the_best_single(metric, seed):
    rng = np.random.default_rng(seed)
    n = 600
    y = rng.integers(0, 2, n)
    obj = Objective(metric, metric != "logloss", classes=["0", "1"], positive_label="1")
    results = []
    for i, strength in enumerate([1.0, 0.8, 0.5, 0.0]):
        logit = strength * (2 * y - 1) + rng.normal(scale=1.5, size=n)
        p = 1 / (1 + np.exp(-logit))
        oof = probs(p)
        s = obj.evaluate(y, oof)
        results.append(CandidateResult("traditional", f"m{i}", [], oof, oof[:3], None, s, s))
    best_single = obj.best(results, lambda r: r.oof_score).oof_score
    for mode in ("auto", "greedy"):
        sel = choose_ensemble(results, y, obj, mode, seed=seed, decide=False)
        assert not obj.better(best_single, sel.score), (mode, sel.how)
        assert sum(sel.weights) == pytest.approx(1.0) and len(sel.weights) == len(sel.members)


def test_the_stacker_is_chosen_only_when_it_beats_the_greedy_ensemble():
    # the greedy mean is the best blend there is: the stacker's honest score cannot beat it
    y, results = halves()
    sel = choose_ensemble(results, y, RMSE, "auto", seed=0)
    _stacker, stacked = fit_stacker([r.oof for r in results], y, RMSE, seed=0)
    assert RMSE.better(sel.score, stacked)
    assert sel.how == "greedy ensemble of 2" and sel.stacker is None
    assert choose_ensemble(results, y, RMSE, "stacking", seed=0).how == "stacking of 3"  # asked for: given
    # a predictor off by a constant and one scaled down: a mean cannot undo either, the linear stacker can
    rng = np.random.default_rng(1)
    y2 = rng.normal(size=3000)
    shifted = [rcand("s0", y2, 3.0 + y2 + rng.normal(scale=0.3, size=3000)),
               rcand("s1", y2, 0.2 * y2 + rng.normal(scale=0.1, size=3000))]
    sel2 = choose_ensemble(shifted, y2, RMSE, "auto", seed=0)
    assert sel2.how == "stacking of 2" and sel2.stacker is not None
    assert RMSE.better(sel2.score, choose_ensemble(shifted, y2, RMSE, "greedy", seed=0).score)


def test_a_label_metric_selection_carries_its_decision_rule_and_both_scores():
    # imbalanced: 15% positives, probabilities that rank well but are shrunk towards 0.5
    rng = np.random.default_rng(0)
    n = 4000
    y = (rng.random(n) < 0.15).astype(int)
    logit = 1.6 * (2 * y - 1) + rng.normal(size=n)
    p = 0.5 + 0.25 * np.tanh(logit / 2)  # mostly in 0.3..0.7: argmax over-calls the positives
    obj = Objective("f1_macro", True, classes=["no", "yes"], positive_label="yes")
    oof = probs(p)
    s = obj.evaluate(y, oof)
    results = [CandidateResult("traditional", "m", [], oof, oof[:3], None, s, s)]
    sel = choose_ensemble(results, y, obj, "auto", seed=0)
    assert sel.rule is not None and sel.rule.kind == "threshold"
    assert sel.score_argmax == pytest.approx(s) and obj.better(sel.score, sel.score_argmax)
    plain = choose_ensemble(results, y, obj, "auto", seed=0, decide=False)
    assert plain.rule is None and plain.score == plain.score_argmax == pytest.approx(s)
    assert choose_ensemble(results, y, LOGLOSS, "auto", seed=0).rule is None  # probabilities are scored as they are


@pytest.mark.parametrize("mode", ["best", "greedy", "stacking"])
def test_the_selection_carries_the_out_of_fold_predictions_its_score_is_of(mode):
    """The report's confusion matrix, ROC and calibration are drawn from these: they must be the
    predictions the selection's CV score was computed on (the stacker's cross-fitted ones)."""
    results = [cand("wrong", LOGLOSS, WRONG), cand("a", LOGLOSS, A), cand("b", LOGLOSS, B)]
    sel = choose_ensemble(results, Y, LOGLOSS, mode, seed=0)
    assert sel.oof is not None and sel.oof.shape == A.shape
    assert LOGLOSS.evaluate(Y, sel.oof) == pytest.approx(sel.score)
