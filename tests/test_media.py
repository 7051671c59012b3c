"""Media perception (sizes, durations, unreadable files, text language hints, joins by id), pretrained
image/audio encoders from tiny local checkpoints, and PetFinder-like fusion, all on generated data."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from media_tasks import image, make_pet_task, make_picture_clip_task, tone, write_wav

from iml.coding import coder
from iml.flow import Run
from iml.options import RunOptions
from iml.perception import media
from iml.perception.description import analyze_task
from iml.perception.profiling import profile_task
from iml.planning import guideline
from iml.predicting import predict
from iml.progress import Progress


def make_mixed_folder(folder: Path) -> Path:
    """Images of three sizes and two modes, clips of three durations, two rates and two channel counts,
    one corrupt image, one missing image, one corrupt and one truncated wav (rows 4-7, all in train),
    and two text columns."""
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
    assert (clips.modality, clips.n_found, clips.n_unreadable) == ("audio", 30, 1)
    assert clips.unreadable_examples[0].startswith("sounds/6.wav")
    # The truncated clip is read as far as it goes (as the generated code reads it), and said to be truncated.
    assert any("1 truncated" in n and "sounds/7.wav" in n for n in clips.notes)
    assert clips.duration_s.min == pytest.approx(0.5, abs=0.01)  # 0.5 s clips, and the 1 s clip cut in half
    assert (clips.duration_s.median, clips.duration_s.max) == (1.0, 1.5)
    assert set(clips.sample_rates) == {"8000", "16000"} and clips.channels == {"1": 28, "2": 1}
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
    assert "1 of 30 opened files unreadable" in reasons["snd"]
    assert "16000/8000 Hz" in reasons["snd"]  # commonest rate first


def test_unspaced_script_gets_character_ngrams_on_a_tight_budget(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    phrases = ["猫が窓の近くで寝ています", "犬は公園で元気に走りました", "鳥が朝早くから歌っていました"]
    train = pd.DataFrame({"id": range(300), "y": ["a", "b"] * 150,
                          "text": [f"{rng.choice(phrases)}{i}番目の日記です" for i in range(300)]})
    test = train.drop(columns="y").head(50)
    summary = analyze_task(write_tables(tmp_path, train, test))
    profile = profile_task(summary)
    assert profile.column("text").script == "HIRAGANA" and profile.column("text").ascii_share < 0.3
    plan = guideline.plan(summary, profile, 20).prep.text_columns[0]
    assert plan.char_ngrams and "no spaces between words" in plan.reason
    spaced = train.assign(text=[f"the cat number {i} sleeps near the window all day" for i in range(300)])
    summary = analyze_task(write_tables(tmp_path / "spaced", spaced, spaced.drop(columns="y").head(50)))
    assert not guideline.plan(summary, profile_task(summary), 20).prep.text_columns[0].char_ngrams


def write_tables(folder: Path, train: pd.DataFrame, test: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    (folder / "description.md").write_text("Predict `y`. Evaluation: accuracy.\n")
    return folder


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


def load_generated(source: str, folder: Path):
    """Import a generated code module from its text, as the pipeline does (the runtime beside it in code/)."""
    coder.copy_runtime(folder)
    if str(folder / "code") not in sys.path:
        sys.path.insert(0, str(folder / "code"))
    path = folder / "preprocess_generated.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("preprocess_generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("features", ["standard", "nn"])
def test_corrupt_truncated_and_missing_media_become_flagged_rows_and_a_log_line(tmp_path, features, capsys):
    data = make_mixed_folder(tmp_path / "data")
    summary = analyze_task(data)
    bp = guideline.plan(summary, profile_task(summary), 60, tracks=("traditional",))
    preprocess = load_generated(coder.write_preprocess(bp, summary), tmp_path)
    raw = preprocess.load(data)
    X = preprocess.Preprocessor(features=features).fit(raw.train).transform(raw.train)
    assert len(X) == 24 and np.isfinite(X.to_numpy()).all()
    ids = raw.train["id"]
    assert list(ids[X["img__unreadable"] == 1]) == [4, 5]  # a corrupt png and a missing one
    assert list(ids[X["snd__unreadable"] == 1]) == [6]  # a corrupt wav; the truncated one reads as far as it goes
    assert (X.loc[X["snd__unreadable"] == 1].filter(like="snd__").drop(columns="snd__unreadable") == 0).all().all()
    logged = capsys.readouterr().out
    assert "img: 2 of 24 files missing or unreadable" in logged and "snd: 1 of 24 files" in logged


def test_files_split_over_train_and_test_folders_are_found_for_every_row(tmp_path: Path) -> None:
    """Kaggle's other layout: train/<id>.png and test/<id>.png, by id or by a column of bare file names."""
    rng = np.random.default_rng(0)
    rows = [{"id": f"x{i:03d}", "label": ["a", "b"][i % 2]} for i in range(40)]
    for i, row in enumerate(rows):
        split = "train" if i < 30 else "test"
        (tmp_path / split).mkdir(exist_ok=True)
        image(rng, i % 2, (16, 16)).save(tmp_path / split / f"{row['id']}.png")
    frame = pd.DataFrame(rows)
    by_id = write_tables(tmp_path, frame.iloc[:30], frame.iloc[30:].drop(columns="label"))
    summary = analyze_task(by_id)
    assert [(m.column, m.folders, m.pattern) for m in summary.media] == [("id", ["test", "train"], "{}.png")]
    assert profile_task(summary).media[0].n_found == 40
    named = frame.assign(file=frame["id"] + ".png")
    by_name = write_tables(tmp_path, named.iloc[:30], named.iloc[30:].drop(columns="label"))
    summary = analyze_task(by_name)
    assert [(m.column, m.folders, m.pattern) for m in summary.media] == [("file", ["train", "test"], None)]
    profile = profile_task(summary)
    assert profile.media[0].n_found == 40 and profile.media[0].n_missing == 0
    bp = guideline.plan(summary, profile, 60, tracks=("traditional",))
    preprocess = load_generated(coder.write_preprocess(bp, summary), tmp_path)
    raw = preprocess.load(by_name)
    for part in (raw.train, raw.test):
        X = preprocess.Preprocessor().fit(raw.train).transform(part)
        assert (X["file__unreadable"] == 0).all()


