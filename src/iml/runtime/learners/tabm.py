"""The tabular network: TabM (Gorishniy et al., ICLR 2025), k MLPs in one, trained together.

TabM is a parameter-efficient ensemble of MLPs (BatchEnsemble-style weight sharing) that is, on
the benchmarks of its paper, the strongest tabular network and on a par with gradient boosting.
The recipe is the paper's: quantile-normalised numeric features, optional piecewise-linear
embeddings of them, k=32 heads trained on the same batches with the mean of their losses, AdamW,
early stopping on the ensemble's validation loss (the mean of the heads' probabilities or values).

It reads the 'nn' feature set: ``<col>__code`` columns (category codes, unseen = -1) and columns
with two values (one-hot levels, indicators) are one-hot categories; every other column is a
number. Image and audio grids are numbers here too: media tasks go to "mlp" and its CNN.
This module needs torch and the ``tabm`` package; the registry imports it only when TabM is asked for.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from .base import Learner, as_matrix, threads_for
from .torch_training import BestEpoch, balanced_class_weights

MAX_EPOCHS = 200  # params "max_epochs" and "patience" change these two
PATIENCE = 16
MAX_LEVELS = 256  # codes are ranked by frequency: the rarer ones share the last level
N_BINS = 48  # piecewise-linear embeddings: quantile bins per numeric feature
# The paper's size on a GPU; a CPU gets a quarter of the heads and of the width (1/16 of the cost), which
# on a 20 s fit of a 10k-row table trains enough epochs to win (RMSE 0.101 vs 0.141 at k=16, d=256).
GPU_SIZE, CPU_SIZE = {"k": 32, "d_block": 512}, {"k": 8, "d_block": 128}
HOLDOUT = 0.1  # without a validation set, this share of the rows decides the best epoch


def batch_size(n_rows: int) -> int:
    """The paper's batch sizes grow with the data, 256 up to 1024; a table of a few hundred rows gets
    smaller batches, so that an epoch still takes some 16 steps."""
    if n_rows < 10_000:
        return int(min(256, max(32, 2 ** round(math.log2(max(1, n_rows // 16))))))
    return 512 if n_rows < 50_000 else 1024


class TabMLearner(Learner):
    """TabM with AdamW; the epoch with the best validation loss is kept.

    ``params``: lr, weight_decay, n_blocks, dropout (tuned), k and d_block (by default GPU_SIZE or
    CPU_SIZE), embeddings ("ple" or "none"), d_embedding, max_epochs, patience, batch_size (fixed).
    """

    name = "tabm"
    rounds_param = "max_epochs"

    # -- input layout ------------------------------------------------------------------
    def _layout(self, X) -> None:
        """Which columns are categories (codes, two-valued) and which numbers; the numbers' quantile map."""
        from sklearn.preprocessing import QuantileTransformer

        columns = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
        values = as_matrix(X)
        self.code_idx_, self.binary_idx_, self.num_idx_ = [], [], []
        self.categories_, self.binary_high_ = [], []
        for i, c in enumerate(columns):
            column = values[:, i]
            if c.endswith("__code"):
                self.code_idx_.append(i)
                self.categories_.append(int(min(MAX_LEVELS, max(0.0, column.max()) + 2)))
                continue
            distinct = np.unique(column)
            if len(distinct) < 2:
                continue  # constant: carries nothing
            if len(distinct) == 2:
                self.binary_idx_.append(i)
                self.binary_high_.append(float(distinct[1]))
            else:
                self.num_idx_.append(i)
        self.quantiles_ = None
        if self.num_idx_:
            numbers = values[:, self.num_idx_].astype(np.float64)
            # The paper's trick: a little noise so ties (counts, rounded values) spread over the quantiles.
            noise = np.random.default_rng(self.seed).normal(0.0, 1e-5, numbers.shape) * numbers.std(axis=0)
            self.quantiles_ = QuantileTransformer(
                n_quantiles=max(min(len(numbers) // 30, 1000), 10), output_distribution="normal",
                subsample=10**9, random_state=self.seed).fit(numbers + noise)

    def _split(self, X) -> tuple[np.ndarray, np.ndarray]:
        """The normalised numbers (float32) and the category indices (int64) of a frame or matrix."""
        values = as_matrix(X)
        if self.quantiles_ is not None:
            numbers = self.quantiles_.transform(values[:, self.num_idx_].astype(np.float64)).astype(np.float32)
        else:
            numbers = np.zeros((len(values), 0), dtype=np.float32)
        cats = np.zeros((len(values), len(self.code_idx_) + len(self.binary_idx_)), dtype=np.int64)
        for j, i in enumerate(self.code_idx_):
            cats[:, j] = np.clip(np.nan_to_num(values[:, i], nan=-1.0).astype(np.int64) + 1, 0,
                                 self.categories_[j] - 1)
        for j, (i, high) in enumerate(zip(self.binary_idx_, self.binary_high_)):
            cats[:, len(self.code_idx_) + j] = values[:, i] == high
        return numbers, cats

    # -- fit ---------------------------------------------------------------------------
    def _fit(self, params: dict[str, Any], X, y: np.ndarray, valid: tuple | None) -> None:
        import tabm

        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        self.n_jobs_ = self.n_jobs or min(4, threads_for(as_matrix(X)))
        torch.set_num_threads(self.n_jobs_)
        self.device_ = "cuda" if torch.cuda.is_available() else "cpu"
        max_epochs, patience = int(params.get("max_epochs", MAX_EPOCHS)), int(params.get("patience", PATIENCE))
        validated = valid is not None
        if valid is None and len(y) >= 200:  # hold a few rows out: the training loss only ever falls
            order = np.random.default_rng(self.seed).permutation(len(y))
            cut = int(len(y) * HOLDOUT)
            rows = X.iloc if hasattr(X, "iloc") else X
            valid, X, y = (rows[order[:cut]], y[order[:cut]]), rows[order[cut:]], y[order[cut:]]
        self._layout(X)
        regression = self.task == "regression"
        if regression:
            self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-9)
        train = self._tensors(X, y)
        monitor = train if valid is None else self._tensors(*valid)
        n_num = len(self.num_idx_)
        embeddings = None
        if n_num and params.get("embeddings", "ple") == "ple" and len(y) > 2:
            import rtdl_num_embeddings

            bins = rtdl_num_embeddings.compute_bins(train[0].cpu(), n_bins=min(N_BINS, len(y) - 1))
            embeddings = rtdl_num_embeddings.PiecewiseLinearEmbeddings(
                bins, int(params.get("d_embedding", 16)), activation=False, version="B")
        size = GPU_SIZE if self.device_ == "cuda" else CPU_SIZE
        cardinalities = self.categories_ + [2] * len(self.binary_idx_)
        if not n_num and not cardinalities:  # nothing varies: one constant input, so the net learns the prior
            cardinalities = [1]
        self.n_inputs_ = (n_num, len(cardinalities))
        net = tabm.TabM.make(n_num_features=n_num, cat_cardinalities=cardinalities or None,
                             d_out=1 if regression else self.n_classes, num_embeddings=embeddings,
                             k=int(params.get("k") or size["k"]),
                             d_block=int(params.get("d_block") or size["d_block"]),
                             n_blocks=int(params["n_blocks"]), dropout=float(params["dropout"])).to(self.device_)
        self.model_ = net
        self.loss_weights_ = None if regression else balanced_class_weights(y, self.n_classes, self.class_weight,
                                                                                  self.device_)
        loss_fn = nn.MSELoss() if regression else nn.CrossEntropyLoss(weight=self.loss_weights_)
        optimizer = torch.optim.AdamW(net.parameters(), lr=float(params["lr"]),
                                      weight_decay=float(params["weight_decay"]))
        batch = int(params.get("batch_size") or batch_size(len(y)))
        best, epochs = BestEpoch(patience, 1e-5), 0
        generator = torch.Generator().manual_seed(self.seed)
        for epochs in range(1, max_epochs + 1):
            net.train()
            order = torch.randperm(len(y), generator=generator)
            for start in range(0, len(y), batch):
                if start and self._out_of_time():  # a large table's epoch can outlast the limit
                    break
                idx = order[start:start + batch].to(self.device_)
                out = self._forward(train[:2], idx)  # (batch, k, d_out): every head sees the same rows
                target = train[2][idx]
                optimizer.zero_grad()
                if regression:
                    loss = loss_fn(out.squeeze(-1), target[:, None].expand(-1, out.shape[1]))
                else:
                    loss = loss_fn(out.flatten(0, 1), target.repeat_interleave(out.shape[1]))
                loss.backward()
                optimizer.step()
            if best.update(net, self._monitor_loss(monitor), epochs) or self._out_of_time():
                break
        best.restore(net)
        net.eval()
        self.best_loss_ = best.loss
        self.n_iterations_ = epochs
        if validated:
            self.best_iterations_ = max(1, best.epoch)

    def _monitor_loss(self, tensors) -> float:
        """The ensemble's loss: mean squared error of the heads' mean, or log loss of their mean probability."""
        out = self._ensemble(tensors[:2])
        target = tensors[2]
        if self.task == "regression":
            return float(((out - target) ** 2).mean())
        picked = out.gather(1, target[:, None]).clamp_min(1e-12).log().squeeze(1)
        if self.loss_weights_ is not None:  # the training rows' balance, as in the training loss
            weights = self.loss_weights_[target]
            return float(-(weights * picked).sum() / weights.sum())
        return float(-picked.mean())

    def _tensors(self, X, y: np.ndarray):
        numbers, cats = self._split(X)
        regression = self.task == "regression"
        target = (y - self.y_mean_) / self.y_std_ if regression else y
        dtype = torch.float32 if regression else torch.long
        return (torch.tensor(numbers, device=self.device_), torch.tensor(cats, device=self.device_),
                torch.tensor(target, dtype=dtype, device=self.device_))

    def _forward(self, tensors, idx=None):
        numbers, cats = tensors
        if idx is not None:
            numbers, cats = numbers[idx], cats[idx]
        if not self.num_idx_ and not self.categories_ and not self.binary_idx_:
            cats = torch.zeros((len(numbers), 1), dtype=torch.long, device=numbers.device)
        return self.model_(numbers if self.n_inputs_[0] else None, cats if self.n_inputs_[1] else None)

    def _ensemble(self, tensors) -> torch.Tensor:
        """The k heads' mean, in eval mode and in chunks: probabilities (n, classes) or standardised values (n,)."""
        self.model_.eval()
        chunks = []
        with torch.no_grad():
            for start in range(0, len(tensors[0]), 4096):
                out = self._forward(tuple(t[start:start + 4096] for t in tensors))
                if self.task == "regression":
                    chunks.append(out.squeeze(-1).mean(dim=1))
                else:
                    chunks.append(torch.softmax(out.float(), dim=-1).mean(dim=1))
        if chunks:
            return torch.cat(chunks)
        width = (0,) if self.task == "regression" else (0, self.n_classes)
        return torch.zeros(width, device=self.device_)

    # -- predict -----------------------------------------------------------------------
    def _outputs(self, X) -> np.ndarray:
        numbers, cats = self._split(X)
        tensors = (torch.tensor(numbers, device=self.device_), torch.tensor(cats, device=self.device_))
        return self._ensemble(tensors).cpu().numpy().astype(float)

    def _proba(self, X):
        return self._outputs(X), None

    def _values(self, X):
        return self._outputs(X) * self.y_std_ + self.y_mean_
