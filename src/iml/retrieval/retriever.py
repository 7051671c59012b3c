"""Model Retriever, expert brain: the offline catalog, filtered to what is loadable on this machine.

A candidate counts as loadable only when its library imports and its weights are
on disk (a package that carries them, a local path, a folder under $IML_CHECKPOINTS,
or the hub cache); runs never download. Every skipped candidate keeps the reason,
so the run folder says why it was not used.

Checkpoints a person puts under $IML_CHECKPOINTS (folders holding a ``config.json``,
e.g. written by ``save_pretrained``) are offered first, whether the catalog names
them or not: putting them there is the way to ask for them.
"""

from __future__ import annotations

import importlib.util
import json
import os
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from iml.distribution import install_hint

CHECKPOINTS_ENV = "IML_CHECKPOINTS"  # folder(s) of local checkpoints, separated like PATH
# Keys of a preprocessor_config.json that say what the encoder reads.
AUDIO_KEYS = ("sampling_rate",)
IMAGE_KEYS = ("image_mean", "crop_size", "do_resize")


class Checkpoint(BaseModel):
    modality: str
    name: str
    source: str
    library: str
    size_mb: float
    licence: str
    dim: int | None = None  # width of the pooled embedding
    location: str | None = None  # what the generated code loads: a folder path or a hub id
    loadable: bool = False
    reason: str = ""


class Retrieval(BaseModel):
    checkpoints: list[Checkpoint]

    def best(self, modality: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.modality == modality and c.loadable), None)

    def why_not(self, modality: str) -> str:
        """Why no checkpoint of a modality is loadable, one reason per candidate."""
        return "; ".join(f"{c.name}: {c.reason}" for c in self.checkpoints if c.modality == modality) or "catalog empty"


def catalog() -> dict:
    return json.loads(resources.files("iml").joinpath("data/catalog.json").read_text())


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _hub_cached(repo_id: str) -> Path | None:
    root = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    folder = root / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    snapshots = sorted(folder.glob("*")) if folder.is_dir() else []
    return snapshots[-1] if snapshots else None


def checkpoint_roots() -> list[Path]:
    value = os.environ.get(CHECKPOINTS_ENV, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def _in_roots(name: str) -> Path | None:
    """A hub id's folder under $IML_CHECKPOINTS: 'org/model', 'org--model' or 'model'."""
    for root in checkpoint_roots():
        for candidate in (root / name, root / name.replace("/", "--"), root / name.split("/")[-1]):
            if (candidate / "config.json").is_file():
                return candidate
    return None


def _locate(entry: dict) -> tuple[str | None, str]:
    """(location, reason): where the weights are, or why they cannot be had."""
    if not _has(entry["library"]):
        return None, f"library {entry['library']} is not installed ({install_hint('pretrained')})"
    if entry["source"] == "package":
        spec = importlib.util.find_spec(entry["package"])
        if spec is None or spec.origin is None:
            return None, f"package {entry['package']} is not installed"
        folder = Path(spec.origin).parent / entry.get("subdir", "")
        return (str(folder), "weights carried by the package") if folder.is_dir() else (None, f"{folder} missing")
    if entry.get("local_path") and Path(entry["local_path"]).expanduser().exists():
        return str(Path(entry["local_path"]).expanduser()), "local folder named by the catalog"
    if entry["source"] == "path":
        return (entry["path"], "local folder") if Path(entry["path"]).exists() else (None, f"{entry['path']} missing")
    if entry["source"] == "hub":
        local = _in_roots(entry["name"])
        if local:
            return str(local), f"local folder under ${CHECKPOINTS_ENV}"
        cached = _hub_cached(entry["name"])
        if cached:
            return str(cached), "in the hub cache"
        return None, (f"not in the hub cache nor under ${CHECKPOINTS_ENV}; runs download nothing "
                      "(fetch it once with huggingface_hub.snapshot_download, or save it under that folder)")
    return None, f"{entry['source']} weights need a download; none is possible offline"


def describe_local(folder: Path) -> dict | None:
    """A catalog-style entry for a checkpoint folder, its modality read from its own files; None if not one."""
    config_path = folder / "config.json"
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text())
        processor = folder / "preprocessor_config.json"
        prep = json.loads(processor.read_text()) if processor.is_file() else {}
    except (OSError, ValueError):
        return None
    sentence = (folder / "modules.json").is_file() or (folder / "config_sentence_transformers.json").is_file()
    if sentence:
        modality, library = "text", "sentence_transformers"
    elif any(k in prep for k in AUDIO_KEYS):
        modality, library = "audio", "transformers"
    elif any(k in prep for k in IMAGE_KEYS):
        modality, library = "image", "transformers"
    else:
        modality, library = "text", "sentence_transformers"  # a plain encoder: mean-pooled sentence embeddings
    hidden = config.get("hidden_size") or (config.get("hidden_sizes") or [None])[-1]
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    return {"name": folder.name, "source": "path", "path": str(folder), "library": library, "modality": modality,
            "size_mb": round(size, 3), "licence": config.get("license", "unknown (local folder)"), "dim": hidden}


def _local_entries(known: set[str]) -> list[dict]:
    """Checkpoint folders under $IML_CHECKPOINTS (one or two levels deep) that the catalog does not name."""
    found = []
    for root in checkpoint_roots():
        folders = [root] + sorted(p for p in root.glob("*") if p.is_dir()) + sorted(p for p in root.glob("*/*") if p.is_dir())
        for folder in folders:
            entry = describe_local(folder)
            if entry and str(folder.resolve()) not in known:
                known.add(str(folder.resolve()))
                found.append(entry)
    return found


def retrieve(modalities: set[str]) -> Retrieval:
    found = []
    entries = [(modality, entry) for modality, items in catalog().items() if not modality.startswith("_")
               for entry in items]
    catalogued = {str(p.resolve()) for p in map(_in_roots, (e["name"] for _, e in entries)) if p}
    entries = [(e["modality"], e) for e in _local_entries(catalogued)] + entries
    for modality, entry in entries:
        if modality not in modalities:
            continue
        location, reason = _locate(entry)
        found.append(Checkpoint(modality=modality, name=entry["name"], source=entry["source"],
                                library=entry["library"], size_mb=entry["size_mb"], licence=entry["licence"],
                                dim=entry.get("dim"), location=location, loadable=location is not None,
                                reason=reason))
    return Retrieval(checkpoints=found)
