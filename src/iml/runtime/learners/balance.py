"""Balanced class weights for learners whose fit cannot use them: a rescaling of the probabilities.

Fully grown trees and k-NN give every training row back almost exactly, so row weights barely move
what they predict. Scaling each class's probability by its balanced weight (n / (classes * count))
shifts the decision towards rare classes as weighting a calibrated model would; the base class
renormalises the rows afterwards.
"""

from __future__ import annotations

import numpy as np


def class_scale(weight: np.ndarray | None, y: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
    """Per-class probability factors in ``classes``' order from the learner's balanced row weights
    (base.Learner._sample_weight), or None when it has none."""
    if weight is None:
        return None
    return np.array([weight[y == c][0] for c in classes], dtype=float)


def rescaled(proba: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    return proba if scale is None else proba * scale
