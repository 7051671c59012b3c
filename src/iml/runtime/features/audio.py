"""Sound as numbers without a pretrained network: MFCC statistics for learners, a log-mel grid for CNNs.

Clips are read as WAV (scipy), mixed to mono and peak-normalised, so loudness differences between
recordings do not masquerade as signal. The mel filterbank and MFCCs follow the textbook recipe
(Hann-windowed 512-sample frames, 160-sample hop, DCT-II of log mel energies), with no package
beyond numpy and scipy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import Columns, PerColumnExtractor
from .unreadable import flagged

N_FFT = 512
HOP = 160
SEGMENTS = 4  # MFCC means per quarter of the clip: a coarse picture of how the sound changes


def read_wave(path: str, min_length: int) -> tuple[int, np.ndarray]:
    """(sample rate, mono waveform scaled to [-1, 1], zero-padded to at least ``min_length`` samples)."""
    from scipy.io import wavfile

    rate, wave = wavfile.read(path)
    wave = wave.astype(float)
    wave = wave.mean(axis=1) if wave.ndim == 2 else wave
    wave = wave / (np.abs(wave).max() + 1e-9)
    return rate, np.pad(wave, (0, max(0, min_length - len(wave))))


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int = 40) -> np.ndarray:
    """Triangular filters equally spaced on the mel scale, mels x (n_fft // 2 + 1) FFT bins."""
    def hz_to_mel(hz):
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    mels = np.linspace(hz_to_mel(0), hz_to_mel(sample_rate / 2), n_mels + 2)
    bins = np.floor((n_fft + 1) * 700.0 * (10 ** (mels / 2595.0) - 1) / sample_rate).astype(int)
    bank = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(1, n_mels + 1):
        left, center, right = bins[m - 1], bins[m], bins[m + 1]
        for k in range(left, center):
            bank[m - 1, k] = (k - left) / max(1, center - left)
        for k in range(center, right):
            bank[m - 1, k] = (right - k) / max(1, right - center)
    return bank


def log_mel(wave: np.ndarray, bank: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Log mel energies, time x mels, from Hann-windowed frames."""
    frames = np.lib.stride_tricks.sliding_window_view(wave, n_fft)[::hop] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log(power @ bank.T + 1e-10)


class AudioFeatures(PerColumnExtractor):
    """MFCC means and spreads over the clip and per quarter, plus loudness, zero crossings and duration.

    An unreadable or missing file gives zeros and a 1 in ``<col>__unreadable``.
    """

    def __init__(self, columns: Sequence[str] = (), n_mfcc: int = 20):
        super().__init__(columns)
        self.n_mfcc = n_mfcc

    def names(self, prefix: str) -> list[str]:
        n = self.n_mfcc
        return ([f"{prefix}__mfcc_mean{i}" for i in range(n)] + [f"{prefix}__mfcc_std{i}" for i in range(n)]
                + [f"{prefix}__q{q}_mfcc{i}" for q in range(SEGMENTS) for i in range(n)]
                + [f"{prefix}__rms", f"{prefix}__zero_cross", f"{prefix}__seconds"])

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        from scipy.fft import dct

        banks: dict = {}

        def compute(clip) -> np.ndarray:
            rate, wave = clip
            bank = banks.setdefault(rate, mel_filterbank(rate, N_FFT))
            mfcc = dct(log_mel(wave, bank), type=2, axis=1, norm="ortho")[:, :self.n_mfcc]
            quarters = [part.mean(axis=0) for part in np.array_split(mfcc, SEGMENTS)]
            zero_cross = np.mean(np.abs(np.diff(np.sign(wave))) > 0)
            return np.concatenate([mfcc.mean(axis=0), mfcc.std(axis=0), *quarters,
                                   [np.sqrt(np.mean(wave ** 2)), zero_cross, len(wave) / rate]])

        return flagged(self.names(prefix), paths, prefix, lambda path: read_wave(path, N_FFT), compute)


class AudioLogMel(PerColumnExtractor):
    """``<col>__mel<m>_<t>``: the log-mel spectrogram resampled to a mels x frames grid, standardised per clip.

    A fixed grid whatever the clip's length, so a CNN sees every clip at one shape.
    """

    def __init__(self, columns: Sequence[str] = (), grid: tuple[int, int] = (32, 32)):
        super().__init__(columns)
        self.grid = grid

    def extract_column(self, paths: pd.Series, prefix: str) -> Columns:
        n_mels, n_frames = self.grid
        banks: dict = {}

        def compute(clip) -> np.ndarray:
            rate, wave = clip
            bank = banks.setdefault(rate, mel_filterbank(rate, N_FFT, n_mels))
            logmel = log_mel(wave, bank).T  # mels x time
            columns = np.linspace(0, logmel.shape[1] - 1, n_frames)
            grid = np.vstack([np.interp(columns, np.arange(logmel.shape[1]), band) for band in logmel])
            return ((grid - grid.mean()) / (grid.std() + 1e-9)).ravel()

        names = [f"{prefix}__mel{m}_{t}" for m in range(n_mels) for t in range(n_frames)]
        return flagged(names, paths, prefix, lambda path: read_wave(path, N_FFT), compute)
