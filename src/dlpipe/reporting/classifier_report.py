"""The comparison page: the models side by side, the t-tests, ROC, and the cost of each error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from dlpipe.reporting.tables import figures, markdown_table

if TYPE_CHECKING:
    from dlpipe.reporting.classifier_outputs import ComparisonPage

BANDS = (
    "The course reads ROC AUC in bands: 0.5 is random guessing, between 0.5 and 1 is better "
    "than random (the closer to 1 the better), 1 is a perfect ranking of every positive above "
    "every negative."
)


PUBLISHED_BREAST_CANCER = {
    "ann": 0.9943,  # an MLP
    "logistic_regression": 0.9955,  # standardised inputs
    "svm_rbf": 0.9957,
    "random_forest": 0.992,
}
"""Published 5-fold stratified ROC AUC on the breast cancer set (docs/DESIGN.md's anchors)."""


def comparison_markdown(
    page: ComparisonPage, labels: Mapping[str, str], aucs: Mapping[str, float]
) -> str:
    """The whole page as Markdown; figures are the PNGs beside it."""
    rows = {}
    for row in page.rows:
        cells: dict[str, object] = {}
        for metric in ("roc_auc", "accuracy", "f1"):
            cells[metric] = f"{row.means[metric]:.4f} +- {row.stds[metric]:.4f}"
        cells["pooled OOF AUC"] = aucs[row.key]
        cells["band"] = row.band
        if row.test_vs_ann is None:
            cells["ANN - model AUC"] = cells["p (corrected t)"] = "-"
        else:
            cells["ANN - model AUC"] = f"{row.test_vs_ann[0]:+.4f}"
            cells["p (corrected t)"] = f"{row.test_vs_ann[1]:.3g}"
        if page.published:
            cells["published AUC"] = page.published.get(row.key)
        rows[labels[row.key]] = cells
    cost = page.cost
    negative, positive = page.labels
    (tn0, fp0), (fn0, tp0) = cost.confusion_half.tolist()
    (tn1, fp1), (fn1, tp1) = cost.confusion_best.tolist()
    splits = page.folds * page.repeats
    lines = [
        "# Evaluating a network: the ANN against classic models",
        "",
        page.description,
        "",
        f"Every model is scored on the same {page.folds}-fold stratified cross-validation, "
        f"repeated {page.repeats} times ({splits} splits); preprocessing (imputation, scaling, "
        "one-hot encoding) is fit on each training fold only. Mean +- standard deviation over "
        "the splits; accuracy and F1 at threshold 0.5.",
        "",
        markdown_table("model", rows),
        "",
        f"**{page.verdict}**",
        "",
        *(
            [
                "Published AUC: 5-fold stratified cross-validation on the same set (the lab's "
                "anchors); a difference in the third decimal is within one split's spread.",
                "",
            ]
            if page.published
            else []
        ),
        "p: the Nadeau-Bengio corrected resampled t-test on the per-split ROC AUC (the ANN "
        "against each model, paired on the same splits). The correction widens the variance "
        "by n_test/n_train, because the training sets of different splits overlap; the naive "
        "paired t-test would call far more differences significant.",
        "",
        BANDS,
        "",
        *figures(
            {
                "roc.png": "Cross-validated ROC curves: each row's out-of-fold probability, "
                f"averaged over the {page.repeats} repeats"
            }
        ),
        "## The cost of each error",
        "",
        f"A missed `{positive}` (false negative) costs {cost.cost_fn:g}, a false alarm "
        f"(false positive) {cost.cost_fp:g}. On the out-of-fold probabilities of "
        f"{labels[cost.model]} (the best model by mean ROC AUC), the threshold that minimises "
        f"the expected cost is **{cost.threshold:.3f}** (expected cost {cost.cost:.4f} per "
        f"case, against {cost.cost_at_half:.4f} at 0.5). Perfectly calibrated probabilities "
        f"would put it at cost_fp / (cost_fp + cost_fn) = {cost.bayes_threshold:.3f}.",
        "",
        markdown_table(
            "threshold",
            {
                "0.5": {"TN": tn0, "FP": fp0, "FN": fn0, "TP": tp0},
                f"{cost.threshold:.3f}": {"TN": tn1, "FP": fp1, "FN": fn1, "TP": tp1},
            },
        ),
        "",
        *figures(
            {
                "confusion.png": f"Confusion matrices ({negative} / {positive}) at 0.5 and at "
                "the cost-optimal threshold",
                "cost_curve.png": "Expected cost per case over the threshold",
            }
        ),
        "## The registered model",
        "",
        f"{labels[page.chosen]}, refit on every row with its preprocessing and the threshold "
        f"{cost.threshold:.3f}, is in `models/classifier/`"
        + (
            " and is the latest version of `dlpipe-classifiers` in MLflow"
            if page.registered
            else ""
        )
        + "; `dlpipe classify FILE.csv` scores new rows with it.",
        "",
    ]
    return "\n".join(lines)
