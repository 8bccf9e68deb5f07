"""One photo to one face outcome, and the same over many photos in worker processes."""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path

import cv2
import numpy as np

from dlpipe.config import FaceExtractConfig
from dlpipe.vision.crops import Box, crop_face, square_crop_box
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.images import ImageReadError, ImageTooLargeError, load_image

CHUNKS_PER_WORKER = 4  # enough to even out slow photos, few enough to keep pickling cheap


@dataclass(frozen=True)
class Photo:
    path: Path
    person: str
    key: str  # an id for the photo (the stage passes the file's sha256)


@dataclass(frozen=True)
class FaceOutcome:
    """What happened to one photo; `crop` is left out of == (arrays have no single truth)."""

    key: str
    person: str
    path: Path
    accepted: bool
    reason: str  # "" if accepted
    faces_found: int
    box: Box | None  # chosen face, original pixels
    crop_box: Box | None  # after margin and squaring, original pixels
    width: int  # original size, 0 if unknown
    height: int
    source_mode: str
    notes: str
    crop: np.ndarray | None = field(default=None, compare=False, repr=False)


def extract_one(photo: Photo, cfg: FaceExtractConfig, detector: FaceDetector) -> FaceOutcome:
    """Read, check, detect, choose and crop one photo; every problem becomes a reason."""

    def rejected(
        reason: str, faces: int = 0, width: int = 0, height: int = 0, mode: str = "", notes=""
    ) -> FaceOutcome:
        return FaceOutcome(
            photo.key, photo.person, photo.path, False, reason, faces, None, None,
            width, height, mode, notes,
        )  # fmt: skip

    try:
        loaded = load_image(photo.path, cfg.max_pixels)
    except ImageTooLargeError as exc:
        reason = str(exc).removeprefix(f"{photo.path}: ")
        return rejected(reason, width=exc.width, height=exc.height)
    except ImageReadError as exc:
        return rejected(f"unreadable: {str(exc).removeprefix(f'{photo.path}: ')}")
    image = loaded.bgr
    height, width = image.shape[:2]
    mode = loaded.source_mode
    notes = [loaded.notes] if loaded.notes else []
    if min(width, height) < cfg.min_side:
        reason = f"too small: {width}x{height} < {cfg.min_side}"
        return rejected(reason, 0, width, height, mode, loaded.notes)
    detection = detector.scan(image)
    faces = detection.faces
    if detection.without_eyes:
        notes.append(f"{detection.without_eyes} face box(es) without eyes dropped")
    if not faces:
        reason = "no eyes in face box" if detection.without_eyes else "no face found"
        return rejected(reason, 0, width, height, mode, "; ".join(notes))
    if len(faces) > 1 and cfg.multiple_faces == "reject":
        reason = f"{len(faces)} faces (policy: reject)"
        return rejected(reason, len(faces), width, height, mode, "; ".join(notes))
    if len(faces) > 1:
        notes.append(f"{len(faces)} faces, kept the largest")
    box = max(faces, key=lambda b: b[2] * b[3])
    return FaceOutcome(
        photo.key,
        photo.person,
        photo.path,
        True,
        "",
        len(faces),
        box,
        square_crop_box(box, cfg.margin, width, height),
        width,
        height,
        loaded.source_mode,
        "; ".join(notes),
        crop_face(image, box, cfg),
    )


def extract_safely(photo: Photo, cfg: FaceExtractConfig, detector: FaceDetector) -> FaceOutcome:
    """extract_one that turns even an unexpected error into a rejected outcome."""
    try:
        return extract_one(photo, cfg, detector)
    except Exception as exc:  # one odd photo must not stop the batch
        return FaceOutcome(
            photo.key, photo.person, photo.path, False,
            f"failed: {type(exc).__name__}: {exc}", 0, None, None, 0, 0, "", "",
        )  # fmt: skip


def extract_faces(photos: Sequence[Photo], cfg: FaceExtractConfig) -> list[FaceOutcome]:
    """extract_one over all photos, in cfg.workers processes (0 = one per core), in order.

    Workers get paths, not pixels, in a few chunks each, and build their detector once. With one
    worker (or one photo) everything runs here, with OpenCV's own threads left on.
    """
    workers = min(cfg.workers or os.cpu_count() or 1, len(photos))
    if workers <= 1:
        detector = FaceDetector(cfg)
        return [extract_safely(photo, cfg, detector) for photo in photos]
    FaceDetector(cfg)  # a bad cascade name fails here, once, not in every worker
    chunksize = max(1, math.ceil(len(photos) / (workers * CHUNKS_PER_WORKER)))
    with ProcessPoolExecutor(
        workers, mp_context=worker_context(), initializer=start_worker, initargs=(cfg,)
    ) as pool:
        return list(pool.map(extract_in_worker, photos, chunksize=chunksize))


def worker_context() -> BaseContext:
    """forkserver on Linux: workers fork from a clean server that has this module imported.

    Plain fork would copy a parent that may run OpenCV, OpenBLAS or torch threads (unsafe);
    spawn would import cv2 and numpy in every worker of every call. The forkserver imports them
    once per parent process, so later calls start workers in milliseconds.
    """
    if sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class WorkerState:
    """The detector of this worker process, set by start_worker (never in the parent)."""

    cfg: FaceExtractConfig | None = None
    detector: FaceDetector | None = None


def start_worker(cfg: FaceExtractConfig) -> None:
    """Pool initializer: one OpenCV thread per process (the processes are the parallelism)."""
    cv2.setNumThreads(1)
    WorkerState.cfg = cfg
    WorkerState.detector = FaceDetector(cfg)


def extract_in_worker(photo: Photo) -> FaceOutcome:
    assert WorkerState.cfg is not None and WorkerState.detector is not None
    return extract_safely(photo, WorkerState.cfg, WorkerState.detector)
