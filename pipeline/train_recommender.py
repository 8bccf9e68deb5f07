"""DVC stage train_recommender: autoencoders vs baselines on MovieLens, and recommendations."""

from __future__ import annotations

import math
from pathlib import Path

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.data.rating_matrix import build_index
from dlpipe.datasets.movielens import load_ratings
from dlpipe.recommendations import save, titled, top_unseen
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.recommender_report import recommender_markdown
from dlpipe.reporting.tables import wide_csv
from dlpipe.tracking import start_run
from dlpipe.training.recommender import (
    ModelScores,
    autoencoder_scores,
    baseline_scores,
    evaluate,
    not_candidates,
    split_ratings,
)

FAMILY = "recommender"
STAGE = "train_recommender"


def main() -> None:
    params = load_params()
    cfg = params.recommender
    root = paths.project_root()
    reports = paths.reports_dir(root) / "recommender"
    tracked = {"seed": params.seed, "training": as_plain(params.training), **as_plain(cfg)}
    with (
        start_run(root, FAMILY, STAGE, tracked) as parent,
        atomic_dir(paths.models_dir(root) / "recommender") as out,
    ):
        data = load_ratings(paths.data_raw(root) / "movielens")
        index = build_index(data.ratings)
        train, test = split_ratings(data.ratings, cfg, params.seed)
        results: dict[str, ModelScores] = baseline_scores(train, test, index, cfg, params.seed)
        for name, run_cfg in cfg.autoencoders.items():
            with start_run(
                root, FAMILY, STAGE, {"model": name, **as_plain(run_cfg)}, name, parent
            ) as run:
                results[name] = autoencoder_scores(
                    name, run_cfg, train, test, index, cfg, params.training, params.seed, run, out
                )
                run.log_metrics(
                    evaluate(
                        results[name].scores, results[name].predictions, train, test, index, cfg
                    )
                )
        metrics = {
            name: evaluate(r.scores, r.predictions, train, test, index, cfg)
            for name, r in results.items()
        }
        parent.log_metrics(
            {
                f"{m}/{k}": v
                for m, row in metrics.items()
                for k, v in row.items()
                if math.isfinite(v)
            }
        )
        # The autoencoder that recommends is chosen on validation ratings, never on the test.
        best = min(cfg.autoencoders, key=lambda name: results[name].val_rmse)
        excluded = not_candidates(train, index, cfg.min_item_ratings)
        recs = top_unseen(best, results[best].scores, excluded, index.users, index.items)
        save(recs, out / "recommendations.npz")
        samples = {
            user: titled(recs.for_user(user, cfg.k), data.titles)
            for user in cfg.sample_users
            if user in set(index.users.tolist())
        }
        description = (
            f"{len(data.ratings):,} ratings, {index.n_users:,} users, {index.n_items:,} movies; "
            f"split `{cfg.split}`: {len(train):,} training / {len(test):,} test ratings "
            f"(the rating matrix holds training ratings only; {cfg.val_fraction:.0%} of them "
            f"choose each autoencoder's epoch)."
        )
        write_outputs(metrics, results, cfg.autoencoders, best, samples, description, reports)
        for name in ("metrics.json", "report.md", "learning_curves.png"):
            parent.log_artifact(reports / name, "report")


def write_outputs(metrics, results, autoencoders, best, samples, description, reports: Path):
    """The metrics DVC compares, validation curves (CSV + PNG), and the readable page."""
    write_json(
        reports / "metrics.json",
        {
            m: {k: (v if math.isfinite(v) else None) for k, v in row.items()}
            for m, row in metrics.items()
        },
    )
    curves = {name: results[name].history for name in autoencoders}
    write_text(
        reports / "learning_curves.csv",
        wide_csv("epoch", {name: h["val/rmse"] for name, h in curves.items()}, start=1),
    )
    plot_curves(
        curves,
        ("train/rmse", "val/rmse"),
        reports / "learning_curves.png",
        "Autoencoders: masked RMSE per epoch",
    )
    write_text(
        reports / "report.md",
        recommender_markdown(metrics, list(autoencoders), best, samples, description),
    )


if __name__ == "__main__":
    main()
