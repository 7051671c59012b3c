"""The bad-input matrix: files a careless user or another tool leaves in a task folder.

Each case either is refused with a message that names the problem and a hint (through the real CLI,
before anything is planned or written) or is read with a workaround that the task summary states
(asserted where iml decides: perception on the folder). A few go through a whole ``iml run`` to show
the pipeline, reading the files again in its sandbox, reads them the same way and writes a valid
submission. Every case checks that the user's folder is byte for byte what it was.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import json
import lzma
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from iml.cli import app
from iml.errors import DataError
from iml.perception.description import analyze_task
from iml.perception.profiling import profile_task
from iml.predicting import predict as predict_file
from iml.runtime import metrics
from iml.runtime.tables import read as read_runtime_table

DESCRIPTION = "Predict `churn`. Submissions are scored by AUC.\n"


def frame(n: int = 80, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "age": rng.integers(18, 80, n),
                         "fee": np.round(rng.gamma(2.0, 10.0, n), 2), "plan": rng.choice(["basic", "pro"], n),
                         "churn": rng.integers(0, 2, n)})


def write_task(folder: Path, data: pd.DataFrame | None = None, *, n_test: int = 20, sample: bool = True,
               description: str | None = DESCRIPTION, suffix: str = ".csv", **to_csv) -> Path:
    """train/test/sample_submission tables of ``data`` (the last ``n_test`` rows are the test) and a description."""
    folder.mkdir(parents=True, exist_ok=True)
    data = frame() if data is None else data
    train, test = data.iloc[:-n_test], data.iloc[-n_test:]
    save(train, folder / f"train{suffix}", **to_csv)
    save(test.drop(columns="churn"), folder / f"test{suffix}", **to_csv)
    if sample:
        save(pd.DataFrame({"id": test["id"], "churn": 0.5}), folder / "sample_submission.csv")
    if description is not None:
        (folder / "description.md").write_text(description, encoding="utf-8")
    return folder


def save(table: pd.DataFrame, path: Path, **to_csv) -> None:
    if path.suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_csv(path, index=False, **to_csv)


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under the folder by its content: what 'nothing was lost or changed' is checked against."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- refused, through the CLI

def refuse_run(workdir: Path, data: Path, *extra: str) -> str:
    """``iml run`` on the folder: a non-zero exit with an error and a hint, no traceback, no run folder."""
    before = fingerprint(data) if data.is_dir() else {}
    began = time.monotonic()
    with contextlib.chdir(workdir):  # the runs folder would be made here
        result = CliRunner().invoke(app, ["run", str(data), "--time-budget", "10", *extra])
    text = " ".join(result.output.split())
    assert result.exit_code != 0, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "error:" in text and "what to do:" in text, text
    assert time.monotonic() - began < 10, "refused only after planning"
    assert not (workdir / "runs").exists() or not any((workdir / "runs").iterdir())
    assert (fingerprint(data) if data.is_dir() else {}) == before
    return text


def _no_train(d: Path) -> None:
    (d / "train.csv").unlink()


def _empty(d: Path) -> None:
    (d / "train.csv").write_bytes(b"")


def _header_only(d: Path) -> None:
    (d / "train.csv").write_text("id,age,fee,plan,churn\n")


def _binary(d: Path) -> None:
    (d / "train.csv").write_bytes(np.random.default_rng(0).bytes(4096))


def _corrupt_parquet(d: Path) -> None:
    (d / "train.csv").unlink()
    (d / "train.parquet").write_bytes(b"PAR1 this is not a parquet file at all")


def _corrupt_gzip(d: Path) -> None:
    (d / "train.csv.gz").write_bytes(b"id,age\n1,2\n")  # named .gz, never compressed
    (d / "train.csv").unlink()


def _zip_of_two(d: Path) -> None:
    with zipfile.ZipFile(d / "train.zip", "w") as archive:
        archive.write(d / "train.csv", "train.csv")
        archive.write(d / "test.csv", "test.csv")
    (d / "train.csv").unlink()


def _no_overlap(d: Path) -> None:
    test = pd.read_csv(d / "test.csv")
    test.columns = [f"col_{i}" for i in range(test.shape[1])]
    test.to_csv(d / "test.csv", index=False)
    (d / "sample_submission.csv").unlink()


def _semicolon_test_only(d: Path) -> None:
    # the test table a spreadsheet saved with semicolons, every column renamed: no column in common
    test = pd.read_csv(d / "test.csv")
    test.columns = [f"x{i}" for i in range(test.shape[1])]
    test.to_csv(d / "test.csv", index=False, sep=";")
    (d / "sample_submission.csv").unlink()


def _one_class(d: Path) -> None:
    train = pd.read_csv(d / "train.csv").assign(churn=1)
    train.to_csv(d / "train.csv", index=False)


def _sample_ids_not_in_test(d: Path) -> None:
    sample = pd.read_csv(d / "sample_submission.csv")
    sample["id"] = sample["id"] + 10_000
    sample.to_csv(d / "sample_submission.csv", index=False)


def _rows(n: int) -> Callable[[Path], None]:
    def cut(d: Path) -> None:
        pd.read_csv(d / "train.csv").head(n).to_csv(d / "train.csv", index=False)
    return cut


def _only_id_and_target(d: Path) -> None:
    pd.read_csv(d / "train.csv")[["id", "churn"]].to_csv(d / "train.csv", index=False)
    pd.read_csv(d / "test.csv")[["id"]].to_csv(d / "test.csv", index=False)


def _all_nan_target(d: Path) -> None:
    pd.read_csv(d / "train.csv").assign(churn=np.nan).to_csv(d / "train.csv", index=False)


REFUSED = [
    ("no_train_table", _no_train, ["no train table", "test.csv"]),
    ("empty_file", _empty, ["train.csv", "empty"]),
    ("header_only", _header_only, ["train.csv", "header but no data rows"]),
    ("binary_garbage", _binary, ["train.csv", "binary file"]),
    ("corrupt_parquet", _corrupt_parquet, ["train.parquet", "could not be read"]),
    ("not_really_gzip", _corrupt_gzip, ["train.csv.gz", "gzip"]),
    ("zip_of_two_tables", _zip_of_two, ["train.zip", "holds 2 files", "one"]),
    ("no_column_overlap", _no_overlap, ["share no column"]),
    ("separator_mismatch", _semicolon_test_only, ["share no column", "the train file is separated by ',', the test file by ';'"]),
    ("one_class_target", _one_class, ["fewer than 2 distinct values"]),
    ("sample_ids_not_in_test", _sample_ids_not_in_test, ["list different ids", "not in test.csv"]),
    ("one_train_row", _rows(1), ["1 labelled row:", "at least 10"]),
    ("two_train_rows", _rows(2), ["2 labelled rows", "at least 10"]),
    ("only_id_and_target", _only_id_and_target, ["no feature column", "'id'", "'churn'"]),
    ("all_targets_missing", _all_nan_target, ["0 labelled rows", "60 more have no 'churn' value"]),
]


@pytest.mark.parametrize("spoil, needles", [pytest.param(f, n, id=i) for i, f, n in REFUSED])
def test_refused_before_planning(tmp_path: Path, spoil, needles) -> None:
    data = write_task(tmp_path / "data")
    spoil(data)
    text = refuse_run(tmp_path, data)
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in: {text}"


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    text = refuse_run(tmp_path, tmp_path / "nowhere")
    assert "does not exist" in text


def test_excel_without_openpyxl_names_the_extra(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")  # writing the workbook needs it; the run below is made not to find it
    data = write_task(tmp_path / "data", suffix=".xlsx")
    before = fingerprint(data)
    hide = ("import sys, runpy; sys.modules['openpyxl'] = None; sys.argv = ['iml', 'run', sys.argv[1], "
            "'--time-budget', '10']; runpy.run_module('iml.cli', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", hide, str(data)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0 and "Traceback" not in text, text
    assert "train.xlsx is an Excel workbook" in text and "needs openpyxl" in text and "pip install 'iml-automl[excel]'" in text, text
    assert fingerprint(data) == before


# ---------------------------------------------------------------- read with a workaround: perception

def perceive(data: Path, **kw):
    """The task summary and profile of a folder, and a check that reading it changed nothing there."""
    before = fingerprint(data)
    summary = analyze_task(data, **kw)
    profile = profile_task(summary)
    assert fingerprint(data) == before
    return summary, profile


def warned(summary, *needles: str) -> str:
    text = " | ".join(summary.warnings)
    for needle in needles:
        assert needle in text, f"{needle!r} not in warnings: {text}"
    return text


def accented() -> pd.DataFrame:
    data = frame()
    data["plan"] = np.where(data.index % 2, "café crème", "naïve")
    return data


def test_latin1_text_is_read_as_cp1252_and_said(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d", accented(), encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        (data / "train.csv").read_text(encoding="utf-8")  # the case is real: not UTF-8
    summary, profile = perceive(data)
    warned(summary, "train.csv: read as cp1252", "test.csv: read as cp1252")
    plan = next(c for c in profile.columns if c.name == "plan")
    assert set(plan.top_values) == {"café crème", "naïve"}


def test_latin1_only_past_the_sniffed_head_falls_back_on_the_full_read(tmp_path: Path) -> None:
    data = frame(4000)
    data["plan"] = "basic"
    data.loc[3990, "plan"] = "résumé"  # the only non-ASCII byte lies far past the first 64 KB
    folder = write_task(tmp_path / "d", data, n_test=5, encoding="latin-1")
    assert (folder / "train.csv").stat().st_size > 1 << 16
    summary, profile = perceive(folder)
    warned(summary, "train.csv: read as cp1252")
    assert "résumé" in next(c for c in profile.columns if c.name == "plan").top_values


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs"), ("|", "pipes")])
def test_separator_other_than_comma_is_sniffed_and_said(tmp_path: Path, sep: str, name: str) -> None:
    summary, profile = perceive(write_task(tmp_path / "d", sep=sep))
    warned(summary, f"train.csv: columns separated by {name}", "not commas")
    assert {c.name for c in profile.columns} == {"id", "age", "fee", "plan", "churn"}
    assert summary.target == "churn" and summary.metric == "auc"


def test_semicolons_with_decimal_commas_read_as_numbers(tmp_path: Path) -> None:
    summary, profile = perceive(write_task(tmp_path / "d", sep=";", decimal=","))
    warned(summary, "semicolons", "decimal comma")
    fee = next(c for c in profile.columns if c.name == "fee")
    assert fee.kind == "numeric" and fee.mean and 5 < fee.mean < 40


def test_a_semicolon_sample_submission_is_read_and_said(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d")
    pd.read_csv(data / "sample_submission.csv").to_csv(data / "sample_submission.csv", index=False, sep=";")
    summary, _ = perceive(data)
    assert summary.warnings == ["sample_submission.csv: columns separated by semicolons (';'), not commas"]
    assert summary.submission.columns == ["id", "churn"] and summary.id_column == "id"


def test_bom_and_crlf(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d", encoding="utf-8-sig", lineterminator="\r\n")
    assert (data / "train.csv").read_bytes().startswith(b"\xef\xbb\xbfid,") and b"\r\n" in (data / "train.csv").read_bytes()
    summary, _ = perceive(data)
    warned(summary, "byte-order mark")
    assert summary.id_column == "id"  # not '\ufeffid'


def test_utf16_text_as_spreadsheets_save_it(tmp_path: Path) -> None:
    summary, _ = perceive(write_task(tmp_path / "d", sep="\t", encoding="utf-16"))
    warned(summary, "read as UTF-16", "tabs")
    assert summary.target == "churn"


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".zip"])
def test_compressed_tables_are_found_and_read(tmp_path: Path, suffix: str) -> None:
    data = write_task(tmp_path / "d")
    opener = {".csv.gz": gzip.open, ".csv.bz2": bz2.open, ".csv.xz": lzma.open}
    for role in ("train", "test"):
        plain = data / f"{role}.csv"
        if suffix == ".zip":
            with zipfile.ZipFile(data / f"{role}.zip", "w") as archive:
                archive.write(plain, plain.name)
        else:
            with opener[suffix](data / f"{role}{suffix}", "wb") as f:
                f.write(plain.read_bytes())
        plain.unlink()
    summary, profile = perceive(data)
    assert (summary.train_file, summary.test_file) == (f"train{suffix}", f"test{suffix}")
    assert profile.n_train_rows == 60 and profile.n_test_rows == 20


def test_a_lone_compressed_table_is_staged_under_its_whole_suffix(tmp_path: Path) -> None:
    from iml.inputs import stage_tables

    given = tmp_path / "customers 2024.csv.gz"
    frame().to_csv(given, index=False, sep=";")
    fields = stage_tables(tmp_path / "staged", given)
    assert fields["name"] == "customers 2024" and (tmp_path / "staged" / "train.csv.gz").is_file()
    summary, _ = perceive(Path(fields["data_dir"]), target="churn")
    assert summary.train_file == "train.csv.gz" and summary.test_file is None
    warned(summary, "train.csv.gz: columns separated by semicolons")


def test_excel_workbook(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    summary, profile = perceive(write_task(tmp_path / "d", suffix=".xlsx"))
    assert summary.train_file == "train.xlsx" and summary.target == "churn" and profile.n_train_rows == 60


def test_unknown_metric_is_reported_with_the_known_ones_and_the_default(tmp_path: Path) -> None:
    text = "# Churn\n\nPredict `churn`.\n\n## Evaluation\n\nSubmissions are evaluated on the Brier score between " \
           "the predicted probability and the observed outcome.\n"
    summary, _ = perceive(write_task(tmp_path / "d", description=text))
    said = warned(summary, "evaluation ('Brier score') names no metric iml knows",
                  f"iml optimises {summary.metric} instead, the default for a binary task", "--metric")
    assert all(name in said for name in metrics.METRICS)
    evidence = next(e for e in summary.evidence if e.fact == "metric")
    assert evidence.source == "default" and "Brier score" in evidence.detail
    assert "names no metric" not in evidence.detail


def test_a_description_saved_as_cp1252_keeps_its_words(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d", description=None)
    (data / "description.md").write_bytes("Prédire `churn` — évalué par la métrique « Brier ».\n".encode("cp1252"))
    summary, _ = perceive(data)
    assert "Prédire" in summary.description and "«" in summary.description and "\ufffd" not in summary.description


@pytest.mark.parametrize("text", [DESCRIPTION, "Predict `churn`. Models are evaluated using 5-fold cross-validation.\n"])
def test_a_known_or_no_metric_gives_no_warning(tmp_path: Path, text: str) -> None:
    summary, _ = perceive(write_task(tmp_path / "d", description=text))
    assert summary.warnings == [] and summary.metric == "auc"


def test_empty_description_is_inferred_from_files(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d", description="")
    summary, _ = perceive(data)
    assert summary.stripped and summary.target == "churn" and summary.warnings == []
    assert next(e for e in summary.evidence if e.fact == "metric").detail.startswith("the description names no metric")


def test_duplicate_test_ids_are_said(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d", sample=False)
    test = pd.read_csv(data / "test.csv")
    test.loc[1:3, "id"] = test.loc[0, "id"]
    test.to_csv(data / "test.csv", index=False)
    summary, _ = perceive(data)
    warned(summary, "test.csv repeats 3 'id' value(s)", "appear more than once")


def test_test_columns_missing_or_extra_are_said(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d")
    pd.read_csv(data / "test.csv").drop(columns="fee").assign(coupon="x").to_csv(data / "test.csv", index=False)
    summary, profile = perceive(data, target="churn")
    warned(summary, "test.csv lacks 1 column(s) of the train table (fee): they cannot be used as features",
           "test.csv has 1 column(s) the train table lacks (coupon): ignored")
    assert summary.target == "churn"


def test_some_missing_targets_are_left_out_and_said(tmp_path: Path) -> None:
    data = write_task(tmp_path / "d")
    pd.read_csv(data / "train.csv").assign(churn=lambda t: t.churn.mask(t.index % 6 == 0)).to_csv(
        data / "train.csv", index=False)
    summary, _ = perceive(data)
    warned(summary, "train.csv: 10 of 60 rows have no 'churn' value; they are left out of training")


def test_all_nan_column_mixed_types_and_infinities_are_profiled(tmp_path: Path) -> None:
    data = frame()
    data["empty"] = np.nan
    data["mixed"] = [str(i) if i % 3 else f"x{i}" for i in range(len(data))]
    data.loc[::7, "fee"] = np.inf
    summary, profile = perceive(write_task(tmp_path / "d", data))
    cols = {c.name: c for c in profile.columns}
    assert cols["empty"].kind == "constant" and "all missing" in cols["empty"].notes
    assert cols["mixed"].kind == "categorical" and cols["mixed"].n_unique == 60  # text, not a broken number
    assert cols["fee"].kind == "numeric" and np.isfinite(cols["fee"].max)
    assert "9 infinite values (excluded from the summary)" in cols["fee"].notes
    assert summary.target == "churn"


def test_ten_thousand_level_categorical(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = frame(10_500)
    data["code"] = [f"c{i}" for i in rng.permutation(len(data))]  # every value new: 10,000 training levels
    summary, profile = perceive(write_task(tmp_path / "d", data, n_test=500))
    code = next(c for c in profile.columns if c.name == "code")
    assert code.n_unique == 10_000 and code.unseen_in_test_rate == 1.0
    assert summary.id_column == "id" and summary.target == "churn"


def test_two_thousand_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(150, 2000)).round(3), columns=[f"f{i}" for i in range(2000)])
    data = pd.concat([frame(150), wide], axis=1)
    began = time.monotonic()
    summary, profile = perceive(write_task(tmp_path / "d", data, n_test=50))
    assert time.monotonic() - began < 20
    assert len(profile.columns) == 2005 and summary.target == "churn"


def test_unicode_and_spaces_in_the_path(tmp_path: Path) -> None:
    summary, _ = perceive(write_task(tmp_path / "données d'été" / "my task 2"))
    assert summary.name == "my task 2" and summary.data_dir.endswith("données d'été/my task 2")


def test_corrupt_image_and_wav_are_counted_not_fatal(tmp_path: Path) -> None:
    from media_tasks import make_picture_clip_task

    folder = tmp_path / "media"
    make_picture_clip_task(folder, n_train=16, n_test=6)
    (folder / "pictures" / "p003.png").write_bytes(b"\x89PNG not really")
    (folder / "clips" / "c004.wav").write_bytes(b"RIFF....WAVEfmt broken")
    summary, profile = perceive(folder)
    by_column = {m.column: m for m in profile.media}
    assert by_column["picture"].n_unreadable == 1 and "p003.png" in by_column["picture"].unreadable_examples[0]
    assert by_column["clip"].n_unreadable == 1 and "c004.wav" in by_column["clip"].unreadable_examples[0]


def test_runtime_reader_matches_what_perception_read(tmp_path: Path) -> None:
    """The pipeline's reader (iml_runtime.tables, the same module) gets the frame perception saw."""
    data = write_task(tmp_path / "d", accented(), sep=";", decimal=",", encoding="cp1252")
    table = read_runtime_table(data / "train.csv")
    assert (table.format.encoding, table.format.sep, table.format.decimal) == ("cp1252", ";", ",")
    assert table.frame["plan"].str.contains("é").any() and table.frame["fee"].dtype.kind == "f"


