from __future__ import annotations

import cv2
import numpy as np
import pytest
from vision_helpers import PAINTABLE, gallery_file

from dlpipe.vision.crops import crop_face, square_crop_box
from dlpipe.vision.detection import CascadeError, FaceDetector


def test_missing_cascade_fails_with_its_name(cfg) -> None:
    with pytest.raises(CascadeError, match=r"no_such_cascade\.xml"):
        FaceDetector(cfg.replace(cascade="no_such_cascade.xml"))


def test_empty_cascade_file_fails(cfg, tmp_path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text("")
    with pytest.raises(CascadeError, match="empty"):
        FaceDetector(cfg.replace(cascade=str(empty)))


def test_finds_the_one_face_and_nothing_in_flat_grey(cfg, face_photo) -> None:
    detector = FaceDetector(cfg)
    (x, y, w, _), *others = detector.detect(face_photo)
    assert not others
    assert abs(x - 31) <= 4 and abs(y - 66) <= 4 and abs(w - 142) <= 6
    assert detector.detect(np.full((300, 300, 3), 128, np.uint8)) == []


def test_large_photo_is_detected_at_capped_size_and_boxes_scaled_back(cfg, face_photo) -> None:
    big = cv2.resize(face_photo, None, fx=8, fy=8, interpolation=cv2.INTER_LINEAR)  # 1600x2400
    (x, y, w, _), *others = FaceDetector(cfg).detect(big)
    assert not others
    assert abs(x - 8 * 31) <= 40 and abs(y - 8 * 66) <= 40 and abs(w - 8 * 142) <= 60


def test_eye_check_drops_a_face_box_without_eyes(cfg) -> None:
    image = cv2.imread(str(gallery_file(PAINTABLE)))
    (x, y, w, h), *_ = FaceDetector(cfg).detect(image)
    image[y + h // 5 : y + h // 2, x : x + w] = image[y + h // 5 : y + h // 2, x : x + w].mean(
        axis=(0, 1)
    )
    assert len(FaceDetector(cfg).detect(image)) == 1  # eye check off: still "a face"
    checked = FaceDetector(cfg.replace(eye_check=True)).scan(image)
    assert checked.faces == [] and checked.without_eyes == 1


def test_eye_check_keeps_a_real_face(cfg, face_photo) -> None:
    assert len(FaceDetector(cfg.replace(eye_check=True)).detect(face_photo)) == 1


@pytest.mark.parametrize(
    ("box", "margin", "size", "expected"),
    [
        ((40, 40, 20, 20), 0.0, (100, 100), (40, 40, 20, 20)),
        ((40, 40, 20, 20), 0.5, (100, 100), (30, 30, 40, 40)),  # widened on each side
        ((40, 30, 20, 40), 0.0, (100, 100), (30, 30, 40, 40)),  # squared around the centre
        ((0, 0, 20, 20), 0.5, (100, 100), (0, 0, 40, 40)),  # shifted inside at the top left
        ((85, 85, 15, 15), 0.5, (100, 100), (70, 70, 30, 30)),  # shifted at the bottom right
        ((60, 10, 60, 60), 0.5, (200, 80), (50, 0, 80, 80)),  # clipped to the shorter side
    ],
)
def test_square_crop_box(box, margin, size, expected) -> None:
    assert square_crop_box(box, margin, *size) == expected


@pytest.mark.parametrize("color", ["grey", "rgb"])
@pytest.mark.parametrize("size", [48, 64])
def test_crop_shape_and_dtype(cfg, face_photo, color, size) -> None:
    settings = cfg.replace(color=color, size=size)
    crop = crop_face(face_photo, (31, 66, 142, 142), settings)
    assert crop.dtype == np.uint8
    assert crop.shape == ((size, size) if color == "grey" else (size, size, 3))


def test_upscaled_crop_of_a_small_face(cfg) -> None:
    tiny_face = np.random.default_rng(0).integers(0, 255, (30, 30, 3), dtype=np.uint8)
    assert crop_face(tiny_face, (5, 5, 20, 20), cfg).shape == (cfg.size, cfg.size)


def test_rgb_crop_is_in_rgb_order(cfg) -> None:
    blue = np.zeros((100, 100, 3), np.uint8)
    blue[:, :, 0] = 255
    crop = crop_face(blue, (20, 20, 50, 50), cfg.replace(color="rgb", equalize=False))
    assert crop[..., 2].min() == 255 and crop[..., 0].max() == 0


@pytest.mark.parametrize("color", ["grey", "rgb"])
def test_equalisation_stretches_a_dull_crop(cfg, color) -> None:
    dull = np.dstack([np.tile(np.linspace(100, 140, 100).astype(np.uint8), (100, 1))] * 3)
    plain = crop_face(dull, (0, 0, 100, 100), cfg.replace(color=color, equalize=False))
    equalised = crop_face(dull, (0, 0, 100, 100), cfg.replace(color=color))
    assert int(plain.max()) - int(plain.min()) <= 41
    assert int(equalised.max()) - int(equalised.min()) >= 200
