"""DVC stage train_face_cnn: the CNN against Eigenfaces + SVM on the same split."""

from __future__ import annotations

from dlpipe.config import as_plain
from dlpipe.data.face_data import FaceSplits, image_channels
from dlpipe.datasets.face_crops import crop_path, load_split_arrays, read_split_table
from dlpipe.evaluation.eigenfaces import eigenface_images
from dlpipe.evaluation.verdicts import verdict
from dlpipe.families.faces import CROPS, REPORTS, SPLITS
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
from dlpipe.serving.pyfunc import register_face_model
from dlpipe.stage import Skipped, Stage
from dlpipe.training.face_comparison import compare_face_models, comparison_metrics


def train_face_cnn(stage: Stage) -> None:
    """Both models on the same split; the CNN saved with the extraction settings it needs."""
    params = stage.params
    out = stage.out("models/face_cnn")
    targets = {name: stage.out(f"{REPORTS}/{name}") for name in OUTPUTS}
    table = read_split_table(stage.path(SPLITS))
    x, y, classes = load_split_arrays(stage.path(CROPS), table)
    sizes = {split: len(labels) for split, labels in y.items()}
    if len(classes) < 2 or any(size == 0 for size in sizes.values()):
        reason = f"no images: {len(classes)} people with faces, photos per split {sizes}"
        write_skipped_outputs(reason, targets, out)
        stage.write_headline(f"{REPORTS}/metrics.json", skipped_headline())
        raise Skipped(reason)
    data = FaceSplits(x=x, y=y, classes=classes)
    result = compare_face_models(
        data,
        params.face_cnn,
        params.eigenfaces,
        params.training,
        params.seed,
        stage.run,
        out / "checkpoints",
    )
    save_face_model(
        out / "model.pt",
        result.cnn.network,
        classes,
        params.face_cnn,
        in_channels=image_channels(x["train"]),
        size=x["train"].shape[1],
        extract=as_plain(params.face_extract),
    )
    if stage.run is not None:
        first = table.iloc[0]
        example = crop_path(stage.path(CROPS), first["person"], first["key"])
        register_face_model(stage.run, out / "model.pt", example)
    metrics = comparison_metrics(result)
    if stage.run is not None:
        stage.run.log_metrics(numeric_leaves(metrics, "details/"))
    cnn, base = result.scores["cnn"]["test"], result.scores["eigenfaces"]["test"]
    test = metrics["mcnemar_test"]
    cnn_ahead = test["cnn_only_right"] > test["eigenfaces_only_right"]
    shown = ("accuracy", "macro_f1")
    stage.write_headline(
        f"{REPORTS}/metrics.json",
        headline(
            model={k: cnn[k] for k in shown},
            baseline={k: base[k] for k in shown},
            comparison={
                "error_ratio": (1 - cnn["accuracy"]) / max(1 - base["accuracy"], 1e-12),
                "p_value": test["p_value"],
                "verdict": verdict(test["p_value"], cnn_ahead),
            },
            data={"people": len(classes), **sizes},
        ),
    )
    n_faces = min(EIGENFACES_SHOWN, result.eigenfaces.n_components)
    description = describe_data(classes, x["train"].shape[1:], sizes, params.face_split.source)
    write_face_outputs(
        metrics,
        result.scores,
        result.cnn.history,
        list(eigenface_images(result.eigenfaces.model, n_faces)),
        classes,
        description,
        {model: by_split["test"] for model, by_split in result.predictions.items()},
        y["test"],
        targets,
    )
