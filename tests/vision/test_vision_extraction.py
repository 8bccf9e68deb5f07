from __future__ import annotations

import collections
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_vision_images import png_claiming
from vision_helpers import GALLERY, PAINTABLE, gallery_file

from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.extraction import FaceOutcome, Photo, extract_faces, extract_one


def one(path: Path, cfg) -> FaceOutcome:
    return extract_one(Photo(path, "someone", path.name), cfg, FaceDetector(cfg))


def test_one_face_is_accepted_with_boxes_and_crop(cfg, face_photo, write_png) -> None:
    outcome = one(write_png("face.png", face_photo), cfg)
    assert outcome.accepted and outcome.reason == "" and outcome.faces_found == 1
    assert (outcome.width, outcome.height) == (200, 300)
    x, y, w, h = outcome.box
    cx, cy, side, side_h = outcome.crop_box
    assert side == side_h and cx <= x and cy <= y and cx + side >= x + w and cy + side >= y + h
    assert outcome.crop.shape == (cfg.size, cfg.size) and outcome.crop.dtype == np.uint8
    assert outcome.source_mode == "PNG RGB"


def test_face_in_png_named_jpg_with_alpha(cfg, face_photo, write_png) -> None:
    bgra = cv2.cvtColor(face_photo, cv2.COLOR_BGR2BGRA)
    outcome = one(write_png("face.jpg", bgra), cfg)
    assert outcome.accepted
    assert "content is PNG, extension .jpg" in outcome.notes and "alpha" in outcome.notes


def test_greyscale_face_is_accepted(cfg, face_photo, write_png) -> None:
    grey = cv2.cvtColor(face_photo, cv2.COLOR_BGR2GRAY)
    outcome = one(write_png("grey.png", grey), cfg)
    assert outcome.accepted and "greyscale" in outcome.notes


