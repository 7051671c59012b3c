"""What the PyTorch learners (mlp.py, tabm.py) train alike: balanced class weights for the loss and the
best epoch kept by a monitored loss with patience. Imported only by them: it needs torch."""

from __future__ import annotations

import math

import numpy as np
import torch


def balanced_class_weights(y: np.ndarray, n_classes: int, class_weight: str | None, device) -> torch.Tensor | None:
    """Balanced class weights for the loss, when asked for (a class absent from the fit counts as one row)."""
    if class_weight != "balanced":
        return None
    counts = np.bincount(y, minlength=n_classes).astype(float)
    return torch.tensor(len(y) / (n_classes * np.maximum(counts, 1)), dtype=torch.float32, device=device)


class BestEpoch:
    """The epoch whose monitored loss was lowest (by more than ``min_delta``), its weights kept, and
    whether ``patience`` epochs have passed without one better."""

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = patience, min_delta
        self.loss, self.epoch, self.waited, self.state = math.inf, 0, 0, None

    def update(self, net: torch.nn.Module, loss: float, epoch: int) -> bool:
        """Record an epoch's loss; True when training should stop for want of progress."""
        if loss < self.loss - self.min_delta:
            self.loss, self.epoch, self.waited = loss, epoch, 0
            self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            self.waited += 1
        return self.waited >= self.patience

    def restore(self, net: torch.nn.Module) -> None:
        """Load the best epoch's weights (none kept: the net stays as it is)."""
        if self.state is not None:
            net.load_state_dict(self.state)
