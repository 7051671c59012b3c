"""Selection by out-of-fold scores: the best single, an average, a stacker; combining members."""

from __future__ import annotations

import numpy as np
import pytest

from iml.runtime.objective import Objective
from iml.runtime.selection import CandidateResult, choose_ensemble, combine, stack_features

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
def test_auto_averages_when_the_average_scores_better(objective):
    results = [cand("wrong", objective, WRONG), cand("a", objective, A), cand("b", objective, B)]
    sel = choose_ensemble(results, Y, objective, "auto", seed=0)
    assert sel.how == "average of 2"
    assert [m.learner for m in sel.members] == ["a", "b"]  # ranked best first; the wrong one left out
    assert sel.score == pytest.approx(objective.evaluate(Y, (A + B) / 2))


@pytest.mark.parametrize("objective", [AUC, LOGLOSS], ids=["auc", "logloss"])
def test_auto_keeps_the_best_single_when_averaging_hurts(objective):
    results = [cand("wrong", objective, WRONG), cand("a", objective, A)]
    sel = choose_ensemble(results, Y, objective, "auto", seed=0)
    assert sel.how == "best" and [m.learner for m in sel.members] == ["a"]
    assert sel.score == results[1].oof_score


def test_average_mode_averages_even_when_it_hurts():
    results = [cand("wrong", LOGLOSS, WRONG), cand("a", LOGLOSS, A)]
    sel = choose_ensemble(results, Y, LOGLOSS, "average", seed=0)
    assert sel.how == "average of 2" and [m.learner for m in sel.members] == ["a", "wrong"]
    assert sel.score == pytest.approx(LOGLOSS.evaluate(Y, (A + WRONG) / 2))


@pytest.mark.parametrize("mode", ["auto", "average"])
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
    out = combine([m.oof for m in sel.members], sel.stacker, classification=True)
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
    assert sel.how == "average of 2" and sel.score == pytest.approx(0.0, abs=1e-12)
    assert choose_ensemble([off, over], y, obj, "auto", seed=0).members[0].learner == "over"
    stacked = choose_ensemble([over, off], y, obj, "stacking", seed=0)
    assert stacked.how == "stacking of 2" and obj.better(stacked.score, off.oof_score)
    pred = combine([over.oof, off.oof], stacked.stacker, classification=False)
    assert pred.shape == (120,)


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError):
        choose_ensemble([], Y, AUC, "auto", seed=0)


def test_combine_without_a_stacker_is_the_mean():
    parts = [np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([[0.4, 0.6], [0.8, 0.2]])]
    np.testing.assert_allclose(combine(parts, None, True), [[0.3, 0.7], [0.7, 0.3]])
    np.testing.assert_allclose(combine([np.array([1.0, 2.0]), np.array([3.0, 6.0])], None, False), [2.0, 4.0])


def test_combine_with_a_stacker_feeds_it_the_stack_features():
    class Echo:
        def predict_proba(self, features):
            return features

        def predict(self, features):
            return features.sum(axis=1)

    parts = [np.array([[0.5, 0.5], [0.2, 0.8]]), np.array([[1.0, 0.0], [0.9, 0.1]])]
    feats = combine(parts, Echo(), True)
    assert feats.shape == (2, 4)
    np.testing.assert_allclose(feats[0, :2], [0.0, 0.0])  # log-odds of 0.5
    np.testing.assert_allclose(feats[1, 1], np.log(0.8 / 0.2))
    assert np.isfinite(feats).all()  # 0 and 1 are clipped before the log-odds
    np.testing.assert_allclose(feats, stack_features(parts, True))
    reg = combine([np.array([1.0, 2.0]), np.array([10.0, 20.0])], Echo(), False)
    np.testing.assert_allclose(reg, [11.0, 22.0])