# ---------------------------------------------------------------- pretrained image and audio encoders

needs_transformers = pytest.mark.skipif(importlib.util.find_spec("transformers") is None
                                        or importlib.util.find_spec("torch") is None,
                                        reason="transformers / PyTorch not installed")


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory) -> Path:
    """A 1-layer, 32-wide ViT and wav2vec2 saved as a person would save checkpoints for iml to find."""
    from transformers import ViTConfig, ViTImageProcessor, ViTModel, Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    root = tmp_path_factory.mktemp("checkpoints")
    torch_seed()
    vit = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                    image_size=32, patch_size=8)
    ViTModel(vit).save_pretrained(root / "tiny-vit")
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(root / "tiny-vit")
    w2v = Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                         conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2)
    Wav2Vec2Model(w2v).save_pretrained(root / "tiny-wav2vec2")
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(root / "tiny-wav2vec2")
    return root


def torch_seed() -> None:
    import torch

    torch.manual_seed(0)


def verified_features(run_dir: Path, feature_set: str, part: str) -> pd.DataFrame:
    """The transform outputs the sample verification handed to the verifier, as a frame."""
    verify = next(run_dir.glob("attempts/*-verify/verify"))
    index = json.loads((verify / "features.json").read_text())[feature_set]
    return pd.DataFrame(np.load(verify / f"features_{feature_set}_{part}.npy"), columns=index[f"columns_{part}"])


