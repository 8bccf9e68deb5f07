"""DVC stage study_ann: dropout, bias and variance, and search strategies at equal budget.

The ANN of compare_classifiers (`classifiers.ann`) on the same table; the studies' settings are
in `ann_study`.
"""

from dlpipe.families.classifiers.study import study_ann
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="study_ann",
    family="classifiers",
    params=(
        "seed",
        "training.cpu_threads",
        "classifier_data",
        "classifiers.ann",
        "classifiers.n_jobs",
        "ann_study",
    ),
    outputs=(
        "reports/classifiers/study/dropout.csv",
        "reports/classifiers/study/learning_curve.csv",
        "reports/classifiers/study/capacity_curve.csv",
        "reports/classifiers/study/search.csv",
        "reports/classifiers/study/search_progress.csv",
        "reports/classifiers/study/dropout.png",
        "reports/classifiers/study/bias_variance.png",
        "reports/classifiers/study/search.png",
        "reports/classifiers/study/details.json",
        "reports/classifiers/study/report.md",
        "reports/classifiers/study/metrics.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, study_ann)
