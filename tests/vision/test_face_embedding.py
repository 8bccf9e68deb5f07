"""dlib's pretrained embedding on real gallery photos: the pinned files load, the chip is aligned,
descriptors are deterministic and separate people; dlib's HOG detector gives Haar-style boxes.

The model files are fetched once into the project's download cache (the place the pipeline
uses, so a clean clone downloads the 100 MB sdist once, here or in `dvc repro`).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest
from vision_helpers import ONE_FACE, gallery_file

from dlpipe.config import FaceEmbeddingConfig, FaceExtractConfig, load_params
from dlpipe.paths import origin_root, project_root
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.face_embedding import Box, FaceEmbedder
from dlpipe.vision.face_models import (
    FaceModelError,
    FaceModelPaths,
    FaceModels,
    fetch_face_models,
    load_face_models,
)
from dlpipe.vision.hog_detection import HogFaceDetector, box_in_photo
from dlpipe.vision.images import load_image

BEN_2 = "ben_afflek/httptrwebimgacstanetcxbdddmediasnmediajpg.jpg"
MADONNA_1 = "madonna/httpimagegaladevcmseamadonnaprivatdetektivsquaretopsquarejpgv.jpg"
MADONNA_2 = (
    "madonna/httpcdncdnjustjaredcomwpcontentuploadsheadlinesmadonnatalksparisattackstearsjpg.jpg"
)
SAME_PERSON_DISTANCE = 0.6  # dlib's cut: the same person is usually closer than this


@pytest.fixture(scope="session")
def embedding_cfg() -> FaceEmbeddingConfig:
    return load_params().face_embedding


@pytest.fixture(scope="session")
def model_paths(embedding_cfg: FaceEmbeddingConfig) -> FaceModelPaths:
    """The real files, fetched (once per clone) into the pipeline's own download cache."""
    cache = origin_root(project_root(Path(__file__).parent)) / embedding_cfg.cache_dir
    return fetch_face_models(embedding_cfg, cache)


@pytest.fixture(scope="session")
def embedder(model_paths: FaceModelPaths, embedding_cfg: FaceEmbeddingConfig) -> FaceEmbedder:
    return FaceEmbedder.from_config(load_face_models(model_paths), embedding_cfg)


@pytest.fixture(scope="session")
def haar(cfg: FaceExtractConfig) -> FaceDetector:
    return FaceDetector(cfg)


@pytest.fixture(scope="session")
def hog(cfg: FaceExtractConfig) -> HogFaceDetector:
    return HogFaceDetector(upsample=1, max_side=cfg.detect_max_side)


def _photo(name: str, cfg: FaceExtractConfig, haar: FaceDetector) -> tuple[np.ndarray, Box]:
    """RGB pixels of a gallery photo and the one face Haar finds in it."""
    bgr = load_image(gallery_file(name), cfg.max_pixels).bgr
    (box,) = haar.detect(bgr)
    return bgr[:, :, ::-1], box  # a non-contiguous view on purpose: the embedder copes


def _rotated(rgb: np.ndarray, box: Box, degrees: float) -> np.ndarray:
    """The photo turned about the box's centre, so the same box still holds the face."""
    x, y, w, h = box
    turn = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), degrees, 1.0)
    size = (rgb.shape[1], rgb.shape[0])
    return cv2.warpAffine(np.ascontiguousarray(rgb), turn, size, borderMode=cv2.BORDER_REPLICATE)


