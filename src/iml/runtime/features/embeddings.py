"""Each modality through a pretrained encoder: its pooled embedding as ``<col>__emb<j>`` columns.

Encoders are loaded once per process (loading costs seconds, every fold and the test set reuse it),
from a local folder or the hub cache only, never downloaded mid-run, on CUDA when present.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .audio import read_wave
from .base import Columns, PerColumnExtractor
from .unreadable import log_unreadable

_ENCODERS: dict = {}  # location -> loaded encoder, for this process


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def sentence_encoder(location: str):
    """The sentence-transformers model at ``location``."""
    if location not in _ENCODERS:
        from sentence_transformers import SentenceTransformer

        _ENCODERS[location] = SentenceTransformer(location, device=_device())
    return _ENCODERS[location]


def transformers_encoder(location: str, processor_class: str):
    """(processor, model, device) of a transformers checkpoint; ``processor_class`` names its preprocessor."""
    if location not in _ENCODERS:
        import transformers

        transformers.logging.set_verbosity_error()  # e.g. the PIL-backend notice when torchvision is absent
        device = _device()
        processor = getattr(transformers, processor_class).from_pretrained(location, local_files_only=True)
        model = transformers.AutoModel.from_pretrained(location, local_files_only=True).to(device).eval()
        _ENCODERS[location] = (processor, model, device)
    return _ENCODERS[location]


def pooled(outputs, mask=None) -> np.ndarray:
    """The encoder's pooled output where it has one (CLS-based), else the mean over its tokens or frames."""
    vectors = getattr(outputs, "pooler_output", None)
    if vectors is None:
        hidden = outputs.last_hidden_state
        if mask is not None and mask.shape[1] == hidden.shape[1]:
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            vectors = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        else:
            vectors = hidden.mean(dim=1)
    return vectors.float().cpu().numpy()


def embedding_columns(rows: list, bad: list[float], paths: pd.Series, prefix: str) -> Columns:
    """``<prefix>__emb<j>`` per dimension plus ``<prefix>__unreadable``; a failed row is zeros.

    When no row could be read no width is known: only the indicator comes back, and the
    Preprocessor's fixed columns fill the embedding columns with zeros.
    """
    log_unreadable(prefix, bad, paths)
    width = next((len(r) for r in rows if r is not None), 0)
    if width == 0:
        return {f"{prefix}__unreadable": np.asarray(bad)}
    matrix = np.vstack([r if r is not None else np.zeros(width) for r in rows])
    out: Columns = {f"{prefix}__emb{j}": matrix[:, j] for j in range(width)}
    out[f"{prefix}__unreadable"] = np.asarray(bad)
    return out


class TextEmbeddings(PerColumnExtractor):
    """Normalised sentence embeddings of each text column (``<col>__emb<j>``)."""

    def __init__(self, columns: Sequence[str] = (), location: str | None = None, batch: int = 64):
        super().__init__(columns)
        self.location = location
        self.batch = batch

    def extract_column(self, text: pd.Series, prefix: str) -> Columns:
        vectors = sentence_encoder(self.location).encode(
            text.fillna("").astype(str).tolist(), batch_size=self.batch, normalize_embeddings=True,
            show_progress_bar=False)
        return {f"{prefix}__emb{j}": vectors[:, j] for j in range(vectors.shape[1])}


class ImageEmbeddings(PerColumnExtractor):
    """Pooled embeddings of a transformers vision encoder, ``batch`` images per forward pass."""

    def __init__(self, columns: Sequence[str] = (), location: str | None = None, batch: int = 16):
        super().__init__(columns)
        self.location = location
        self.batch = batch

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        import torch
        from PIL import Image

        processor, model, device = transformers_encoder(self.location, "AutoImageProcessor")
        rows: list = [None] * len(paths)
        bad = [0.0] * len(paths)
        batch, where = [], []

        def flush():
            if batch:
                inputs = processor(images=batch, return_tensors="pt").to(device)
                with torch.inference_mode():
                    vectors = pooled(model(**inputs))
                for i, vector in zip(where, vectors):
                    rows[i] = vector
                batch.clear()
                where.clear()

        for i, value in enumerate(paths):
            try:
                with Image.open(value) as img:
                    batch.append(img.convert("RGB"))
                where.append(i)
            except Exception:  # unreadable image: handled as missing, per the blueprint
                bad[i] = 1.0
            if len(batch) >= self.batch:
                flush()
        flush()
        return embedding_columns(rows, bad, paths, prefix)


class AudioEmbeddings(PerColumnExtractor):
    """Time-pooled embeddings of a transformers audio encoder, each clip resampled to the encoder's rate.

    Clips are cut at ``max_seconds``: the encoder's cost grows with length, the head's input does not.
    """

    def __init__(self, columns: Sequence[str] = (), location: str | None = None, max_seconds: float = 30.0):
        super().__init__(columns)
        self.location = location
        self.max_seconds = max_seconds

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        import torch

        extractor, model, device = transformers_encoder(self.location, "AutoFeatureExtractor")
        target_rate = int(getattr(extractor, "sampling_rate", 16000))
        rows: list = [None] * len(paths)
        bad = [0.0] * len(paths)
        for i, value in enumerate(paths):
            try:
                rate, wave = read_wave(value, 1)
            except Exception:  # unreadable clip: handled as missing, per the blueprint
                bad[i] = 1.0
                continue
            wave = wave[: int(self.max_seconds * rate)]
            if rate != target_rate:  # linear resampling: enough for an embedding, and needs no extra package
                n = max(1, int(round(len(wave) * target_rate / rate)))
                wave = np.interp(np.linspace(0, len(wave) - 1, n), np.arange(len(wave)), wave)
            wave = np.pad(wave, (0, max(0, target_rate // 10 - len(wave))))  # the conv stack needs ~0.1 s
            inputs = extractor(wave.astype(np.float32), sampling_rate=target_rate, return_tensors="pt").to(device)
            with torch.inference_mode():
                rows[i] = pooled(model(**inputs), inputs.get("attention_mask"))[0]
        return embedding_columns(rows, bad, paths, prefix)
