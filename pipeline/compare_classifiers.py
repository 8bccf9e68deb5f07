"""DVC stage compare_classifiers: the ANN against five classic models on one repeated K-fold.

Reads the table named by params (`classifier_data`: the bundled breast cancer set or a CSV); the
chosen model (its preprocessing inside) goes to models/classifier/ for `dlpipe classify`.
"""

from dlpipe.families.classifiers.compare import compare_classifiers
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="compare_classifiers",
    family="classifiers",
    params=("seed", "training.cpu_threads", "classifier_data", "classifiers"),
    outputs=(
        "models/classifier/",
        "reports/classifiers/comparison.csv",
        "reports/classifiers/roc/",
        "reports/classifiers/oof_predictions.csv",
        "reports/classifiers/cost_curve.csv",
        "reports/classifiers/roc.png",
        "reports/classifiers/confusion.png",
        "reports/classifiers/cost_curve.png",
        "reports/classifiers/details.json",
        "reports/classifiers/report.md",
        "reports/classifiers/metrics.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, compare_classifiers)