def _eye_heights(landmarks: np.ndarray) -> tuple[float, float]:
    """Mean y of each eye's two corners (points 0-1 and 2-3)."""
    return landmarks[:2, 1].mean(), landmarks[2:4, 1].mean()


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def test_a_gallery_face_gives_landmarks_a_chip_and_a_descriptor(
    embedder: FaceEmbedder, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    rgb, box = _photo(ONE_FACE, cfg, haar)
    face = embedder.embed(rgb, box)
    x, y, w, h = box
    assert face.landmarks.shape == (5, 2)
    assert np.all((face.landmarks[:, 0] >= x) & (face.landmarks[:, 0] < x + w))
    assert np.all((face.landmarks[:, 1] >= y) & (face.landmarks[:, 1] < y + h))
    assert face.chip.shape == (150, 150, 3) and face.chip.dtype == np.uint8
    assert face.descriptor.shape == (128,) and face.descriptor.dtype == np.float64
    assert 1.0 < np.linalg.norm(face.descriptor) < 2.0  # dlib's raw scale, documented
    again = embedder.embed(np.ascontiguousarray(rgb), box)
    assert np.array_equal(again.descriptor, face.descriptor)
    assert np.array_equal(again.chip, face.chip)


def test_the_chip_is_what_the_network_embeds(
    embedder: FaceEmbedder, model_paths: FaceModelPaths, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    rgb, box = _photo(ONE_FACE, cfg, haar)
    face = embedder.embed(rgb, box)
    resnet = embedder.models.resnet
    assert np.array_equal(np.asarray(resnet.compute_face_descriptor(face.chip, 0)), face.descriptor)
    image = np.ascontiguousarray(rgb)
    direct = resnet.compute_face_descriptor(image, embedder.shape(image, box), 0, 0.25)
    assert np.allclose(np.asarray(direct), face.descriptor, atol=1e-6)  # dlib's own alignment


def test_alignment_levels_the_eyes_of_a_turned_face(
    embedder: FaceEmbedder, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    rgb, box = _photo(ONE_FACE, cfg, haar)
    upright = embedder.embed(rgb, box)
    for degrees in (-20.0, 20.0):
        turned = embedder.embed(_rotated(rgb, box, degrees), box)
        left, right = _eye_heights(turned.landmarks)
        assert abs(left - right) > 15  # the eyes are far from level in the turned photo
        in_chip = embedder.landmarks(turned.chip, (0, 0, 150, 150))
        left, right = _eye_heights(in_chip)
        assert abs(left - right) <= 3  # and level in its chip
        assert _distance(turned.descriptor, upright.descriptor) < 0.15


def test_two_photos_of_one_person_are_closer_than_photos_of_two_people(
    embedder: FaceEmbedder, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    names = [ONE_FACE, BEN_2, MADONNA_1, MADONNA_2]
    ben_1, ben_2, madonna_1, madonna_2 = embedder.embed_many(
        _photo(name, cfg, haar) for name in names
    )
    same = [
        _distance(ben_1.descriptor, ben_2.descriptor),
        _distance(madonna_1.descriptor, madonna_2.descriptor),
    ]
    different = [
        _distance(a.descriptor, b.descriptor)
        for a in (ben_1, ben_2)
        for b in (madonna_1, madonna_2)
    ]
    assert max(same) < SAME_PERSON_DISTANCE < min(different)


def test_a_batch_gives_the_same_faces_as_one_by_one(
    embedder: FaceEmbedder, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    photos = [_photo(name, cfg, haar) for name in (ONE_FACE, MADONNA_1)]
    batch = embedder.embed_many(photos)
    single = [embedder.embed(rgb, box) for rgb, box in photos]
    for one, other in zip(batch, single, strict=True):
        assert np.array_equal(one.landmarks, other.landmarks)
        assert np.array_equal(one.chip, other.chip)
        assert np.allclose(one.descriptor, other.descriptor, atol=1e-6)
    assert embedder.embed_many([]) == []


def test_wrong_photos_and_boxes_are_refused(embedder: FaceEmbedder) -> None:
    rgb = np.zeros((60, 60, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"shape \(height, width, 3\)"):
        embedder.embed(rgb[:, :, 0], (0, 0, 30, 30))
    with pytest.raises(ValueError, match="float32"):
        embedder.embed(rgb.astype(np.float32), (0, 0, 30, 30))
    with pytest.raises(ValueError, match="3 colour channels"):
        embedder.embed(np.zeros((60, 60, 4), dtype=np.uint8), (0, 0, 30, 30))
    with pytest.raises(ValueError, match="empty"):
        embedder.embed(rgb, (10, 10, 0, 20))


def test_missing_or_damaged_model_files_name_the_file_and_the_fix(
    tmp_path: Path, model_paths: FaceModelPaths
) -> None:
    missing = tmp_path / "resnet.dat"
    with pytest.raises(FaceModelError, match="face embedding ResNet") as caught:
        load_face_models(FaceModelPaths(resnet=missing, landmarks=model_paths.landmarks))
    assert f"{missing} is missing" in str(caught.value)
    garbage = tmp_path / "five.dat"
    garbage.write_bytes(b"not a shape predictor")
    with pytest.raises(FaceModelError, match="5-point landmark model") as caught:
        load_face_models(FaceModelPaths(resnet=model_paths.resnet, landmarks=garbage))
    assert f"cannot read {garbage}" in str(caught.value) and "delete it" in str(caught.value)


def test_the_models_are_the_pinned_members(
    model_paths: FaceModelPaths, embedding_cfg: FaceEmbeddingConfig
) -> None:
    members = embedding_cfg.members
    assert model_paths.resnet.as_posix().endswith(members.resnet.name)
    assert model_paths.landmarks.as_posix().endswith(members.landmarks.name)
    loaded = load_face_models(model_paths)
    assert isinstance(loaded, FaceModels)
    assert isinstance(loaded.landmarks, dlib.shape_predictor)


# --- dlib's HOG detector ----------------------------------------------------------------------


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, width) * max(0, height)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_hog_finds_the_face_haar_finds_and_its_box_feeds_the_embedder(
    hog: HogFaceDetector, embedder: FaceEmbedder, cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    rgb, haar_box = _photo(ONE_FACE, cfg, haar)
    (box,) = hog.detect(np.ascontiguousarray(rgb))
    assert all(isinstance(v, int) for v in box)
    assert _overlap(box, haar_box) > 0.4
    from_hog, from_haar = embedder.embed(rgb, box), embedder.embed(rgb, haar_box)
    assert _distance(from_hog.descriptor, from_haar.descriptor) < 0.2
    assert hog.detect(np.full((200, 200, 3), 128, dtype=np.uint8)) == []


def test_hog_boxes_of_a_scaled_down_photo_are_in_original_pixels(
    cfg: FaceExtractConfig, haar: FaceDetector
) -> None:
    rgb, _ = _photo(ONE_FACE, cfg, haar)
    (box,) = HogFaceDetector(upsample=1, max_side=1000).detect(np.ascontiguousarray(rgb))
    big = cv2.resize(np.ascontiguousarray(rgb), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    (scaled,) = HogFaceDetector(upsample=1, max_side=300).detect(big)
    assert _overlap(scaled, tuple(3 * v for v in box)) > 0.7


def test_hog_boxes_past_the_edges_are_clipped_to_the_photo() -> None:
    assert box_in_photo(dlib.rectangle(-10, -5, 49, 54), 1.0, 40, 100) == (0, 0, 40, 55)
    assert box_in_photo(dlib.rectangle(10, 20, 29, 39), 0.5, 100, 100) == (20, 40, 40, 40)
