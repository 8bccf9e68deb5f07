"""One autoencoder recommender (the entry of recommender.autoencoders that the space names; its
kind may be a choice): RMSE on the validation ratings, a slice of the training ratings (val/rmse
per epoch for the pruner)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna
import pandas as pd

from dlpipe.config import Params
from dlpipe.data.rating_matrix import RatingIndex, build_index
from dlpipe.datasets.movielens import load_ratings
from dlpipe.evaluation.errors import rmse
from dlpipe.training.recommender import autoencoder_scores, split_ratings
from dlpipe.tuning.objectives.base import Objective, Scores, tuned_entry

RATINGS = "data/raw/movielens"
PREFIX = "recommender.autoencoders"


@dataclass(frozen=True, eq=False)
class Ratings:
    index: RatingIndex
    train: pd.DataFrame
    test: pd.DataFrame


def load(params: Params, root: Path) -> Ratings:
    ratings = load_ratings(root / RATINGS).ratings
    train, test = split_ratings(ratings, params.recommender, params.seed)
    return Ratings(build_index(ratings), train, test)


def score(
    params: Params, data: Ratings, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    cfg = params.recommender
    name = tuned_entry(params, "recommender", PREFIX)
    result = autoencoder_scores(
        name,
        cfg.autoencoders[name],
        data.train,
        data.test,
        data.index,
        cfg,
        params.training,
        params.seed,
        None,
        workdir,
    )
    test = rmse(data.test["rating"].to_numpy(), result.predictions) if with_test else None
    return Scores(val=result.val_rmse, test=test)


def _fidelity(params: Params, epochs: int) -> dict[str, int]:
    return {f"{PREFIX}.{tuned_entry(params, 'recommender', PREFIX)}.max_epochs": epochs}


OBJECTIVE = Objective(
    family="recommender",
    metric="rmse",
    direction="minimize",
    monitor="val/rmse",
    fidelity=_fidelity,
    reads=("seed", "movielens", "recommender"),
    data=(RATINGS,),
    load=load,
    score=score,
)
