"""The ANN study page: dropout against overfitting, the bias/variance diagnosis, the searches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlpipe.reporting.tables import figures, markdown_table

if TYPE_CHECKING:
    from dlpipe.reporting.ann_study_outputs import StudyPage

STRATEGY_NAMES = {
    "manual": "manual (a hand-written list)",
    "grid": "grid search",
    "random": "random search",
    "tpe": "Optuna TPE",
}


def study_markdown(page: StudyPage) -> str:
    """The whole page as Markdown; figures are the PNGs beside it."""
    gaps, aucs = page.dropout_gaps, page.dropout_val_auc
    dropout_rows = {
        name: {
            "final-epochs val - train loss": gaps[name],
            "val ROC AUC": aucs[name],
        }
        for name in ("without", "with")
    }
    learning, capacity = page.learning, page.capacity
    curve_rows = {
        f"{learning.x_label} {x:g}": {"train AUC": t, "val AUC": v, "gap": t - v}
        for x, t, v in zip(learning.x, learning.train_mean, learning.val_mean, strict=True)
    }
    capacity_rows = {
        f"{capacity.x_label} {x:g}": {"train AUC": t, "val AUC": v, "gap": t - v}
        for x, t, v in zip(capacity.x, capacity.train_mean, capacity.val_mean, strict=True)
    }
    search_rows = {}
    for name, rows in page.searches.items():
        best = max(rows, key=lambda row: row[2])
        reached = next(row[0] for row in rows if row[4] >= best[2])
        search_rows[STRATEGY_NAMES.get(name, name)] = {
            "best CV AUC": best[2],
            "+- std": best[3],
            "found at evaluation": reached,
            "best settings": ", ".join(f"{k}={v:.4g}" for k, v in best[1].items()),
        }
    less = "less" if gaps["with"] < gaps["without"] else "NOT less"
    lines = [
        "# Evaluating a network: dropout, bias and variance, and searching hyperparameters",
        "",
        page.description,
        "",
        "## Dropout",
        "",
        f"The same network ({page.dropout_network}, no weight decay) trained on one stratified "
        f"split, without dropout and with dropout {page.dropout_rate:g}. The gap between "
        "validation and training loss over the last epochs measures overfitting: with dropout "
        f"it is {gaps['with']:.4f} against {gaps['without']:.4f} without, so dropout left "
        f"{less} overfitting here.",
        "",
        markdown_table("dropout", dropout_rows),
        "",
        *figures(
            {"dropout.png": "Training and validation loss per epoch, without and with dropout"}
        ),
        "## Bias and variance",
        "",
        f"**Diagnosis: {page.diagnosis_label}.** {page.diagnosis} {page.trend}",
        "",
        markdown_table("learning curve", curve_rows),
        "",
        markdown_table("capacity curve", capacity_rows),
        "",
        *figures(
            {
                "bias_variance.png": "Learning curve (ROC AUC vs training rows) and capacity "
                "curve (ROC AUC vs hidden units); bands: +- one std over the folds"
            }
        ),
        "## Search strategies at equal budget",
        "",
        f"Each strategy may run {page.budget} cross-validated evaluations ({page.folds}-fold, "
        "the same folds for every candidate) over the same space. The best CV AUC of a search "
        "is optimistic (it was chosen on these folds); what matters here is how fast each "
        "strategy gets there.",
        "",
        markdown_table("strategy", search_rows),
        "",
        *figures({"search.png": "Best CV ROC AUC so far against evaluations used"}),
    ]
    return "\n".join(lines)
