"""DVC stage study_ann: what dropout does, bias and variance, and four search strategies at
equal budget, all on the ANN of compare_classifiers and the same table."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from dlpipe.config.sections_classifiers import AnnStudyConfig
from dlpipe.datasets.tables import load_table
from dlpipe.evaluation.bias_variance import diagnose, learning_curve_trend
from dlpipe.families.classifiers import STUDY
from dlpipe.reporting.ann_study_outputs import (
    OUTPUTS,
    Curve,
    StudyPage,
    write_study_outputs,
)
from dlpipe.reporting.classifier_outputs import describe_table
from dlpipe.stage import Stage
from dlpipe.tracking import start_run
from dlpipe.training.ann_studies import capacity_study, dropout_curves, learning_curve_study
from dlpipe.training.search_strategies import Evaluation, SearchResult, run_search
from dlpipe.training.tabular_models import ann_estimator, in_pipeline, limit_threads

log = logging.getLogger(__name__)

STRATEGIES = ("manual", "grid", "random", "tpe")


def study_ann(stage: Stage) -> None:
    """The three studies; the headline holds each one's numbers, the page their reading."""
    params = stage.params
    study: AnnStudyConfig = params.ann_study
    ann, seed = params.classifiers.ann, params.seed
    table = load_table(params.classifier_data, stage.root)
    x, y = table.features, table.target
    jobs = params.classifiers.n_jobs
    limit_threads(params.training.cpu_threads, jobs)

    def pipeline(**changes: Any) -> Any:
        return in_pipeline(ann_estimator(ann, seed, **changes), table.numeric, table.categorical)

    log.info(
        "dropout: %d epochs without and with dropout %g",
        study.dropout.max_epochs,
        study.dropout.rate,
    )
    dropout = dropout_curves(
        lambda rate: ann_estimator(
            ann,
            seed,
            dropout=rate,
            weight_decay=0.0,  # dropout alone: no other regulariser in either network
            hidden_units=study.dropout.hidden_units,
            hidden_layers=study.dropout.hidden_layers,
            max_epochs=study.dropout.max_epochs,
            lr=study.dropout.lr,
        ),
        lambda: pipeline().named_steps["prep"],
        x,
        y,
        study.dropout.val_fraction,
        study.dropout.rate,
        seed,
    )
    log.info("bias and variance: learning curve (%d sizes)", len(study.train_sizes))
    learning = learning_curve_study(pipeline(), x, y, study.train_sizes, study.folds, seed, jobs)
    log.info("bias and variance: capacity curve (%d widths)", len(study.capacity_units))
    capacity = capacity_study(
        pipeline(), x, y, "model__hidden_units", study.capacity_units, study.folds, seed, jobs
    )
    diagnosis = diagnose(
        learning.train_mean[-1], learning.val_mean[-1], study.target_score, study.max_gap
    )
    searches: dict[str, SearchResult] = {}
    for strategy in STRATEGIES:
        with _child(stage, f"search/{strategy}", {"strategy": strategy}) as run:
            searches[strategy] = run_search(
                strategy,
                lambda candidate: pipeline(**candidate),
                x,
                y,
                study.search,
                seed,
                on_evaluation=None if run is None else _logger(run),
            )
            if run is not None:
                run.log_metrics({"best_auc": searches[strategy].best_auc})
                run.log_params({f"best/{k}": v for k, v in searches[strategy].best_params.items()})
    stage.write_headline(
        f"{STUDY}/metrics.json",
        {
            "dropout/gap_without": dropout.gaps["without"],
            "dropout/gap_with": dropout.gaps["with"],
            "dropout/val_auc_without": dropout.val_auc["without"],
            "dropout/val_auc_with": dropout.val_auc["with"],
            "bias_variance/train_auc": learning.train_mean[-1],
            "bias_variance/val_auc": learning.val_mean[-1],
            "bias_variance/diagnosis": diagnosis.code,
            **{f"search/{name}": result.best_auc for name, result in searches.items()},
            "data/rows": len(y),
            "data/budget": study.search.budget,
        },
    )
    page = StudyPage(
        description=describe_table(
            table.source,
            table.target_name,
            len(y),
            int(y.sum()),
            table.positive_label,
            table.numeric,
            table.categorical,
        ),
        dropout_rate=study.dropout.rate,
        dropout_network=f"{study.dropout.hidden_layers} x {study.dropout.hidden_units} units",
        dropout_curves=dropout.curves,
        dropout_gaps=dropout.gaps,
        dropout_val_auc=dropout.val_auc,
        learning=Curve(**{**asdict(learning), "x_label": "train_rows"}),
        capacity=Curve(**{**asdict(capacity), "x_label": "hidden_units"}),
        diagnosis=diagnosis.text,
        diagnosis_label=diagnosis.label,
        trend=learning_curve_trend(learning.x, learning.val_mean),
        searches={
            name: [
                (e.index, dict(e.params), e.mean_auc, e.std_auc, e.best_so_far)
                for e in result.evaluations
            ]
            for name, result in searches.items()
        },
        budget=study.search.budget,
        folds=study.search.folds,
        target_score=study.target_score,
    )
    write_study_outputs(page, {name: stage.out(f"{STUDY}/{name}") for name in OUTPUTS})


def _child(stage: Stage, name: str, params: dict[str, Any]) -> Any:
    """A child run of the stage's run (a do-nothing context when the stage is not tracked)."""
    if stage.run is None:
        from contextlib import nullcontext

        return nullcontext(None)
    return start_run(stage.root, stage.spec.family, stage.spec.name, params, name, stage.run)


def _logger(run: Any) -> Any:
    def log_evaluation(evaluation: Evaluation) -> None:
        run.log_metrics(
            {"auc": evaluation.mean_auc, "best_so_far": evaluation.best_so_far},
            step=evaluation.index,
        )

    return log_evaluation
