"""DVC stage train_face_cnn: the pretrained embedding, the course's CNN and Eigenfaces + SVM on
the same split; the embedding model is the one registered and served."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.atomic import write_text
from dlpipe.config import as_plain
from dlpipe.data.face_data import FaceSplits, image_channels
from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_crops import load_split_arrays, read_split_table
from dlpipe.datasets.face_embeddings import FaceEmbeddings, load_embeddings
from dlpipe.datasets.face_splits import SPLITS as SPLIT_NAMES
from dlpipe.evaluation.eigenfaces import eigenface_images
from dlpipe.evaluation.verdicts import verdict
from dlpipe.families.faces import CROPS, EMBEDDINGS, REPORTS, SPLITS
from dlpipe.models.face_embedding_io import StoredEmbeddingModel, save_face_embedding_model
from dlpipe.models.face_model_io import save_face_model
from dlpipe.reporting.face_outputs import (
    EIGENFACES_SHOWN,
    OUTPUTS,
    describe_data,
    write_face_outputs,
    write_skipped_outputs,
)
from dlpipe.reporting.face_summaries import numeric_leaves
from dlpipe.reporting.headline import headline, skipped_headline
from dlpipe.serving.pyfunc import register_face_embedding_model
from dlpipe.stage import Skipped, Stage
from dlpipe.training.face_comparison import compare_face_models
from dlpipe.training.face_three_way import (
    all_predictions,
    all_scores,
    three_way_metrics,
    train_embedding_model,
)
from dlpipe.training.face_unknown_study import LabelledFaces
from dlpipe.vision.face_models import fetch_face_models

SHOWN = ("accuracy", "macro_f1")


def train_face_cnn(stage: Stage) -> None:
    """Three models on the same split; the CNN and the embedding model saved with the
    extraction settings they need."""
    params = stage.params
    cnn_dir, embedding_dir = stage.out("models/face_cnn"), stage.out("models/face_embedding")
    targets = {name: stage.out(f"{REPORTS}/{name}") for name in OUTPUTS}
    table = read_split_table(stage.path(SPLITS))
    x, y, classes = load_split_arrays(stage.path(CROPS), table)
    sizes = {split: len(labels) for split, labels in y.items()}
    if len(classes) < 2 or any(size == 0 for size in sizes.values()):
        reason = f"no images: {len(classes)} people with faces, photos per split {sizes}"
        write_skipped_outputs(reason, targets, cnn_dir)
        write_text(embedding_dir / "SKIPPED.txt", reason + "\n")
        stage.write_headline(f"{REPORTS}/metrics.json", skipped_headline())
        raise Skipped(reason)
    faces = labelled_faces(load_embeddings(stage.path(EMBEDDINGS)), table, classes)
    data = FaceSplits(x=x, y=y, classes=classes)
    result = compare_face_models(
        data,
        params.face_cnn,
        params.eigenfaces,
        params.training,
        params.seed,
        stage.run,
        cnn_dir / "checkpoints",
    )
    for split, labelled in faces.items():
        if not np.array_equal(labelled.labels, y[split]):
            raise DatasetError(f"{split}: embeddings and crops disagree; rerun embed_faces")
    embedding = train_embedding_model(faces, classes, params.face_embedding, params.seed)
    save_face_model(
        cnn_dir / "model.pt",
        result.cnn.network,
        classes,
        params.face_cnn,
        in_channels=image_channels(x["train"]),
        size=x["train"].shape[1],
        extract=as_plain(params.face_extract),
    )
    stored = StoredEmbeddingModel(
        classifier=embedding.fit.model,
        classes=classes,
        train_descriptors=faces["train"].descriptors,
        train_labels=faces["train"].labels,
        threshold=embedding.unknown.threshold,
        extract=as_plain(params.face_extract),
        embedding=as_plain(params.face_embedding),
    )
    save_face_embedding_model(embedding_dir, stored)
    if stage.run is not None:
        cfg = params.face_embedding
        files = fetch_face_models(cfg, paths.origin_root(stage.root) / cfg.cache_dir)
        register_face_embedding_model(stage.run, embedding_dir, files, example_photo(stage))
    metrics = three_way_metrics(result, embedding, classes)
    if stage.run is not None:
        stage.run.log_metrics(numeric_leaves(metrics, "details/"))
    scores = all_scores(result, embedding)
    emb, cnn = scores["embedding"]["test"], scores["cnn"]["test"]
    test = metrics["pairwise_tests"]["embedding_vs_cnn"]
    unknown = metrics["unknown"]
    stage.write_headline(
        f"{REPORTS}/metrics.json",
        headline(
            model={k: emb[k] for k in SHOWN},
            baseline={k: cnn[k] for k in SHOWN},
            comparison={
                "p_value": test["p_value"],
                "verdict": verdict(
                    test["p_value"], test["embedding_only_right"] > test["cnn_only_right"]
                ),
                "eigenfaces/accuracy": scores["eigenfaces"]["test"]["accuracy"],
                "unknown/threshold": unknown["threshold"],
                "unknown/false_accept": unknown["false_accept_mean"],
            },
            data={"people": len(classes), **sizes},
        ),
    )
    n_faces = min(EIGENFACES_SHOWN, result.eigenfaces.n_components)
    description = describe_data(classes, x["train"].shape[1:], sizes, params.face_split.source)
    write_face_outputs(
        metrics,
        scores,
        result.cnn.history,
        list(eigenface_images(result.eigenfaces.model, n_faces)),
        classes,
        description,
        {model: by_split["test"] for model, by_split in all_predictions(result, embedding).items()},
        y["test"],
        targets,
        embedding.test_map,
    )


def labelled_faces(
    table: FaceEmbeddings, splits: pd.DataFrame, classes: tuple[str, ...]
) -> dict[str, LabelledFaces]:
    """Descriptors and class indices per split, checked to be the split table's faces in its
    order (the CNN and Eigenfaces read the crops in that order: the predictions must align)."""
    index = {person: i for i, person in enumerate(classes)}
    faces: dict[str, LabelledFaces] = {}
    for split in SPLIT_NAMES:
        part = table.split(split)
        expected = splits.loc[splits["split"] == split, "key"].tolist()
        if part.keys.tolist() != expected:
            raise DatasetError(
                f"{split}: the embeddings are not the split table's faces in its order; rerun "
                "embed_faces"
            )
        labels = np.array([index[p] for p in part.people.tolist()], dtype=np.int64)
        faces[split] = LabelledFaces(part.descriptors.astype(np.float64), labels)
    return faces


def example_photo(stage: Stage) -> Path:
    """A photo extraction accepted (the registered model's input example is a full photo)."""
    audit = pd.read_csv(stage.path(f"{REPORTS}/audit.csv"), dtype=str)
    first = audit[audit["accepted"].str.lower() == "true"].iloc[0]
    return stage.root / first["path"]
