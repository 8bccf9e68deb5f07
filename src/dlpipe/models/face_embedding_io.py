"""The embedding face model as a folder: the fitted linear classifier, the training embeddings
the unknown check measures against, the threshold and the extraction settings.

The classifier can only be stored by pickling, so `model.json` pins the pickle's sha256 and
loading refuses any other file before unpickling (as models.tabular_model_io does). The arrays
are a plain .npz read without pickle. dlib's two model files are not copied here: they are
pinned by params.yaml's face_embedding section, whose settings the card carries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from dlpipe.atomic import atomic_path, write_json

FORMAT = "dlpipe.face_embedding_model"
VERSION = 1
PICKLE, ARRAYS, CARD = "classifier.joblib", "train_embeddings.npz", "model.json"


class FaceEmbeddingModelError(ValueError):
    """A model folder that is missing, incomplete or tampered with."""


@dataclass(frozen=True, eq=False)
class StoredEmbeddingModel:
    classifier: Any  # takes L2-normalised descriptors, answers class indices
    classes: tuple[str, ...]
    train_descriptors: np.ndarray  # raw descriptors of the training faces (N x 128)
    train_labels: np.ndarray  # their class indices
    threshold: float  # distance above which a face is "unknown"
    extract: dict[str, Any]  # face_extract settings (detector, limits)
    embedding: dict[str, Any]  # face_embedding settings (model files, chip, jitter)


def save_face_embedding_model(folder: Path, model: StoredEmbeddingModel) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / PICKLE) as tmp:
        joblib.dump(model.classifier, tmp)
    with atomic_path(folder / ARRAYS) as tmp, tmp.open("wb") as handle:
        np.savez(handle, descriptors=model.train_descriptors, labels=model.train_labels)
    card = {
        "format": FORMAT,
        "version": VERSION,
        "classes": list(model.classes),
        "threshold": model.threshold,
        "extract": model.extract,
        "embedding": model.embedding,
        "sha256": {name: _sha256(folder / name) for name in (PICKLE, ARRAYS)},
    }
    write_json(folder / CARD, card)
    return folder


def load_face_embedding_model(folder: Path) -> StoredEmbeddingModel:
    """The model in `folder`, after checking both files against the card's sha256s."""
    card_file = folder / CARD
    if not card_file.is_file():
        raise FaceEmbeddingModelError(f"{card_file}: no model card; run `make repro` first")
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FaceEmbeddingModelError(f"{card_file}: not JSON ({exc})") from None
    if card.get("format") != FORMAT or card.get("version") != VERSION:
        raise FaceEmbeddingModelError(
            f"{card_file}: not a {FORMAT} v{VERSION} card (format {card.get('format')!r})"
        )
    for name in (PICKLE, ARRAYS):
        path = folder / name
        if not path.is_file():
            raise FaceEmbeddingModelError(f"{path}: missing; run `make repro` first")
        if _sha256(path) != card["sha256"][name]:
            raise FaceEmbeddingModelError(
                f"{path}: sha256 is not the one its card pins; refusing to load it (rerun "
                "`make repro` to rebuild the model)"
            )
    with np.load(folder / ARRAYS, allow_pickle=False) as arrays:
        descriptors, labels = arrays["descriptors"], arrays["labels"]
    return StoredEmbeddingModel(
        classifier=joblib.load(folder / PICKLE),
        classes=tuple(card["classes"]),
        train_descriptors=descriptors,
        train_labels=labels,
        threshold=float(card["threshold"]),
        extract=card["extract"],
        embedding=card["embedding"],
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
