"""The embedding face model folder served: a person within the threshold, "unknown" beyond it,
a tampered classifier refused; the pyfunc model adds `distance` and `unknown`.

The folder is built from real gallery photos with the real dlib files (fetched once into this
clone's download cache), so the path from photo to answer is the one `dlpipe predict-face` runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe import cli
from dlpipe.config import as_plain, load_params
from dlpipe.evaluation.face_unknown import unit_rows
from dlpipe.models.face_embedding_io import (
    PICKLE,
    StoredEmbeddingModel,
    save_face_embedding_model,
)
from dlpipe.paths import data_path, origin_root, project_root
from dlpipe.serving.errors import ServingError
from dlpipe.serving.face_embedding import EmbeddingFaceClassifier
from dlpipe.serving.pyfunc import FaceModel, encode_image
from dlpipe.training.face_embedding_classifier import make_classifier
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.face_embedding import FaceEmbedder
from dlpipe.vision.face_models import FaceModelPaths, fetch_face_models, load_face_models
from dlpipe.vision.images import load_image

GALLERY = data_path(project_root(Path(__file__).parent), "../shared/data/faces/five-celebrities")
BEN = "ben_afflek/httptrwebimgacstanetcxbdddmediasnmediajpg.jpg"
MADONNA = "madonna/httpimagegaladevcmseamadonnaprivatdetektivsquaretopsquarejpgv.jpg"
MADONNA_2 = (
    "madonna/httpcdncdnjustjaredcomwpcontentuploadsheadlinesmadonnatalksparisattackstearsjpg.jpg"
)
THRESHOLD = 1e-6  # only a training photo itself is this close


def gallery_file(name: str) -> Path:
    path = GALLERY / name
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine")
    return path


@pytest.fixture(scope="module")
def model_files() -> FaceModelPaths:
    cfg = load_params().face_embedding
    return fetch_face_models(cfg, origin_root(project_root(Path(__file__).parent)) / cfg.cache_dir)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, model_files: FaceModelPaths) -> Path:
    """A model trained on the descriptors of two photos (one face each, so the served box is
    the one used here), with a threshold of 1e-6: only those very photos are known."""
    params = load_params()
    extract, cfg = params.face_extract, params.face_embedding
    embedder = FaceEmbedder.from_config(load_face_models(model_files), cfg)
    descriptors = []
    for name in (BEN, MADONNA):
        bgr = load_image(gallery_file(name), extract.max_pixels).bgr
        (box,) = FaceDetector(extract).detect(bgr)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        descriptors.append(embedder.embed(rgb, tuple(int(v) for v in box)).descriptor)
    x, y = np.stack(descriptors), np.array([0, 1])
    classifier = make_classifier("svm", 1.0, 0).fit(unit_rows(x), y)
    stored = StoredEmbeddingModel(
        classifier,
        ("ben_afflek", "madonna"),
        x,
        y,
        THRESHOLD,
        as_plain(extract),
        as_plain(cfg),
    )
    return save_face_embedding_model(tmp_path_factory.mktemp("face") / "face_embedding", stored)


def test_a_training_photo_is_named_and_another_photo_is_unknown(
    folder: Path, model_files: FaceModelPaths
) -> None:
    classifier = EmbeddingFaceClassifier.load(folder, model_files)
    known = classifier.predict(gallery_file(BEN))
    assert known.ranked[0][0] == "ben_afflek" and known.distance == 0.0 and not known.unknown
    assert known.score_name == "margin" and known.threshold == THRESHOLD
    stranger = classifier.predict(gallery_file(MADONNA_2))
    assert stranger.found and stranger.unknown and stranger.distance > THRESHOLD


def test_predict_face_answers_unknown_with_the_distance(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["predict-face", str(gallery_file(MADONNA_2)), "--model", str(folder)]) == 0
    said = capsys.readouterr().out
    assert ": unknown (distance " in said and f"> threshold {THRESHOLD:.3f}" in said
    assert cli.main(["predict-face", str(gallery_file(BEN)), "--model", str(folder)]) == 0
    assert ": ben_afflek (margin " in capsys.readouterr().out


def test_the_pyfunc_model_adds_distance_and_unknown(
    folder: Path, model_files: FaceModelPaths
) -> None:
    model = FaceModel()
    model.load(
        {
            "model": str(folder),
            "resnet": str(model_files.resnet),
            "landmarks": str(model_files.landmarks),
        }
    )
    images = [encode_image(gallery_file(BEN)), encode_image(gallery_file(MADONNA_2))]
    known, stranger = model.predict(None, pd.DataFrame({"image": images})).to_dict("records")
    assert known["person"] == "ben_afflek" and known["distance"] == 0.0
    assert known["unknown"] is False and np.isnan(known["probability"])
    assert stranger["person"] == "unknown" and stranger["unknown"] is True
    assert stranger["distance"] > THRESHOLD


def test_a_tampered_classifier_is_refused(
    folder: Path, model_files: FaceModelPaths, tmp_path: Path
) -> None:
    copy = tmp_path / "face_embedding"
    shutil.copytree(folder, copy)
    (copy / PICKLE).write_bytes((copy / PICKLE).read_bytes() + b"x")
    with pytest.raises(ServingError, match="sha256 is not the one its card pins"):
        EmbeddingFaceClassifier.load(copy, model_files)
