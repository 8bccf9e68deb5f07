"""How much the face verdict depends on the split: the three face models over several seeds.

With about 21 test photos one photo is ~5 points of accuracy, so one split's verdict is weak
evidence. This reruns the train_face_cnn stage's three models (the pretrained dlib embedding +
linear SVM, the course's CNN, Eigenfaces + SVM; same library calls, default params) on the
pipeline's crops with the seed changed (it drives the person-stratified split and the training),
and reports each seed and the mean. The descriptors do not depend on the split, so the embedding
model reads them by photo key from the embed_faces stage's table.

`--own-split`: the gallery's own `splits.csv` instead (its val photos are the test split, the
same for every seed; the seed then draws our val from its train photos and seeds the training).

Run after `dvc repro embed_faces` (which needs the crops and the split):
.venv/bin/python benchmarks/face_seed_study.py [--seeds 42 43 44 45 46 47] [--own-split]
    [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.config import load_params
from dlpipe.data.face_data import FaceSplits
from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_crops import accepted_items, load_split_arrays, read_manifest
from dlpipe.datasets.face_embeddings import FaceEmbeddings, load_embeddings
from dlpipe.datasets.face_splits import SPLITS, plan_splits, split_rows
from dlpipe.families.faces import CROPS, EMBEDDINGS
from dlpipe.stage import configure_logging
from dlpipe.training.face_comparison import compare_face_models
from dlpipe.training.face_three_way import all_scores, three_way_metrics, train_embedding_model
from dlpipe.training.face_unknown_study import LabelledFaces
from docs_section import write_section

HEADING = (
    "Three face models over seeds: embedding vs CNN vs Eigenfaces + SVM "
    "(not speed: how firm the verdict is)"
)
DEFAULT_SEEDS = [42, 43, 44, 45, 46, 47]
OWN_HEADING = "Three face models on the gallery's own split (its val photos as the test split)"
SPLIT_WORDS = {
    False: "person-stratified",
    True: "the gallery's splits.csv: the same test photos for every seed",
}
P_COLUMNS = ("p embedding vs cnn", "p embedding vs eigenfaces")  # a mean of p-values means nothing
AHEAD_COLUMNS = (
    "embedding ahead of cnn",
    "embedding ahead of eigenfaces",
    "cnn ahead of eigenfaces",
)


def one_seed(
    root: Path, seed: int, embeddings: FaceEmbeddings, own_split: bool
) -> dict[str, float | bool]:
    """Test accuracy of the three models, the embedding's macro F1, McNemar's p of the embedding
    against each other model, and which model is ahead of which, for one seed's split."""
    params = load_params(root / "params.yaml")
    crops = root / CROPS
    items = accepted_items(crops, read_manifest(paths.data_raw(root) / "faces"))
    cfg = params.face_split.replace(source="file" if own_split else "stratified")
    named = cfg.splits_file or f"{params.face_crawl.gallery}/splits.csv"
    plan = plan_splits(items, cfg, seed, paths.data_path(root, named))
    rows = pd.DataFrame(split_rows(items, plan))
    x, y, classes = load_split_arrays(crops, rows)
    faces = faces_by_key(embeddings, rows, classes)
    for split, labelled in faces.items():
        if not np.array_equal(labelled.labels, y[split]):
            raise DatasetError(f"{split}: embeddings and crops disagree; rerun embed_faces")
    training = params.training.replace(progress_bar=False)
    with tempfile.TemporaryDirectory() as checkpoints:
        result = compare_face_models(
            FaceSplits(x=x, y=y, classes=classes),
            params.face_cnn,
            params.eigenfaces,
            training,
            seed,
            None,
            Path(checkpoints),
        )
    embedding = train_embedding_model(faces, classes, params.face_embedding, seed)
    tests = three_way_metrics(result, embedding, classes)["pairwise_tests"]
    test = {model: by_split["test"] for model, by_split in all_scores(result, embedding).items()}
    return {
        "embedding accuracy": test["embedding"]["accuracy"],
        "cnn accuracy": test["cnn"]["accuracy"],
        "eigenfaces accuracy": test["eigenfaces"]["accuracy"],
        "embedding macro F1": test["embedding"]["macro_f1"],
        "p embedding vs cnn": tests["embedding_vs_cnn"]["p_value"],
        "p embedding vs eigenfaces": tests["embedding_vs_eigenfaces"]["p_value"],
        "embedding ahead of cnn": _ahead(test["embedding"], test["cnn"]),
        "embedding ahead of eigenfaces": _ahead(test["embedding"], test["eigenfaces"]),
        "cnn ahead of eigenfaces": _ahead(test["cnn"], test["eigenfaces"]),
    }


