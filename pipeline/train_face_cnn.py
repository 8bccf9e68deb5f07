"""DVC stage train_face_cnn: the CNN and the Eigenfaces + SVM baseline on the same split."""

from __future__ import annotations

from dlpipe import paths
from dlpipe.atomic import atomic_dir
from dlpipe.config import as_plain, load_params
from dlpipe.data.face_data import FaceSplits, image_channels
from dlpipe.datasets.face_crops import load_split_arrays, read_split_table
from dlpipe.models.face_model_io import save_face_model
from dlpipe.reporting.face_outputs import (
    REPORT_FILES,
    describe_data,
    write_face_outputs,
    write_skipped_outputs,
)
from dlpipe.reporting.face_summaries import numeric_leaves
from dlpipe.tracking import start_run
from dlpipe.training.face_comparison import compare_face_models, comparison_metrics

FAMILY = "faces"
STAGE = "train_face_cnn"


def main() -> None:
    params = load_params()
    root = paths.project_root()
    reports = paths.reports_dir(root) / "faces"
    table = read_split_table(paths.data_processed(root) / "faces" / "splits.csv")
    tracked = {
        "seed": params.seed,
        "training": as_plain(params.training),
        "face_cnn": as_plain(params.face_cnn),
        "eigenfaces": as_plain(params.eigenfaces),
    }
    with (
        start_run(root, FAMILY, STAGE, tracked) as run,
        atomic_dir(paths.models_dir(root) / "face_cnn") as out,
    ):
        x, y, classes = load_split_arrays(paths.data_interim(root) / "faces", table)
        if len(classes) < 2 or any(len(labels) == 0 for labels in y.values()):
            sizes = {split: len(labels) for split, labels in y.items()}
            reason = f"no images: {len(classes)} people with faces, photos per split {sizes}"
            write_skipped_outputs(reason, reports, out)
            run.set_tags({"dlpipe.skipped": reason})
            print(f"skipped: {reason}")
            return
        data = FaceSplits(x=x, y=y, classes=classes)
        result = compare_face_models(
            data,
            params.face_cnn,
            params.eigenfaces,
            params.training,
            params.seed,
            run,
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
        metrics = comparison_metrics(result)
        run.log_metrics(numeric_leaves(metrics))
        description = describe_data(data, params.face_split.source)
        write_face_outputs(result, metrics, classes, description, reports)
        for name in REPORT_FILES:
            run.log_artifact(reports / name, "report")
        run.log_artifact(out / "model.pt", "model")


if __name__ == "__main__":
    main()
