"""Generated media task folders for the media tests: small, seeded, each modality carrying signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WORDS = "the a small big house garden walk park food toy ball sofa window morning evening".split()


def write_wav(path: Path, wave: np.ndarray, rate: int) -> None:
    from scipy.io import wavfile

    path.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(path, rate, (np.clip(wave, -1, 1) * 32000).astype(np.int16))


def tone(rng, seconds: float, rate: int, pitch: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * pitch * t) + 0.05 * rng.normal(size=t.size)


def image(rng, label: int, size: tuple[int, int] = (16, 16), mode: str = "L"):
    """Bright left half for label 1, bright right half for label 0, with noise."""
    from PIL import Image

    w, h = size
    pixels = rng.integers(0, 60, (h, w)).astype(np.uint8)
    half = slice(0, w // 2) if label else slice(w // 2, w)
    pixels[:, half] += 150
    img = Image.fromarray(pixels)
    return img.convert(mode) if mode != "L" else img


def split_write(folder: Path, frame: pd.DataFrame, n_train: int, id_col: str, target: str, description: str,
                fill) -> pd.DataFrame:
    """train.csv, test.csv, sample_submission.csv and description.md; returns the test answers."""
    folder.mkdir(parents=True, exist_ok=True)
    train, test = frame.iloc[:n_train], frame.iloc[n_train:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns=target).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({id_col: test[id_col], target: fill}).to_csv(folder / "sample_submission.csv", index=False)
    (folder / "description.md").write_text(description)
    return test[[id_col, target]].reset_index(drop=True)


def make_picture_clip_task(folder: Path, n_train: int = 60, n_test: int = 20, seed: int = 0) -> pd.DataFrame:
    """Each row a picture (bright left or right half) and a clip (low or high tone); both say the label."""
    rng = np.random.default_rng(seed)
    (folder / "pictures").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_train + n_test):
        label = int(i % 2)
        image(rng, label, (20, 20), "RGB").save(folder / "pictures" / f"p{i:03d}.png")
        write_wav(folder / "clips" / f"c{i:03d}.wav", tone(rng, 0.5, 16000, 300 if label else 1200), 16000)
        rows.append({"id": f"r{i:03d}", "picture": f"pictures/p{i:03d}.png", "clip": f"clips/c{i:03d}.wav",
                     "label": ["right", "left"][label]})
    return split_write(folder, pd.DataFrame(rows), n_train, "id", "label",
                       "Predict the `label` of each row. Evaluation: accuracy.\n", "left")


def make_pet_task(folder: Path, n_train: int = 240, n_test: int = 120, seed: int = 0) -> pd.DataFrame:
    """PetFinder-like: rows join to images/<PetID>-<k>.jpg by id (no path column), plus a description,
    a numeric and a categorical column. Four independent coins, one per modality; the label is their
    majority (ties at random), so every modality carries signal and none decides alone."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    coins = rng.integers(0, 2, (n, 4))
    votes = coins.sum(axis=1)
    label = np.where(votes == 2, rng.integers(0, 2, n), votes > 2).astype(int)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        pet = f"{rng.integers(16**8):08x}"
        for k in range(1, 1 + (i % 3 != 2) + 1):  # one or two photos per pet
            image(rng, coins[i, 0], (24, 24), "RGB").save(folder / "images" / f"{pet}-{k}.jpg", quality=90)
        mood = rng.choice(["playful", "friendly", "cheerful"] if coins[i, 1] else ["shy", "grumpy", "nervous"])
        filler = " ".join(rng.choice(WORDS, 6))
        rows.append({
            "PetID": pet,
            "Age": float(rng.normal(3 if coins[i, 2] else 9, 1.5)),
            "Kind": rng.choice(["dog", "puppy"] if coins[i, 3] else ["cat", "kitten"]),
            "Description": f"A {mood} pet found near the {filler} number {i}",
            "Adopted": ["no", "yes"][label[i]],
        })
    # A pet whose photo is missing and one whose photo is corrupt: handled, never a crash.
    (folder / "images" / f"{rows[5]['PetID']}-1.jpg").unlink()
    (folder / "images" / f"{rows[7]['PetID']}-1.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return split_write(folder, pd.DataFrame(rows), n_train, "PetID", "Adopted",
                       "Will the pet be adopted? Predict `Adopted` for each PetID. Evaluation: accuracy.\n", "no")
