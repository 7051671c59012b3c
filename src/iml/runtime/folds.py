"""Rows for validation: the locked holdout, the cross-validation folds, the verification sample."""

from __future__ import annotations

import numpy as np


def split_holdout(y: np.ndarray, fraction: float, seed: int, classification: bool) -> tuple[np.ndarray, np.ndarray]:
    """(development rows, holdout rows), sorted; stratified when every present class has two rows or more
    and both parts have room for a row of every class (else train_test_split refuses to stratify)."""
    idx = np.arange(len(y))
    if fraction <= 0:
        return idx, idx[:0]
    from sklearn.model_selection import train_test_split

    strat = None
    if classification:
        counts = np.bincount(y)
        present = counts[counts > 0]
        n_hold = int(np.ceil(fraction * len(y)))
        if present.min() >= 2 and min(n_hold, len(y) - n_hold) >= len(present):
            strat = y
    dev, hold = train_test_split(idx, test_size=fraction, random_state=seed, stratify=strat)
    return np.sort(dev), np.sort(hold)


def make_folds(y: np.ndarray, n_folds: int, seed: int, stratified: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) per fold; stratified when asked and every present class fills every fold."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if stratified:
        counts = np.bincount(y)
        if counts[counts > 0].min() >= n_folds:
            return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return list(KFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y))))


def sample_rows(y: np.ndarray, n: int, seed: int, classification: bool) -> np.ndarray:
    """A row sample for the verification run that keeps up to four rows of every class, at most ``n`` rows
    (unless there are more classes than ``n``: every class keeps one row)."""
    rng = np.random.default_rng(seed)
    if len(y) <= n:
        return np.arange(len(y))
    if not classification:
        return np.sort(rng.choice(len(y), n, replace=False))
    classes = np.unique(y)
    quota = max(1, min(4, n // len(classes)))
    picked = [rng.choice(np.flatnonzero(y == c), min(quota, int((y == c).sum())), replace=False) for c in classes]
    rest = np.setdiff1d(np.arange(len(y)), np.concatenate(picked))
    fill = rng.choice(rest, max(0, min(len(rest), n - sum(len(p) for p in picked))), replace=False)
    return np.sort(np.concatenate(picked + [fill]))


def inner_split(train_idx: np.ndarray, y: np.ndarray, fraction: float, seed: int,
                classification: bool) -> tuple[np.ndarray, np.ndarray]:
    """(rows to fit, rows to stop early on), both inside a fold's training rows: early stopping must
    never watch the rows that then score the model. Stratified when every class present can spare a row."""
    from sklearn.model_selection import train_test_split

    n_stop = max(1, int(round(fraction * len(train_idx))))
    if len(train_idx) < 4:
        return train_idx, train_idx[:0]
    strat = None
    if classification:
        labels = y[train_idx]
        counts = np.bincount(labels)
        present = counts[counts > 0]
        if present.min() >= 2 and min(n_stop, len(train_idx) - n_stop) >= len(present):
            strat = labels
    fit, stop = train_test_split(train_idx, test_size=n_stop, random_state=seed, stratify=strat)
    return np.sort(fit), np.sort(stop)
