"""`python -m dlpipe.predict_face PHOTO`: who the pipeline's face CNN sees in a photo.

The photo goes through the same detector, crop and model as training: the extraction settings
are read from the model file, not from params.yaml, so a later params change cannot skew them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from dlpipe import paths
from dlpipe.config import ConfigError, FaceExtractConfig, build
from dlpipe.data.face_data import images_to_tensor
from dlpipe.models.face_model_io import load_face_model
from dlpipe.vision.detection import FaceDetector
from dlpipe.vision.extraction import Photo, extract_one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photo", type=Path, help="an image file (JPEG, PNG, ...)")
    parser.add_argument("--top", type=int, default=3, help="how many people to list")
    parser.add_argument(
        "--model", type=Path, default=None, help="default: models/face_cnn/model.pt"
    )
    args = parser.parse_args(argv)
    model_path = args.model or paths.models_dir(paths.project_root()) / "face_cnn" / "model.pt"
    try:
        network, classes, meta = load_face_model(model_path)
        cfg = build(FaceExtractConfig, meta["extract"], f"{model_path}: extract")
    except (FileNotFoundError, ValueError, KeyError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.photo.is_file():
        print(f"error: {args.photo}: no such file", file=sys.stderr)
        return 2
    outcome = extract_one(Photo(args.photo, "", "photo"), cfg, FaceDetector(cfg))
    if outcome.crop is None:
        advice = "; try a frontal, well-lit photo" if outcome.width else ""
        print(f"{args.photo}: no usable face ({outcome.reason}){advice}")
        return 1
    with torch.no_grad():
        probs = torch.softmax(network(images_to_tensor(outcome.crop[None])), dim=1)[0]
    ranked = sorted(zip(classes, probs.tolist(), strict=True), key=lambda p: -p[1])
    x, y, w, h = outcome.box or (0, 0, 0, 0)
    best, p_best = ranked[0]
    print(f"{args.photo}: {best} (probability {p_best:.3f}); face box x={x} y={y} w={w} h={h}")
    if outcome.notes:
        print(f"  note: {outcome.notes}")
    for name, p in ranked[1 : max(args.top, 1)]:
        print(f"  then {name} ({p:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
