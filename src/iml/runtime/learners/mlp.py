"""The neural learner: a PyTorch MLP with category embeddings and an optional CNN over a grid.

It reads the 'nn' feature set's column conventions: ``<col>__code`` columns are integer category
codes (embedded), ``<col>__px<i>`` columns a square pixel grid and ``<col>__mel<m>_<t>`` columns
a log-mel spectrogram (both through a small CNN), everything else dense floats (standardised).
Early stopping keeps the epoch with the best validation loss (training loss without a validation
set); seeds are fixed; CUDA is used when present. This module needs torch; the registry imports
it only when an MLP is asked for.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import torch
from torch import nn

from .base import Learner, as_matrix, threads_for
from .torch_training import BestEpoch, balanced_class_weights

MAX_EPOCHS = 300  # params "max_epochs" and "patience" change these two
PATIENCE = 12
_GRID = re.compile(r"^(.*)__(px\d+|mel\d+_\d+)$")


def grid_layout(columns: list[str]) -> tuple[list[int], tuple[int, int]] | None:
    """Indices of the grid columns and the grid's (height, width), or None when there is no grid."""
    grid = [i for i, c in enumerate(columns) if _GRID.match(c)]
    if not grid:
        return None
    names = [columns[i] for i in grid]
    if "__mel" in names[0]:
        mels = {int(re.search(r"__mel(\d+)_", n).group(1)) for n in names}
        height = len(mels)
    else:
        height = int(math.isqrt(len(grid)))
    width = len(grid) // max(1, height)
    return grid[: height * width], (height, width)


