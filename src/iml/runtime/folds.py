"""Rows for validation: the locked holdout, the cross-validation folds, the verification sample."""

from __future__ import annotations

import numpy as np


def split_holdout(y: np.ndarray, fraction: float, seed: int, classification: bool) -> tuple[np.ndarray, np.ndarray]:
    """(development rows, holdout rows), sorted; stratified when every class has two rows or more."""
    idx = np.arange(len(y))
    if fraction <= 0:
        return idx, idx[:0]
    from sklearn.model_selection import train_test_split

    strat = y if classification and np.bincount(y).min() >= 2 else None
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
    """A row sample for the verification run that keeps up to four rows of every class."""
    rng = np.random.default_rng(seed)
    if len(y) <= n:
        return np.arange(len(y))
    if not classification:
        return np.sort(rng.choice(len(y), n, replace=False))
    picked = [rng.choice(np.flatnonzero(y == c), min(4, int((y == c).sum())), replace=False) for c in np.unique(y)]
    rest = np.setdiff1d(np.arange(len(y)), np.concatenate(picked))
    fill = rng.choice(rest, max(0, min(len(rest), n - sum(len(p) for p in picked))), replace=False)
    return np.sort(np.concatenate(picked + [fill]))
