"""Media perception (sizes, durations, unreadable files, text language hints, joins by id), pretrained
image/audio encoders from tiny local checkpoints, and PetFinder-like fusion, all on generated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from media_tasks import image, make_pet_task, tone, write_wav

from iml.perception import media
from iml.perception.description import analyze_task
from iml.perception.profiling import profile_task
from iml.planning import guideline


def make_mixed_folder(folder: Path) -> Path:
    """Images of three sizes and two modes, clips of three durations, two rates and two channel counts,
    one corrupt image, one missing image, one corrupt and one truncated wav, and two text columns."""
    rng = np.random.default_rng(0)
    rows = []
    sizes = [(8, 10), (12, 12), (30, 24)]
    for i in range(30):
        img = f"pics/{i}.png"
        (folder / "pics").mkdir(parents=True, exist_ok=True)
        image(rng, i % 2, sizes[i % 3], "L" if i < 20 else "RGB").save(folder / img)
        rate, seconds = (8000, 16000)[i % 2], (0.5, 1.0, 1.5)[i % 3]
        wave = tone(rng, seconds, rate, 440)
        write_wav(folder / f"sounds/{i}.wav", np.stack([wave, wave], axis=1) if i == 0 else wave, rate)
        rows.append({"id": i, "img": img, "snd": f"sounds/{i}.wav",
                     "note": f"a short note number {i} about {rng.choice(['cats', 'dogs'])} and birds",
                     "заметка": f"кошка номер {i} спит на окне весь день", "y": ["a", "b"][i % 2]})
    (folder / "pics" / "4.png").write_bytes(b"not a png at all")
    (folder / "pics" / "5.png").unlink()
    (folder / "sounds" / "6.wav").write_bytes(b"RIFF....WAVEjunk")
    truncated = (folder / "sounds" / "7.wav").read_bytes()
    (folder / "sounds" / "7.wav").write_bytes(truncated[: len(truncated) // 2])
    frame = pd.DataFrame(rows)
    frame.iloc[:24].to_csv(folder / "train.csv", index=False)
    frame.iloc[24:].drop(columns="y").to_csv(folder / "test.csv", index=False)
    (folder / "description.md").write_text("Predict `y`. Evaluation: accuracy.\n")
    return folder


def test_profile_measures_images_audio_and_text(tmp_path: Path) -> None:
    data = make_mixed_folder(tmp_path / "data")
    summary = analyze_task(data)
    profile = profile_task(summary)
    images = next(m for m in profile.media if m.column == "img")
    assert (images.modality, images.n_rows, images.n_found, images.n_missing) == ("image", 30, 29, 1)
    assert images.missing_examples == ["pics/5.png"]
    assert images.n_opened == 29 and images.n_unreadable == 1
    assert images.unreadable_examples[0].startswith("pics/4.png")
    assert (images.width.min, images.width.median, images.width.max) == (8, 12, 30)
    assert (images.height.min, images.height.max) == (10, 24)
    assert set(images.modes) == {"L", "RGB"} and sum(images.modes.values()) == 28
    clips = next(m for m in profile.media if m.column == "snd")
    assert (clips.modality, clips.n_found, clips.n_unreadable) == ("audio", 30, 2)
    assert sorted(e.split(" ")[0] for e in clips.unreadable_examples) == ["sounds/6.wav", "sounds/7.wav"]
    assert (clips.duration_s.min, clips.duration_s.median, clips.duration_s.max) == (0.5, 1.0, 1.5)
    assert set(clips.sample_rates) == {"8000", "16000"} and clips.channels == {"1": 27, "2": 1}
    # The column notes say it too, where a person reads the profile first.
    assert any("unreadable" in n and "pics/4.png" in n for n in profile.column("img").notes)
    note = profile.column("note")
    assert note.kind == "text" and note.script == "LATIN" and note.ascii_share == 1.0
    words = {w for t in pd.read_csv(data / "train.csv")["note"] for w in t.lower().split()}
    assert note.vocabulary_size == len(words) and note.length.min <= note.length.median <= note.length.max
    russian = profile.column("заметка")
    assert russian.kind == "text" and russian.script == "CYRILLIC" and russian.ascii_share < 0.5


def test_blueprint_uses_the_measured_media(tmp_path: Path) -> None:
    data = make_mixed_folder(tmp_path / "data")
    summary = analyze_task(data)
    bp = guideline.plan(summary, profile_task(summary), 60)
    assert bp.prep.image_side == 12  # the smallest median side of the images: no blowing up
    reasons = {d.column: d.reason for d in bp.prep.decisions}
    assert "29 of 30 rows have a file" in reasons["img"] and "1 of 29 opened files unreadable" in reasons["img"]
    assert "2 of 30 opened files unreadable" in reasons["snd"] and "8000/16000 Hz" in reasons["snd"]


def test_media_sizes_come_from_a_sample_but_existence_from_every_row(tmp_path: Path, monkeypatch) -> None:
    data = make_mixed_folder(tmp_path / "data")
    monkeypatch.setattr(media, "OPEN_SAMPLE", 5)
    profile = profile_task(analyze_task(data))
    images = next(m for m in profile.media if m.column == "img")
    assert images.n_found == 29 and images.n_opened == 5 and sum(images.modes.values()) <= 5
    assert any("measured on 5 of 29 files" in n for n in images.notes)


def test_rows_joined_to_images_by_id(tmp_path: Path) -> None:
    data = tmp_path / "pets"
    make_pet_task(data, n_train=30, n_test=10)
    summary = analyze_task(data)
    assert [(m.column, m.folder, m.pattern, m.modality) for m in summary.media] == [
        ("PetID", "images", "{}-1.jpg", "image")]
    profile = profile_task(summary)
    assert profile.column("PetID").kind == "id"  # the key stays an id, not a file column
    pets = profile.media[0]
    assert (pets.n_rows, pets.n_found, pets.n_missing, pets.n_unreadable) == (40, 39, 1, 1)
    assert pets.width.median == 24 and pets.modes == {"RGB": 38}
    bp = guideline.plan(summary, profile, 60)
    assert [(j.column, j.key, j.pattern) for j in bp.prep.media_joins] == [("PetID__image", "PetID", "{}-1.jpg")]
    assert bp.modality == "multimodal" and bp.prep.image_columns == []
