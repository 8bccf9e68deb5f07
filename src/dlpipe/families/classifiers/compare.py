"""DVC stage compare_classifiers: the ANN against five classic models on one repeated K-fold,
the cost-sensitive threshold, and the chosen model registered with its preprocessing."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_curve
from sklearn.pipeline import Pipeline

from dlpipe.datasets.tables import Table, load_table
from dlpipe.evaluation.auc_bands import auc_band
from dlpipe.evaluation.cost_threshold import (
    bayes_threshold,
    best_threshold,
    confusion_at,
    cost_curve,
    expected_cost,
)
from dlpipe.evaluation.resampled_t_test import corrected_resampled_t_test
from dlpipe.evaluation.verdicts import verdict
from dlpipe.families.classifiers import MODEL_DIR, REPORTS
from dlpipe.models.tabular_model_io import ModelCard, feature_columns, save_tabular_model
from dlpipe.reporting.classifier_outputs import (
    OUTPUTS,
    ComparisonPage,
    CostSummary,
    ModelRow,
    comparison_verdict,
    describe_table,
    write_comparison_outputs,
)
from dlpipe.reporting.classifier_report import PUBLISHED_BREAST_CANCER
from dlpipe.reporting.headline import headline
from dlpipe.serving.pyfunc import register_classifier
from dlpipe.stage import Stage
from dlpipe.tracking import start_run
from dlpipe.training.tabular_cv import ModelScores, cross_validate_models, cv_setup
from dlpipe.training.tabular_models import ANN, MODEL_LABELS, limit_threads, make_models

log = logging.getLogger(__name__)


def compare_classifiers(stage: Stage) -> None:
    """Every model on the same splits; the ANN against the best classic model (corrected
    resampled t-test on ROC AUC); the best model by mean CV ROC AUC is refit on every row,
    saved and registered with the threshold that minimises the expected cost."""
    params = stage.params
    cfg = params.classifiers
    table = load_table(params.classifier_data, stage.root)
    y = table.target
    limit_threads(params.training.cpu_threads, cfg.n_jobs)
    models = make_models(cfg.ann, cfg.classic, table.numeric, table.categorical, params.seed)
    setup = cv_setup(y, cfg.folds, cfg.repeats, params.seed)
    scores = cross_validate_models(
        models,
        table.features,
        y,
        setup,
        cfg.n_jobs,
        on_model=lambda s: _log_child(stage, s, models[s.name]),
    )
    ann = scores[ANN]
    rows = []
    for name, result in scores.items():
        test = None
        if name != ANN:
            t = corrected_resampled_t_test(
                ann.folds["roc_auc"], result.folds["roc_auc"], setup.n_train, setup.n_test
            )
            test = (t.mean_difference, t.p_value)
        rows.append(_row(result, test))
    classic = [name for name in scores if name != ANN]
    baseline = max(classic, key=lambda name: scores[name].mean("roc_auc"))
    chosen = max(scores, key=lambda name: scores[name].mean("roc_auc"))
    cost = _cost(y, scores[chosen].oof_proba, chosen, cfg.cost_fn, cfg.cost_fp)
    version = _save_and_register(stage, table, models[chosen], chosen, cost.threshold)
    versus = next(row for row in rows if row.key == baseline).test_vs_ann
    assert versus is not None
    p_value = versus[1]
    stage.write_headline(
        f"{REPORTS}/metrics.json",
        headline(
            model={m: ann.mean(m) for m in ("roc_auc", "accuracy", "f1")},
            baseline={m: scores[baseline].mean(m) for m in ("roc_auc", "accuracy", "f1")},
            comparison={
                "p_value": p_value,
                "verdict": verdict(p_value, versus[0] > 0),
                "cost/threshold": cost.threshold,
                "cost/expected": cost.cost,
                "cost/at_half": cost.cost_at_half,
            },
            data={"rows": len(y), "features": table.features.shape[1], "splits": len(setup.splits)},
            split="cv",
        ),
    )
    page = ComparisonPage(
        description=describe_table(
            table.source,
            table.target_name,
            len(y),
            int(y.sum()),
            table.positive_label,
            table.numeric,
            table.categorical,
        ),
        labels=(table.negative_label, table.positive_label),
        folds=cfg.folds,
        repeats=cfg.repeats,
        rows=tuple(rows),
        roc={name: _roc(y, result.oof_proba) for name, result in scores.items()},
        y_true=y,
        chosen=chosen,
        baseline=baseline,
        cost=cost,
        verdict=comparison_verdict(MODEL_LABELS[baseline], versus[0], p_value),
        registered=version is not None,
        published=PUBLISHED_BREAST_CANCER
        if params.classifier_data.source == "breast_cancer"
        else {},
    )
    write_comparison_outputs(page, {name: stage.out(f"{REPORTS}/{name}") for name in OUTPUTS})


def _row(result: ModelScores, test: tuple[float, float] | None) -> ModelRow:
    metrics = ("roc_auc", "accuracy", "f1")
    return ModelRow(
        key=result.name,
        label=MODEL_LABELS[result.name],
        means={m: result.mean(m) for m in metrics},
        stds={m: result.std(m) for m in metrics},
        band=auc_band(result.mean("roc_auc")),
        test_vs_ann=test,
    )


def _roc(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = roc_curve(y, proba)
    return fpr, tpr


def _cost(
    y: np.ndarray, proba: np.ndarray, model: str, cost_fn: float, cost_fp: float
) -> CostSummary:
    curve = cost_curve(y, proba, cost_fn, cost_fp)
    threshold, cost = best_threshold(curve)
    return CostSummary(
        model=model,
        cost_fn=cost_fn,
        cost_fp=cost_fp,
        thresholds=curve.thresholds,
        costs=curve.costs,
        threshold=threshold,
        cost=cost,
        cost_at_half=expected_cost(y, proba, 0.5, cost_fn, cost_fp),
        bayes_threshold=bayes_threshold(cost_fn, cost_fp),
        proba=proba,
        confusion_half=confusion_at(y, proba, 0.5),
        confusion_best=confusion_at(y, proba, threshold),
    )


def _save_and_register(
    stage: Stage, table: Table, model: object, chosen: str, threshold: float
) -> str | None:
    """Refit the chosen Pipeline on every row and store it; register it when tracked."""
    log.info("refitting %s on all %d rows", chosen, len(table.target))
    fitted = clone(model).fit(table.features, table.target)
    card = ModelCard(
        model=chosen,
        columns=feature_columns(table.features, table.categorical),
        categorical=tuple(table.categorical),
        positive_label=table.positive_label,
        negative_label=table.negative_label,
        threshold=float(threshold),
    )
    folder = save_tabular_model(stage.out(MODEL_DIR), fitted, card)
    if stage.run is None:
        return None
    return register_classifier(stage.run, folder, table.features.head(3))


def _log_child(stage: Stage, result: ModelScores, model: Pipeline) -> None:
    """One child run per model (its settings as params): fold scores as steps, and the means."""
    if stage.run is None:
        return
    settings = model.named_steps["model"].get_params(deep=True)
    simple = {k: v for k, v in settings.items() if isinstance(v, int | float | str | bool)}
    child = {"model": result.name, **simple}
    name = f"cv/{result.name}"
    with start_run(stage.root, stage.spec.family, stage.spec.name, child, name, stage.run) as run:
        run.log_history({f"fold/{m}": values.tolist() for m, values in result.folds.items()})
        run.log_metrics({f"cv/{m}": result.mean(m) for m in result.folds})
        run.log_metrics({f"cv/{m}_std": result.std(m) for m in result.folds})
        run.log_metrics({"fit_seconds": result.fit_seconds})