class Net(nn.Module):
    """Dense MLP branch (+ category embeddings) and an optional CNN branch over a grid, joined by a linear head."""

    def __init__(self, n_dense: int, categories: list[int], grid_shape, n_out: int, hidden: int, dropout: float):
        super().__init__()
        self.embeddings = nn.ModuleList([nn.Embedding(n, min(16, (n + 1) // 2)) for n in categories])
        width = n_dense + sum(e.embedding_dim for e in self.embeddings)
        self.dense = nn.Sequential(nn.Linear(max(1, width), hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                   nn.Dropout(dropout), nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Dropout(dropout))
        out_width = hidden // 2
        self.grid_shape = grid_shape
        if grid_shape is not None:
            self.cnn = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                nn.Flatten(), nn.Dropout(dropout), nn.Linear(256, 128), nn.ReLU())
            out_width += 128
        self.head = nn.Linear(out_width, n_out)

    def forward(self, dense, codes, grid):
        parts = [dense] + [emb(codes[:, j]) for j, emb in enumerate(self.embeddings)]
        features = [self.dense(torch.cat(parts, dim=1))]
        if self.grid_shape is not None:
            features.append(self.cnn(grid.view(-1, 1, *self.grid_shape)))
        return self.head(torch.cat(features, dim=1))


class MLPLearner(Learner):
    """The network above, trained with AdamW and a plateau learning-rate schedule.

    ``params``: lr, hidden, dropout, weight_decay (tuned), max_epochs, patience (fixed).
    """

    name = "mlp"
    rounds_param = "max_epochs"

    # -- input layout ------------------------------------------------------------------
    def _layout(self, X) -> None:
        columns = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
        layout = grid_layout(columns)
        self.grid_idx_, self.grid_shape_ = (layout if layout else ([], None))
        self.code_idx_ = [i for i, c in enumerate(columns) if c.endswith("__code")]
        taken = set(self.grid_idx_) | set(self.code_idx_)
        self.dense_idx_ = [i for i in range(len(columns)) if i not in taken]
        values = as_matrix(X)
        self.categories_ = [int(values[:, i].max()) + 3 for i in self.code_idx_]
        dense = values[:, self.dense_idx_]
        self.mean_ = dense.mean(axis=0)
        self.std_ = dense.std(axis=0) + 1e-6

    def _split(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = as_matrix(X)
        dense = np.clip((values[:, self.dense_idx_] - self.mean_) / self.std_, -6, 6)
        codes = np.zeros((len(values), len(self.code_idx_)), dtype=np.int64)
        for j, i in enumerate(self.code_idx_):
            codes[:, j] = np.clip(values[:, i].astype(np.int64) + 1, 0, self.categories_[j] - 1)
        grid = values[:, self.grid_idx_] if self.grid_idx_ else np.zeros((len(values), 0), dtype=np.float32)
        return dense.astype(np.float32), codes, grid.astype(np.float32)

    # -- fit ---------------------------------------------------------------------------
    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        # One thread on small data, as for boosting: on a busy machine two spin-waiting threads made an
        # epoch 10-50x slower than one; large data gets up to four.
        self.n_jobs_ = self.n_jobs or min(4, threads_for(as_matrix(X)))
        torch.set_num_threads(self.n_jobs_)
        self.device_ = "cuda" if torch.cuda.is_available() else "cpu"
        max_epochs, patience = int(params.get("max_epochs", MAX_EPOCHS)), int(params.get("patience", PATIENCE))
        self._layout(X)
        regression = self.task == "regression"
        if regression:
            self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-9)
        net = Net(len(self.dense_idx_), self.categories_, self.grid_shape_, 1 if regression else self.n_classes,
                  int(params["hidden"]), float(params["dropout"])).to(self.device_)
        self.model_ = net
        loss_fn = nn.MSELoss() if regression else nn.CrossEntropyLoss(
            weight=balanced_class_weights(y, self.n_classes, self.class_weight, self.device_))
        optimizer = torch.optim.AdamW(net.parameters(), lr=float(params["lr"]),
                                      weight_decay=float(params["weight_decay"]))
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=patience // 3)
        train = self._tensors(X, y)
        monitor = train if valid is None else self._tensors(*valid)
        batch = int(min(512, max(32, len(y) // 20)))
        best, epochs = BestEpoch(patience, 1e-4), 0
        generator = torch.Generator().manual_seed(self.seed)
        for epochs in range(1, max_epochs + 1):
            net.train()
            order = torch.randperm(len(y), generator=generator)
            for start in range(0, len(y), batch):
                idx = order[start:start + batch]
                if len(idx) < 2:  # BatchNorm cannot train on one row
                    continue
                optimizer.zero_grad()
                loss = loss_fn(self._forward(train[:3], idx), train[3][idx])
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                net.eval()
                current = float(loss_fn(self._forward(monitor[:3]), monitor[3]))
            scheduler.step(current)
            if best.update(net, current, epochs) or self._out_of_time():
                break
        best.restore(net)
        net.eval()
        self.n_iterations_ = epochs
        if valid is not None:
            self.best_iterations_ = max(1, best.epoch)

    def _tensors(self, X, y: np.ndarray):
        dense, codes, grid = self._split(X)
        regression = self.task == "regression"
        target = (y - self.y_mean_) / self.y_std_ if regression else y
        dtype = torch.float32 if regression else torch.long
        return (torch.tensor(dense, device=self.device_), torch.tensor(codes, device=self.device_),
                torch.tensor(grid, device=self.device_), torch.tensor(target, dtype=dtype, device=self.device_))

    def _forward(self, tensors, idx=None):
        dense, codes, grid = tensors
        if idx is not None:
            dense, codes, grid = dense[idx], codes[idx], grid[idx]
        out = self.model_(dense, codes, grid)
        return out.squeeze(1) if self.task == "regression" else out

    # -- predict -----------------------------------------------------------------------
    def _outputs(self, X) -> np.ndarray:
        dense, codes, grid = self._split(X)
        chunks = []
        with torch.no_grad():
            for start in range(0, len(dense), 2048):
                part = slice(start, start + 2048)
                tensors = tuple(torch.tensor(a[part], device=self.device_) for a in (dense, codes, grid))
                chunks.append(self._forward(tensors).cpu().numpy())
        width = () if self.task == "regression" else (self.n_classes,)
        return np.concatenate(chunks) if chunks else np.zeros((0, *width), dtype=np.float32)

    def _proba(self, X):
        logits = self._outputs(X).astype(float)
        logits = logits - logits.max(axis=1, keepdims=True) if len(logits) else logits
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True), None

    def _values(self, X):
        return self._outputs(X).astype(float) * self.y_std_ + self.y_mean_
