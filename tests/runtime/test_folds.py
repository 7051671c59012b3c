"""Rows for validation: the holdout, the CV folds, the verification sample."""

from __future__ import annotations

import numpy as np
import pytest

from iml.runtime.folds import make_folds, sample_rows, split_holdout


def labels(*counts: int) -> np.ndarray:
    """Class indices, class c repeated counts[c] times, shuffled."""
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return np.random.default_rng(1).permutation(y)


def assert_partition(parts, n):
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(n))


# ---------------------------------------------------------------- holdout
def test_holdout_is_stratified_sorted_and_a_partition():
    y = labels(80, 20)
    dev, hold = split_holdout(y, 0.25, seed=0, classification=True)
    assert_partition([dev, hold], len(y))
    assert np.all(np.diff(dev) > 0) and np.all(np.diff(hold) > 0)
    assert len(hold) == 25
    assert np.bincount(y[hold]).tolist() == [20, 5]  # the class balance of the whole


def test_holdout_same_seed_same_rows():
    y = labels(50, 50)
    a = split_holdout(y, 0.2, 3, True)
    b = split_holdout(y, 0.2, 3, True)
    c = split_holdout(y, 0.2, 4, True)
    assert all(np.array_equal(x, z) for x, z in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_no_holdout_when_fraction_is_zero():
    y = labels(5, 5)
    dev, hold = split_holdout(y, 0.0, 0, True)
    assert dev.tolist() == list(range(10)) and len(hold) == 0


def test_holdout_with_a_singleton_class_is_not_stratified_but_works():
    y = labels(30, 9, 1)
    dev, hold = split_holdout(y, 0.2, 0, True)
    assert_partition([dev, hold], len(y))
    assert len(hold) == 8


def test_holdout_stratifies_when_a_contract_class_is_absent():
    # classes 0 and 2 are present, class 1 of the contract has no rows: still stratified on the present ones
    y = np.where(labels(60, 40) == 1, 2, 0)
    dev, hold = split_holdout(y, 0.25, 0, True)
    assert np.bincount(y[hold]).tolist() == [15, 0, 10]


def test_holdout_smaller_than_the_number_of_classes_still_splits():
    y = labels(*[5] * 10)  # 10 classes of 5 rows; a 10% holdout has 5 rows, fewer than the classes
    dev, hold = split_holdout(y, 0.1, 0, True)
    assert_partition([dev, hold], len(y))
    assert len(hold) == 5


def test_regression_holdout():
    y = np.linspace(0, 1, 40)
    dev, hold = split_holdout(y, 0.25, 0, classification=False)
    assert_partition([dev, hold], 40)
    assert len(hold) == 10


# ---------------------------------------------------------------- folds
def test_folds_stratified_when_every_class_allows_it():
    y = labels(40, 10)
    folds = make_folds(y, 5, 0, stratified=True)
    assert len(folds) == 5
    assert_partition([v for _, v in folds], len(y))
    for train, valid in folds:
        assert np.bincount(y[valid]).tolist() == [8, 2]
        assert set(train).isdisjoint(valid) and len(train) + len(valid) == len(y)


def test_folds_ignore_an_absent_contract_class():
    y = np.where(labels(40, 10) == 1, 2, 0)  # class 1 has no rows
    for _, valid in make_folds(y, 5, 0, stratified=True):
        assert np.bincount(y[valid], minlength=3).tolist() == [8, 0, 2]


def test_folds_fall_back_to_kfold_when_a_class_is_too_small():
    y = labels(46, 4)  # 4 rows of class 1 cannot fill 5 folds
    folds = make_folds(y, 5, 0, stratified=True)
    assert len(folds) == 5
    assert_partition([v for _, v in folds], len(y))
    assert [len(v) for _, v in folds] == [10] * 5
    # what plain shuffled KFold gives, not a stratified split
    from sklearn.model_selection import KFold

    expected = list(KFold(5, shuffle=True, random_state=0).split(np.zeros(len(y))))
    assert all(np.array_equal(v, e) for (_, v), (_, e) in zip(folds, expected))


def test_unstratified_folds_when_not_asked():
    y = np.linspace(0, 1, 23)
    folds = make_folds(y, 4, 0, stratified=False)
    assert len(folds) == 4
    assert_partition([v for _, v in folds], 23)


# ---------------------------------------------------------------- sample
def test_sample_keeps_every_class_within_n():
    y = labels(500, 30, 3, 1)
    rows = sample_rows(y, 40, 0, classification=True)
    assert len(rows) == 40 and len(set(rows.tolist())) == 40
    assert np.all(np.diff(rows) > 0)
    counts = np.bincount(y[rows], minlength=4)
    assert counts[1] >= 4 and counts[2] == 3 and counts[3] == 1


@pytest.mark.parametrize("n", [10, 12, 25])
def test_sample_with_many_classes_stays_within_n(n):
    y = labels(*[10] * 10)  # 10 classes: four rows of each would be 40 rows
    rows = sample_rows(y, n, 0, classification=True)
    assert len(rows) <= n and len(set(rows.tolist())) == len(rows)
    assert set(y[rows].tolist()) == set(range(10))


def test_sample_of_small_data_is_all_rows():
    y = labels(3, 2)
    assert sample_rows(y, 5, 0, True).tolist() == [0, 1, 2, 3, 4]
    assert sample_rows(y, 100, 0, True).tolist() == [0, 1, 2, 3, 4]


def test_regression_sample():
    y = np.linspace(0, 1, 100)
    rows = sample_rows(y, 30, 0, classification=False)
    assert len(rows) == 30 and len(set(rows.tolist())) == 30 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, sample_rows(y, 30, 0, classification=False))
