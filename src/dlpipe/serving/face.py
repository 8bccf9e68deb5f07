"""Who the pipeline's face CNN sees in a photo (the embedding model: serving.face_embedding).

The photo goes through the same detector, crop and model as training: the extraction settings
are read from the model file, not from params.yaml, so a later params change cannot skew them.
`FaceClassifier` is that model loaded once; the registered pyfunc model (`dlpipe-faces`) and
`dlpipe predict-face` both answer through it.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from dlpipe import paths
from dlpipe.config import FaceExtractConfig
from dlpipe.data.face_data import images_to_tensor
from dlpipe.models.face_model_io import FaceModelError, load_face_model
from dlpipe.serving.errors import REPRO_ADVICE, ServingError, require_file, shown
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.extraction import Photo, extract_one
from dlpipe.vision.images import EXTENSIONS, ImageTooLargeError, read_header

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FacePrediction:
    """The people the model ranks for one photo, or why no face could be used.

    `ranked` is every class with its probability, best first; empty when no usable face was
    found, and then `reason` says why (`readable`: whether the photo could be read at all).
    """

    photo: Path
    ranked: list[tuple[str, float]]
    box: tuple[int, int, int, int] | None  # x, y, w, h of the face used
    notes: str
    reason: str
    readable: bool
    distance: float | None = None  # embedding model: to the named person's nearest training face
    threshold: float | None = None  # embedding model: farther than this is "unknown"
    score_name: str = "probability"  # what the numbers in `ranked` are

    @property
    def found(self) -> bool:
        return bool(self.ranked)

    @property
    def unknown(self) -> bool:
        """A face was found but it is too far from the person the model names."""
        return (
            self.found
            and self.distance is not None
            and self.threshold is not None
            and not self.distance <= self.threshold
        )


def default_model_path(root: Path) -> Path:
    return paths.models_dir(root) / "face_cnn" / "model.pt"


def predict_face(
    photo: Path, model_path: Path | None = None, root: Path | None = None
) -> FacePrediction:
    """Detect, crop and classify the face in `photo` with the model at `model_path`
    (default: models/face_cnn/model.pt of the project at `root`, the working directory's)."""
    root = root or paths.project_root()
    if model_path is not None:
        require_file(model_path, "a face model file (e.g. models/face_cnn/model.pt)")
    model_path = model_path or default_model_path(root)
    if not model_path.is_file():
        raise ServingError(
            f"no face model yet ({shown(model_path, root)}): "
            f"{REPRO_ADVICE.format(stage='train_face_cnn')}"
        )
    return FaceClassifier.load(model_path).predict(photo)


@dataclass(frozen=True, eq=False)
class FaceClassifier:
    """A loaded face model with the detector of the extraction settings it was trained with."""

    network: torch.nn.Module
    classes: tuple[str, ...]
    cfg: FaceExtractConfig
    detector: FaceDetector

    @classmethod
    def load(cls, model_path: Path) -> FaceClassifier:
        """The model file written by the train_face_cnn stage (`save_face_model`)."""
        log.info("loading the face model %s", model_path)
        try:
            network, classes, meta = load_face_model(model_path)
            cfg = FaceExtractConfig(**meta["extract"])
        except FaceModelError as exc:
            raise ServingError(str(exc)) from exc
        except KeyError as exc:
            raise ServingError(
                f"{model_path}: no {exc} settings stored; retrain the face CNN"
            ) from exc
        except (TypeError, ValueError) as exc:
            raise ServingError(
                f"{model_path}: the stored extract settings do not fit this code ({exc}); "
                "retrain the face CNN"
            ) from exc
        return cls(network, classes, cfg, FaceDetector(cfg))

    def predict(self, photo: Path) -> FacePrediction:
        """Detect, crop and classify the face in the image file `photo`."""
        require_file(photo, "an image file (JPEG, PNG, ...)")
        log.info("detecting a face with the model's extraction settings: %s", self.cfg)
        outcome = extract_one(Photo(photo, "", "photo"), self.cfg, self.detector)
        if outcome.crop is None:
            return FacePrediction(
                photo, [], None, outcome.notes, outcome.reason, bool(outcome.width)
            )
        with torch.no_grad():
            logits = self.network(images_to_tensor(outcome.crop[None]))
            probs = torch.softmax(logits, dim=1)[0]
        ranked = sorted(zip(self.classes, probs.tolist(), strict=True), key=lambda p: -p[1])
        box = tuple(int(v) for v in outcome.box) if outcome.box else None
        return FacePrediction(photo, ranked, box, outcome.notes, "", True)

    def predict_bytes(self, data: bytes) -> FacePrediction:
        """`predict` for an image file's bytes (JPEG, PNG, ...): they are written to a temporary
        file named for their format, so reading them is exactly the extraction stage's."""
        with tempfile.TemporaryDirectory(prefix="dlpipe-face-") as folder:
            photo = Path(folder) / f"image{suffix_for(data)}"
            photo.write_bytes(data)
            result = self.predict(photo)
        return replace(result, photo=Path(photo.name))


def suffix_for(data: bytes) -> str:
    """The usual file extension of the image format `data` is in ("" when unknown)."""
    try:
        image_format = read_header(Path("image"), data).format
    except ImageTooLargeError:
        return ""  # reading the file will say so
    known = EXTENSIONS.get(image_format, set())
    usual = f".{image_format.lower()}"
    return usual if usual in known else min(known, default="")
