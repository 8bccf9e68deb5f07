"""Autoencoders and baselines on one split of MovieLens, scored the same way.

The rating matrix only ever holds training ratings; a validation slice of them picks each
autoencoder's epoch (early stopping); the test ratings are used for the reported figures only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dlpipe.config import AutoencoderRun, RecommenderConfig, TrainingConfig
from dlpipe.data.rating_matrix import (
    RatingIndex,
    dense_with_mask,
    kfold_u_style,
    per_user_holdout,
    random_holdout,
    to_matrix,
)
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.evaluation.errors import mae, rmse
from dlpipe.evaluation.rating_baselines import Biases, GlobalMean, MatrixFactorization
from dlpipe.evaluation.rating_metrics import (
    per_user_loss,
    ranking_metrics,
    relevant_from_ratings,
)
from dlpipe.models.autoencoder_module import AutoencoderModule, rating_rows
from dlpipe.models.components.autoencoders import build_autoencoder
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import RunLogger
from dlpipe.training.fit import fit


@dataclass(frozen=True)
class ModelScores:
    """One model's predictions on the test ratings and its users x items score matrix."""

    predictions: np.ndarray
    scores: np.ndarray
    val_rmse: float
    history: Mapping[str, tuple[float, ...]]


def split_ratings(
    ratings: pd.DataFrame, cfg: RecommenderConfig, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) by the configured rule: random hold-out, u1-style fold, or per user."""
    if cfg.split == "random":
        return random_holdout(ratings, cfg.test_fraction, seed)
    if cfg.split == "kfold":
        return kfold_u_style(ratings, folds=5, fold=cfg.fold, seed=seed)
    return per_user_holdout(ratings, cfg.ranking_holdout, seed, cfg.ranking_min_ratings)


def _dense(frame: pd.DataFrame, index: RatingIndex, rows: str) -> tuple[torch.Tensor, torch.Tensor]:
    values, mask = dense_with_mask(to_matrix(frame, index, by=rows))
    return values, mask.float()


def train_autoencoder(
    run_cfg: AutoencoderRun,
    fit_ratings: pd.DataFrame,
    val: pd.DataFrame,
    index: RatingIndex,
    training: TrainingConfig,
    seed: int,
    patience: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
    label: str = "",
) -> tuple[AutoencoderModule, dict[str, tuple[float, ...]]]:
    """Fit on `fit_ratings` rows; early stopping on the `val` ratings fed through those rows."""
    train_rows, val_rows = _row_pairs(fit_ratings, val, index, run_cfg.rows)
    torch.manual_seed(seed)
    n_inputs = train_rows.x.shape[1]
    network = build_autoencoder(run_cfg.kind, n_inputs, **run_cfg.network.kwargs())
    module = AutoencoderModule(
        network,
        optimizer_factory(run_cfg.optimizer, run_cfg.optimizer_hyper),
        sparsity_weight=run_cfg.sparsity_weight,
        sparsity_target=run_cfg.sparsity_target,
        l2=run_cfg.l2,
    )
    batch = run_cfg.batch_size
    data = PairsDataModule(train_rows, val_rows, batch, seed, eval_batch_size=4 * batch)
    fitted = fit(
        module,
        data,
        training,
        seed=seed,
        max_epochs=run_cfg.max_epochs,
        checkpoint_dir=checkpoint_dir,
        run=run,
        monitor="val/rmse",
        patience=patience,
        history_keys=("train/loss", "train/rmse", "val/loss", "val/rmse"),
        label=label or f"autoencoder {run_cfg.kind}",
    )
    return module, fitted.history


def _row_pairs(
    fit_ratings: pd.DataFrame, val: pd.DataFrame, index: RatingIndex, rows: str
) -> tuple[TensorPairs, TensorPairs]:
    """(training rows, validation rows) for `rating_rows`; the dense temporaries die here."""
    fit_values, fit_mask = _dense(fit_ratings, index, rows)
    val_values, val_mask = _dense(val, index, rows)
    return (
        rating_rows(fit_values, fit_values, fit_mask),
        rating_rows(fit_values, val_values, val_mask),
    )


def reconstruct(
    module: AutoencoderModule, train: pd.DataFrame, index: RatingIndex, rows: str
) -> np.ndarray:
    """users x items scores (unclipped, so the top of a ranking has no ties at 5) from the
    full training rows."""
    values, _ = _dense(train, index, rows)
    module.eval()
    with torch.no_grad():
        out = module(values.to(module.device)).cpu().numpy()
    return out if rows == "user" else out.T


@dataclass(frozen=True)
class HeldOut:
    """The test ratings as every model is scored on them, built once per split: each mask is a
    dense users x items pass (6,040 x 3,706 at ml-1m), and the stage scores eight models.

    `excluded`: movies a user may not be recommended (`not_candidates`); `relevant`: held-out
    movies rated at least `relevant_threshold`, candidates only.
    """

    users: np.ndarray
    actual: np.ndarray
    excluded: np.ndarray
    relevant: np.ndarray
    k: int


def held_out(
    train: pd.DataFrame, test: pd.DataFrame, index: RatingIndex, cfg: RecommenderConfig
) -> HeldOut:
    excluded = not_candidates(train, index, cfg.min_item_ratings)
    ratings = to_matrix(test, index, by="user").toarray()
    return HeldOut(
        users=test["user"].to_numpy(),
        actual=test["rating"].to_numpy(),
        excluded=excluded,
        relevant=relevant_from_ratings(ratings, cfg.relevant_threshold) & ~excluded,
        k=cfg.k,
    )


def evaluate(scores: np.ndarray, predictions: np.ndarray, test: HeldOut) -> dict[str, float]:
    """Pooled RMSE/MAE, the course's per-user loss, and ranking metrics on the test ratings.

    Rankings are over candidate movies only (`candidates`): the same ones for every model.
    """
    return {
        "rmse": rmse(test.actual, predictions),
        "mae": mae(test.actual, predictions),
        "per_user_loss": per_user_loss(test.users, test.actual, predictions),
        **ranking_metrics(scores, test.excluded, test.relevant, test.k),
    }


def not_candidates(train: pd.DataFrame, index: RatingIndex, min_item_ratings: int) -> np.ndarray:
    """users x items: True where a movie may not be recommended to a user.

    A user's own training movies, and movies with fewer than `min_item_ratings` training ratings
    (an autoencoder's output for a movie it has barely seen is unconstrained, and a ranking
    topped by such movies says nothing about taste).
    """
    seen = to_matrix(train, index, by="user").toarray() > 0
    rare = seen.sum(axis=0) < min_item_ratings
    return seen | rare[None, :]


def baseline_scores(
    train: pd.DataFrame, test: pd.DataFrame, index: RatingIndex, cfg: RecommenderConfig, seed: int
) -> dict[str, ModelScores]:
    """Global mean, user + movie biases and matrix factorisation, fit on `train` only."""
    models = {
        "global_mean": GlobalMean(),
        "biases": Biases(**cfg.biases.kwargs()),
        "matrix_factorization": MatrixFactorization(**cfg.mf.kwargs(), seed=seed),
    }
    out = {}
    for name, model in models.items():
        model.fit(train)
        out[name] = ModelScores(
            predictions=model.predict(test["user"].to_numpy(), test["item"].to_numpy()),
            scores=model.score_matrix(index.users, index.items, clip=False),
            val_rmse=float("nan"),
            history={},
        )
    return out


def autoencoder_scores(
    name: str,
    run_cfg: AutoencoderRun,
    train: pd.DataFrame,
    test: pd.DataFrame,
    index: RatingIndex,
    cfg: RecommenderConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
    label: str = "",
) -> ModelScores:
    """`label` names the model in the per-epoch progress lines (default: its kind)."""
    fit_ratings, val = random_holdout(train, cfg.val_fraction, seed + 1)
    module, history = train_autoencoder(
        run_cfg,
        fit_ratings,
        val,
        index,
        training,
        seed,
        cfg.patience,
        run,
        checkpoint_dir / name,
        label,
    )
    scores = reconstruct(module, train, index, run_cfg.rows)
    low, high = module.rating_range
    # The module, its Trainer and their loaders refer to each other, so only the cycle collector
    # frees them; at ml-1m the next model's dense rows (~0.7 GB) would otherwise pile on top.
    del module
    gc.collect()
    rows = index.user_rows(test["user"].to_numpy())
    cols = index.item_cols(test["item"].to_numpy())
    val_rmse = min(history["val/rmse"]) if history["val/rmse"] else float("nan")
    return ModelScores(np.clip(scores[rows, cols], low, high), scores, val_rmse, history)


def best_on_validation(results: Mapping[str, ModelScores], autoencoders: Iterable[str]) -> str:
    """The autoencoder that recommends: lowest validation RMSE, never chosen on the test."""
    return min(autoencoders, key=lambda name: results[name].val_rmse)