def side_by_side(face_photo: np.ndarray) -> np.ndarray:
    smaller = cv2.resize(face_photo, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    pad = face_photo.shape[0] - smaller.shape[0]
    return np.concatenate([face_photo, np.pad(smaller, ((0, pad), (0, 0), (0, 0)))], axis=1)


def test_several_faces_keep_the_largest(cfg, face_photo, write_png) -> None:
    outcome = one(write_png("two.png", side_by_side(face_photo)), cfg)
    assert outcome.accepted and outcome.faces_found == 2
    assert outcome.box[0] < 100  # the full-size face on the left, not the small copy
    assert outcome.notes == "2 faces, kept the largest"


def test_several_faces_rejected_by_policy(cfg, face_photo, write_png) -> None:
    twice = np.concatenate([face_photo, face_photo], axis=1)
    outcome = one(write_png("two.png", twice), cfg.replace(multiple_faces="reject"))
    assert not outcome.accepted and outcome.reason == "2 faces (policy: reject)"
    assert outcome.faces_found == 2 and outcome.box is None and outcome.crop is None


def test_no_face_in_flat_grey(cfg, write_png) -> None:
    outcome = one(write_png("grey.png", np.full((200, 200, 3), 128, np.uint8)), cfg)
    assert not outcome.accepted and outcome.reason == "no face found"
    assert (outcome.width, outcome.height) == (200, 200)


def test_eye_check_reason(cfg, write_png) -> None:
    image = cv2.imread(str(gallery_file(PAINTABLE)))
    (x, y, w, h), *_ = FaceDetector(cfg).detect(image)
    band = image[y + h // 5 : y + h // 2, x : x + w]
    band[:] = band.mean(axis=(0, 1))  # no eyes, but the face cascade still fires
    path = write_png("eyeless.png", image)
    assert one(path, cfg).accepted
    outcome = one(path, cfg.replace(eye_check=True))
    assert not outcome.accepted and outcome.reason == "no eyes in face box"
    assert "1 face box(es) without eyes dropped" in outcome.notes


def test_tiny_image_is_rejected_with_its_size(cfg, write_png) -> None:
    outcome = one(write_png("tiny.png", np.zeros((40, 30, 3), np.uint8)), cfg)
    assert not outcome.accepted and outcome.reason == "too small: 30x40 < 48"


def test_unreadable_and_too_large_are_recorded(cfg, tmp_path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8garbage")
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_claiming(10_000, 5_000))
    bad = one(junk, cfg)
    assert not bad.accepted and bad.reason.startswith("unreadable: ") and bad.width == 0
    big = one(huge, cfg)
    assert not big.accepted and big.reason.startswith("too many pixels: 10000x5000")
    assert (big.width, big.height) == (10_000, 5_000)


def test_batch_never_raises_and_keeps_order(cfg, face_photo, write_png, tmp_path) -> None:
    missing = Photo(tmp_path / "gone.jpg", "x", "k0")
    photos = [
        missing,
        Photo(write_png("a.png", face_photo), "a", "k1"),
        Photo(write_png("b.png", np.full((100, 100, 3), 90, np.uint8)), "b", "k2"),
        Photo(write_png("c.png", np.zeros((10, 10, 3), np.uint8)), "c", "k3"),
    ] * 3
    for workers in (1, 2):
        outcomes = extract_faces(photos, cfg.replace(workers=workers))
        assert [o.key for o in outcomes] == [p.key for p in photos]
        assert [o.accepted for o in outcomes[:4]] == [False, True, False, False]


def gallery_photos() -> list[Photo]:
    if not GALLERY.is_dir():
        pytest.skip(f"gallery missing: {GALLERY}")
    files = sorted(p for p in GALLERY.glob("*/*") if p.suffix.lower() in (".jpg", ".png"))
    return [Photo(path, path.parent.name, path.name) for path in files]


def test_real_gallery_parallel_equals_serial(cfg) -> None:
    photos = gallery_photos()
    serial = extract_faces(photos, cfg.replace(workers=1))
    parallel = extract_faces(photos, cfg.replace(workers=2))
    assert serial == parallel  # every field but the crop pixels
    for a, b in zip(serial, parallel, strict=True):
        assert (a.crop is None) == (b.crop is None)
        assert a.crop is None or np.array_equal(a.crop, b.crop)
    counts = collections.Counter(
        "rejected" if not o.accepted else "one" if o.faces_found == 1 else "several" for o in serial
    )
    assert len(photos) == 118
    assert 95 <= counts["one"] <= 107 and 5 <= counts["several"] <= 13
    assert 4 <= counts["rejected"] <= 12
    assert all(o.reason in ("", "no face found") for o in serial)
    notes = " | ".join(o.notes for o in serial)
    assert "content is PNG, extension .jpg" in notes and "greyscale" in notes and "alpha" in notes


def test_hog_detector_accepts_the_face_haar_finds(cfg, face_photo, write_png) -> None:
    """`face_extract.detector: hog` runs dlib's detector through the same extraction."""
    path = write_png("face.png", face_photo)
    haar, hog = one(path, cfg), one(path, cfg.replace(detector="hog"))
    assert hog.accepted and hog.faces_found == 1 and hog.crop.shape == haar.crop.shape
    (hx, hy, hw, hh), (x, y, w, h) = hog.box, haar.box
    inter_w = min(hx + hw, x + w) - max(hx, x)
    inter_h = min(hy + hh, y + h) - max(hy, y)
    assert inter_w > 0 and inter_h > 0 and inter_w * inter_h > 0.4 * hw * hh  # same face
    assert not one(write_png("grey.png", np.full((200, 200, 3), 128, np.uint8)),
                   cfg.replace(detector="hog")).accepted  # fmt: skip


def test_hog_boxes_below_min_size_are_dropped(cfg, face_photo) -> None:
    hog = cfg.replace(detector="hog")
    (box,) = FaceDetector(hog).detect(face_photo)
    assert FaceDetector(hog.replace(min_size=min(box[2:]) + 1)).detect(face_photo) == []


def test_hog_runs_in_worker_processes(cfg, face_photo, write_png) -> None:
    """dlib's detector is built in each worker (it cannot be pickled across)."""
    paths = [write_png(f"face{i}.png", face_photo) for i in range(3)]
    photos = [Photo(p, "someone", p.name) for p in paths]
    outcomes = extract_faces(photos, cfg.replace(detector="hog", workers=2))
    assert [o.accepted for o in outcomes] == [True, True, True]
