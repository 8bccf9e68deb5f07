"""Who the pretrained embedding model sees in a photo, or "unknown".

The photo goes through the extraction stage's detector (settings read from the model folder),
the Haar box seeds dlib's alignment, and the descriptor is classified; the face is "unknown" when
it lies farther than the stored threshold from every training face of the person named. This is
the registered `dlpipe-faces` model; `dlpipe predict-face --model models/face_cnn/model.pt`
still answers with the course's CNN (serving.face).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dlpipe import paths
from dlpipe.config import FaceEmbeddingConfig, FaceExtractConfig
from dlpipe.evaluation.face_unknown import nearest_distances, unit_rows
from dlpipe.models.face_embedding_io import (
    FaceEmbeddingModelError,
    StoredEmbeddingModel,
    load_face_embedding_model,
)
from dlpipe.serving.errors import REPRO_ADVICE, ServingError, require_file, shown
from dlpipe.serving.face import FacePrediction, suffix_for
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.extraction import Photo, extract_one
from dlpipe.vision.face_embedding import FaceEmbedder
from dlpipe.vision.face_models import (
    FaceModelError,
    FaceModelPaths,
    fetch_face_models,
    load_face_models,
)
from dlpipe.vision.images import load_image

log = logging.getLogger(__name__)


def default_folder(root: Path) -> Path:
    return paths.models_dir(root) / "face_embedding"


@dataclass(frozen=True, eq=False)
class EmbeddingFaceClassifier:
    """The stored classifier and training embeddings, with the detector and embedder they need."""

    stored: StoredEmbeddingModel
    extract: FaceExtractConfig
    detector: FaceDetector
    embedder: FaceEmbedder

    @classmethod
    def load(
        cls, folder: Path, model_files: FaceModelPaths | None = None, root: Path | None = None
    ) -> EmbeddingFaceClassifier:
        """The folder train_face_cnn wrote; dlib's files from `model_files`, else fetched (and
        checked) into the download cache of the project at `root`."""
        if not folder.exists():
            root = root or paths.project_root()
            raise ServingError(
                f"no face embedding model yet ({shown(folder, root)}): "
                f"{REPRO_ADVICE.format(stage='train_face_cnn')}"
            )
        log.info("loading the face embedding model %s", folder)
        try:
            stored = load_face_embedding_model(folder)
            extract = FaceExtractConfig(**stored.extract)
            embedding = FaceEmbeddingConfig(**stored.embedding)
        except FaceEmbeddingModelError as exc:
            raise ServingError(str(exc)) from exc
        except (TypeError, ValueError) as exc:
            raise ServingError(
                f"{folder}: the stored settings do not fit this code ({exc}); rerun train_face_cnn"
            ) from exc
        try:
            if model_files is None:
                cache = paths.origin_root(root or paths.project_root()) / embedding.cache_dir
                model_files = fetch_face_models(embedding, cache)
            models = load_face_models(model_files)
        except FaceModelError as exc:
            raise ServingError(str(exc)) from exc
        embedder = FaceEmbedder.from_config(models, embedding)
        return cls(stored, extract, FaceDetector(extract), embedder)

    def predict(self, photo: Path) -> FacePrediction:
        """Detect, align, embed and classify the face in `photo`; `distance` and `threshold`
        say whether it is known (see FacePrediction.unknown)."""
        require_file(photo, "an image file (JPEG, PNG, ...)")
        outcome = extract_one(Photo(photo, "", "photo"), self.extract, self.detector)
        if outcome.crop is None or outcome.box is None:
            return FacePrediction(
                photo, [], None, outcome.notes, outcome.reason, bool(outcome.width)
            )
        box = tuple(round(float(v)) for v in outcome.box)
        bgr = load_image(photo, self.extract.max_pixels).bgr
        face = self.embedder.embed(np.ascontiguousarray(bgr[..., ::-1]), box)
        ranked, score_name = self.rank(face.descriptor)
        named = self.stored.classes.index(ranked[0][0])
        distance = nearest_distances(
            face.descriptor[None],
            self.stored.train_descriptors,
            self.stored.train_labels,
            [named],
        )[0]
        return FacePrediction(
            photo,
            ranked,
            box,  # type: ignore[arg-type]
            outcome.notes,
            "",
            True,
            distance=float(distance),
            threshold=self.stored.threshold,
            score_name=score_name,
        )

    def rank(self, descriptor: np.ndarray) -> tuple[list[tuple[str, float]], str]:
        """Every person with the classifier's score, best first, and what the score is."""
        model = self.stored.classifier
        x = unit_rows(descriptor[None])
        if hasattr(model, "predict_proba"):
            scores, name = model.predict_proba(x)[0], "probability"
        else:
            margins = np.atleast_1d(model.decision_function(x)[0])
            scores = np.array([-margins[0], margins[0]]) if margins.size == 1 else margins
            name = "margin"
        people = [self.stored.classes[int(i)] for i in model.classes_]
        ranked = sorted(zip(people, map(float, scores), strict=True), key=lambda p: -p[1])
        return ranked, name

    def predict_bytes(self, data: bytes) -> FacePrediction:
        """`predict` for an image file's bytes, read exactly as the extraction stage reads."""
        with tempfile.TemporaryDirectory(prefix="dlpipe-face-") as folder:
            photo = Path(folder) / f"image{suffix_for(data)}"
            photo.write_bytes(data)
            result = self.predict(photo)
        return replace(result, photo=Path(photo.name))
