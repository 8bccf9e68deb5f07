"""DVC stage train_recommender: autoencoders against baselines, and the top-N lists
that `dlpipe recommend` serves."""

from __future__ import annotations

import logging
import math
import time

from dlpipe.config import as_plain
from dlpipe.data.rating_matrix import build_index
from dlpipe.datasets.movielens import load_ratings
from dlpipe.evaluation.forecast_tests import diebold_mariano
from dlpipe.evaluation.verdicts import verdict
from dlpipe.reporting.headline import headline
from dlpipe.reporting.recommender_outputs import describe_split, write_recommender_outputs
from dlpipe.serving.pyfunc import register_recommender
from dlpipe.serving.recommendations import save, titled, top_unseen
from dlpipe.stage import Stage
from dlpipe.tracking import start_run
from dlpipe.training.recommender import (
    ModelScores,
    autoencoder_scores,
    baseline_scores,
    best_on_validation,
    evaluate,
    held_out,
    split_ratings,
)

REPORTS = "reports/recommender"
log = logging.getLogger(__name__)


def train_recommender(stage: Stage) -> None:
    """Baselines and every configured autoencoder on one split (a child run each); the one
    chosen on validation ratings recommends, and its test ratings' squared errors are compared
    with the strongest baseline's by a paired test (Diebold-Mariano with h = 1: the mean
    difference of squared errors over its standard error)."""
    cfg, params, parent = stage.params.recommender, stage.params, stage.run
    assert parent is not None, "train_recommender needs its MLflow run"
    out = stage.out("models/recommender")
    data = load_ratings(stage.path("data/raw/movielens"))
    index = build_index(data.ratings)
    train, test = split_ratings(data.ratings, cfg, params.seed)
    log.info(
        "%d ratings, %d users x %d movies; baselines first, then %d autoencoders",
        len(data.ratings),
        index.n_users,
        index.n_items,
        len(cfg.autoencoders),
    )
    scored_on = held_out(train, test, index, cfg)
    results: dict[str, ModelScores] = baseline_scores(train, test, index, cfg, params.seed)
    metrics = {name: evaluate(r.scores, r.predictions, scored_on) for name, r in results.items()}
    count = len(cfg.autoencoders)
    for number, (name, run_cfg) in enumerate(cfg.autoencoders.items(), start=1):
        label = f"autoencoder {number}/{count} {name}"
        log.info("%s: %s rows, up to %d epochs", label, run_cfg.rows, run_cfg.max_epochs)
        started = time.perf_counter()
        child_params = {"model": name, **as_plain(run_cfg)}
        with start_run(
            stage.root, stage.spec.family, stage.spec.name, child_params, name, parent
        ) as run:
            results[name] = autoencoder_scores(
                name,
                run_cfg,
                train,
                test,
                index,
                cfg,
                params.training,
                params.seed,
                run,
                out,
                label=label,
            )
            metrics[name] = evaluate(results[name].scores, results[name].predictions, scored_on)
            run.log_metrics(metrics[name])
        log.info(
            "%s: done in %.0f s, %d epochs, best val RMSE %.4f",
            label,
            time.perf_counter() - started,
            len(results[name].history["val/rmse"]),
            results[name].val_rmse,
        )
    parent.log_metrics(
        {
            f"details/{m}/test/{k}": v
            for m, row in metrics.items()
            for k, v in row.items()
            if math.isfinite(v)
        }
    )
    best = best_on_validation(results, cfg.autoencoders)
    baselines = [name for name in results if name not in cfg.autoencoders]
    # The strongest baseline on the test ratings: the comparison can only get harder for the AE.
    base = min(baselines, key=lambda name: metrics[name]["rmse"])
    actual = test["rating"].to_numpy()
    _, p_value = diebold_mariano(actual, results[best].predictions, results[base].predictions)
    shown = ("rmse", "ndcg@10")  # MAE and the rest: details.json (the headline fits 200 columns)
    ratio = metrics[best]["rmse"] / metrics[base]["rmse"]
    parent.set_tags({"dlpipe.best_model": best, "dlpipe.baseline": base})
    stage.write_headline(
        f"{REPORTS}/metrics.json",
        headline(
            model={k.replace("@", "_at_"): metrics[best][k] for k in shown},
            baseline={k.replace("@", "_at_"): metrics[base][k] for k in shown},
            comparison={
                "rmse_ratio": ratio,
                "p_value": p_value,
                "verdict": verdict(p_value, ratio < 1),
            },
            data={
                "ratings": len(data.ratings),
                "users": index.n_users,
                "test_ratings": len(test),
            },
        ),
    )
    recs = top_unseen(best, results[best].scores, scored_on.excluded, index.users, index.items)
    save(recs, out / "recommendations.npz")
    register_recommender(parent, out / "recommendations.npz", data.titles, cfg.sample_users)
    known = set(index.users.tolist())
    samples = {
        user: titled(recs.for_user(user, cfg.k), data.titles)
        for user in cfg.sample_users
        if user in known
    }
    description = describe_split(
        len(data.ratings),
        index.n_users,
        index.n_items,
        cfg.split,
        len(train),
        len(test),
        cfg.val_fraction,
    )
    names = ("details.json", "learning_curves.csv", "learning_curves.png", "report.md")
    write_recommender_outputs(
        metrics,
        {name: results[name].history for name in cfg.autoencoders},
        best,
        samples,
        description,
        {name: stage.out(f"{REPORTS}/{name}") for name in names},
    )