def faces_by_key(
    table: FaceEmbeddings, rows: pd.DataFrame, classes: tuple[str, ...]
) -> dict[str, LabelledFaces]:
    """Descriptors per split in the crops' order, looked up by photo key: the stage's table holds
    the default split, but a descriptor does not depend on the split, so any seed's split can
    reuse it. Labels come from the table's people, so the caller can check them against the
    crops' labels."""
    row_of = {key: i for i, key in enumerate(table.keys.tolist())}
    missing = sorted(set(rows["key"]) - set(row_of))
    if missing:
        raise DatasetError(
            f"{len(missing)} face(s) without a descriptor (first {missing[0]}); run "
            "`dvc repro embed_faces`"
        )
    index = {person: i for i, person in enumerate(classes)}
    faces: dict[str, LabelledFaces] = {}
    for split in SPLITS:
        at = [row_of[key] for key in rows.loc[rows["split"] == split, "key"]]
        labels = np.array([index[p] for p in table.people[at].tolist()], dtype=np.int64)
        faces[split] = LabelledFaces(table.descriptors[at].astype(np.float64), labels)
    return faces


def _ahead(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Accuracy first, macro F1 on a tie: the order the face page uses."""
    return (a["accuracy"], a["macro_f1"]) > (b["accuracy"], b["macro_f1"])


def _cell(column: str, value: float | bool) -> str:
    if column in AHEAD_COLUMNS:
        return "yes" if value else "no"
    return f"{value:.3f}"


def _mean_cell(column: str, values: list[float | bool]) -> str:
    """The mean row: verdicts are counted, p-values left out, the rest averaged."""
    if column in AHEAD_COLUMNS:
        return f"{sum(bool(v) for v in values)} of {len(values)}"
    if column in P_COLUMNS:
        return "-"
    return f"{statistics.fmean(values):.3f}"


def table(rows: Mapping[int, Mapping[str, float | bool]]) -> str:
    columns = list(next(iter(rows.values())))
    lines = ["| seed | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for seed, row in rows.items():
        lines.append(f"| {seed} | " + " | ".join(_cell(c, row[c]) for c in columns) + " |")
    means = [_mean_cell(c, [row[c] for row in rows.values()]) for c in columns]
    lines.append("| mean | " + " | ".join(means) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS)
    parser.add_argument(
        "--own-split", action="store_true", help="the gallery's splits.csv, not seeded splits"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    configure_logging()  # the stages' quiet: no Lightning tips
    root = paths.project_root(Path(__file__).resolve().parent)
    if not (root / CROPS).is_dir():
        sys.exit("no face crops: run `dvc repro extract_faces` first")
    try:
        embeddings = load_embeddings(root / EMBEDDINGS)
        rows = {seed: one_seed(root, seed, embeddings, args.own_split) for seed in args.seeds}
    except DatasetError as error:
        sys.exit(str(error))
    body = (
        f"{table(rows)}\n\n"
        f"Test split of each seed ({SPLIT_WORDS[args.own_split]}, default params; the "
        "embedding's descriptors "
        "are the embed_faces stage's, looked up by photo; `ahead`: accuracy, then macro F1 on "
        "ties, as in the report; p: McNemar's exact test on that seed's test photos).\n"
        "The seeds' test sets overlap and share the training photos, so their predictions are "
        "not independent: no test is run on the predictions pooled over seeds; the count of "
        "per-seed verdicts is the result.\n"
        f"Measured {datetime.date.today()}; command: `python benchmarks/face_seed_study.py"
        f"{' --own-split' if args.own_split else ''}"
        f"{'' if args.seeds == DEFAULT_SEEDS else ' --seeds ' + ' '.join(map(str, args.seeds))}`."
    )
    print(body)
    if args.write_docs:
        name, heading = (
            ("face_own_split", OWN_HEADING) if args.own_split else ("face_seed_study", HEADING)
        )
        write_section(root / "docs" / "benchmarks.md", name, heading, body)


if __name__ == "__main__":
    main()