def test_a_table_iml_cannot_read_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(DataError, match="binary file"):
        analyze_task(tmp_path)


# ---------------------------------------------------------------- whole runs: the sandboxed pipeline reads them too

def run_iml(workdir: Path, data: Path, budget: str) -> tuple[subprocess.CompletedProcess, Path]:
    before = fingerprint(data)
    proc = subprocess.run([sys.executable, "-m", "iml.cli", "run", str(data), "--time-budget", budget],
                          cwd=workdir, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert fingerprint(data) == before
    run = next((workdir / "runs").iterdir())
    return proc, run


def events(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def test_run_on_latin1_semicolons_in_a_unicode_path_with_an_unknown_metric(tmp_path: Path) -> None:
    data = accented()
    text = "Predict `churn`.\n\n## Evaluation\n\nThe metric is the Brier score.\n"
    folder = write_task(tmp_path / "données d'été" / "churn task", data, sep=";", decimal=",", encoding="cp1252",
                        description=text, sample=False)
    proc, run = run_iml(tmp_path, folder, "10")
    warnings = [e["message"] for e in events(run) if e.get("event", e.get("type")) == "input_warning"]
    assert any("cp1252" in w for w in warnings) and any("semicolons" in w for w in warnings), warnings
    assert any("Brier score" in w for w in warnings), warnings
    assert "semicolons" in proc.stdout + proc.stderr
    assert "columns separated by semicolons" in (run / "report.html").read_text()
    submission = pd.read_csv(run / "submission.csv")
    assert submission["id"].tolist() == data["id"].tail(20).tolist()
    assert submission["churn"].notna().all()

    # `iml predict` on new rows saved the same way: the fitted pipeline reads them with the same reader
    new_rows = folder.parent / "nouvelles lignes.csv.gz"
    data.drop(columns="churn").head(7).to_csv(new_rows, index=False, sep=";", decimal=",", encoding="cp1252")
    written = predict_file(run, new_rows, tmp_path / "predicted.csv", on_note=lambda note: None)
    predicted = pd.read_csv(written)
    assert predicted["id"].tolist() == list(range(7)) and predicted["churn"].between(0, 1).all()


def test_run_on_gzip_and_zip_with_bom_crlf_repeated_ids_and_a_one_second_budget(tmp_path: Path) -> None:
    data = frame(120)
    data.loc[::9, "fee"] = -np.inf
    data["empty"] = np.nan
    data.loc[[3, 17, 40], "churn"] = np.nan
    data.loc[[101, 102], "id"] = 100  # three test rows share id 100
    folder = write_task(tmp_path / "data", data, encoding="utf-8-sig", lineterminator="\r\n", sample=False)
    test = pd.read_csv(folder / "test.csv", encoding="utf-8-sig").drop(columns="plan")
    test.to_csv(folder / "test.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    with gzip.open(folder / "train.csv.gz", "wb") as f:
        f.write((folder / "train.csv").read_bytes())
    with zipfile.ZipFile(folder / "test.zip", "w") as archive:
        archive.write(folder / "test.csv", "test.csv")
    (folder / "train.csv").unlink()
    (folder / "test.csv").unlink()
    proc, run = run_iml(tmp_path, folder, "1")
    warnings = " | ".join(e["message"] for e in events(run) if e.get("event", e.get("type")) == "input_warning")
    for needle in ("byte-order mark", "test.zip repeats 2 'id' value(s)", "test.zip lacks 1 column(s) of the train "
                   "table (plan)", "train.csv.gz: 3 of 100 rows have no 'churn' value"):
        assert needle in warnings, (needle, warnings)
    submission = pd.read_csv(run / "submission.csv")
    assert submission.columns.tolist() == ["id", "churn"]
    assert submission["id"].tolist() == data["id"].tail(20).tolist()  # one row per test row, repeats kept
    assert submission["churn"].between(0, 1).all()
