"""Images as numbers without a pretrained network: small grayscale thumbnails, colour and edge statistics.

A thumbnail of ``side`` x ``side`` pixels keeps the layout a tree learner or a small CNN can use;
the gradient-orientation histogram keeps the texture and edge directions a thumbnail blurs away.
The side comes from the images' measured sizes (small images are not blown up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import Columns, PerColumnExtractor
from .unreadable import flagged

N_ORIENTATIONS = 8  # gradient histogram bins
COLOUR_STATS = ("mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b")


def gray_thumbnail(img, side: int) -> np.ndarray:
    """The image as ``side`` x ``side`` grayscale intensities in [0, 255], bilinear resampling."""
    from PIL import Image

    return np.asarray(img.convert("L").resize((side, side), Image.BILINEAR), dtype=float)


def open_image(path):
    """PIL's image of a file (a context manager); raises for a missing or unreadable one."""
    from PIL import Image

    return Image.open(path)


def orientation_histogram(gray: np.ndarray) -> np.ndarray:
    """Share of gradient magnitude per direction bin (a one-cell HOG), summing to 1 on any image with edges."""
    gy, gx = np.gradient(gray)
    angle = (np.arctan2(gy, gx) + np.pi) / (2 * np.pi) * N_ORIENTATIONS
    bins = np.minimum(angle.astype(int), N_ORIENTATIONS - 1).ravel()
    hog = np.bincount(bins, weights=np.hypot(gx, gy).ravel(), minlength=N_ORIENTATIONS)
    return hog / (hog.sum() + 1e-9)


class ImageFeatures(PerColumnExtractor):
    """``<col>__px<i>`` thumbnail pixels, ``<col>__mean_r``... colour statistics and ``<col>__grad<k>``.

    An unreadable or missing file gives zeros and a 1 in ``<col>__unreadable``, never an exception.
    """

    def __init__(self, columns: Sequence[str] = (), side: int = 16):
        super().__init__(columns)
        self.side = side

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        def read(path):
            with open_image(path) as img:
                return gray_thumbnail(img, self.side) / 255.0, np.asarray(img.convert("RGB"), dtype=float) / 255.0

        def compute(images) -> np.ndarray:
            gray, rgb = images
            rgb = rgb.reshape(-1, 3)
            return np.concatenate([gray.ravel(), rgb.mean(axis=0), rgb.std(axis=0), orientation_histogram(gray)])

        names = ([f"{prefix}__px{i}" for i in range(self.side * self.side)]
                 + [f"{prefix}__{s}" for s in COLOUR_STATS] + [f"{prefix}__grad{i}" for i in range(N_ORIENTATIONS)])
        return flagged(names, paths, prefix, read, compute)


class ImageGrid(PerColumnExtractor):
    """``<col>__px<i>``: grayscale pixels in [0, 1] on a ``side`` grid, row-major, so a CNN can fold them back."""

    def __init__(self, columns: Sequence[str] = (), side: int = 16):
        super().__init__(columns)
        self.side = side

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        def read(path) -> np.ndarray:
            with open_image(path) as img:
                return gray_thumbnail(img, self.side)

        names = [f"{prefix}__px{i}" for i in range(self.side * self.side)]
        return flagged(names, paths, prefix, read, lambda gray: gray.ravel() / 255.0)