@pytest.mark.slow
@needs_transformers
def test_pretrained_track_embeds_images_and_audio_with_local_checkpoints(tmp_path, tiny_checkpoints, monkeypatch):
    """One run, both encoders (a run per modality would double the cost of importing transformers)."""
    from PIL import Image
    from scipy.io import wavfile
    from transformers import AutoFeatureExtractor, AutoImageProcessor, AutoModel

    data, run_dir = tmp_path / "data", tmp_path / "run"
    answers = make_picture_clip_task(data)
    monkeypatch.setenv("IML_CHECKPOINTS", str(tiny_checkpoints))
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=40, tracks=["pretrained"])
    outcome = Run.start(options, Progress(quiet=True)).execute()
    board = pd.read_csv(run_dir / "leaderboard.csv")
    assert outcome.status == "succeeded" and set(board[board["status"] == "ok"]["track"]) == {"pretrained"}, board
    retrieval = json.loads((run_dir / "retrieval.json").read_text())
    for modality, name in (("image", "tiny-vit"), ("audio", "tiny-wav2vec2")):
        found = [c for c in retrieval["checkpoints"] if c["modality"] == modality]
        assert found[0]["name"] == name and found[0]["loadable"] and found[0]["dim"] == 32
        hub = [c for c in found if c["source"] == "hub"]
        assert hub and all(not c["loadable"] and "hub cache" in c["reason"] for c in hub)  # nothing downloaded
    prep = json.loads((run_dir / "blueprint.json").read_text())["prep"]
    assert prep["pretrained_image"] == str(tiny_checkpoints / "tiny-vit")
    assert prep["pretrained_audio"] == str(tiny_checkpoints / "tiny-wav2vec2")
    # The features are the checkpoints' pooled outputs: 32 wide, equal to embedding the first test row here.
    test = verified_features(run_dir, "pretrained", "test")
    first = pd.read_csv(data / "test.csv").iloc[0]
    picture = test[[c for c in test.columns if c.startswith("picture__emb")]]
    processor = AutoImageProcessor.from_pretrained(tiny_checkpoints / "tiny-vit")
    vit = AutoModel.from_pretrained(tiny_checkpoints / "tiny-vit").eval()
    pixels = processor(images=[Image.open(data / first["picture"]).convert("RGB")], return_tensors="pt")
    assert picture.shape[1] == 32
    np.testing.assert_allclose(picture.iloc[0], vit(**pixels).pooler_output[0].detach().numpy(), atol=1e-4)
    clip = test[[c for c in test.columns if c.startswith("clip__emb")]]
    extractor = AutoFeatureExtractor.from_pretrained(tiny_checkpoints / "tiny-wav2vec2")
    w2v = AutoModel.from_pretrained(tiny_checkpoints / "tiny-wav2vec2").eval()
    rate, wave = wavfile.read(data / first["clip"])
    hidden = w2v(**extractor(wave / np.abs(wave).max(), sampling_rate=rate, return_tensors="pt")).last_hidden_state
    assert clip.shape[1] == 32
    np.testing.assert_allclose(clip.iloc[0], hidden.mean(dim=1)[0].detach().numpy(), atol=1e-4)
    submission = pd.read_csv(outcome.submission)
    assert list(submission["id"]) == list(answers["id"])
    assert (submission["label"] == answers["label"]).mean() >= 0.8  # even random encoders keep this signal


# ---------------------------------------------------------------- multimodal fusion

@pytest.mark.slow
def test_table_text_and_images_joined_by_id_fuse_into_one_model(tmp_path: Path) -> None:
    """PetFinder-like: no path column, images/<PetID>-<k>.jpg, a description, a number and a category."""
    data, run_dir = tmp_path / "data", tmp_path / "run"
    answers = make_pet_task(data)
    # a verification sample of every row, so its dumped features hold both broken photos
    options = RunOptions(data_dir=str(data), run_dir=str(run_dir), time_budget=40, tracks=["traditional"],
                         sample_rows=1000)
    outcome = Run.start(options, Progress(quiet=True)).execute()
    assert outcome.status == "succeeded"
    bp = json.loads((run_dir / "blueprint.json").read_text())
    assert bp["modality"] == "multimodal" and bp["prep"]["media_joins"][0]["pattern"] == "{}-1.jpg"
    # One feature frame holds every modality; the missing and the corrupt photo are flagged, not fatal.
    train = verified_features(run_dir, "standard", "train")
    for prefix in ("Age", "Kind=", "Description__svd", "PetID__image__px", "PetID__image__grad"):
        assert any(c.startswith(prefix) for c in train.columns), prefix
    assert train["PetID__image__unreadable"].sum() == 2
    submission = pd.read_csv(outcome.submission)
    assert sorted(submission["PetID"]) == sorted(answers["PetID"]) and submission["Adopted"].isin(["no", "yes"]).all()
    truth = answers.set_index("PetID").loc[submission["PetID"], "Adopted"].to_numpy()
    floor = answers["Adopted"].value_counts(normalize=True).max()  # always the majority class
    assert (submission["Adopted"].to_numpy() == truth).mean() >= floor + 0.1
    assert "Media files" in (run_dir / "report.html").read_text()
    # The fitted pipeline joins new rows to their images the same way.
    again = pd.read_csv(predict(run_dir, data / "test.csv", tmp_path / "again.csv"))
    assert again.equals(submission)
