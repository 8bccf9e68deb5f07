"""Top-N unseen movies per user: computed once by the stage, looked up by the command.

The train_recommender stage ranks (`top_unseen`) and stores (`save`) them, and registers them
with their titles (`titles.csv` beside them) as the model `dlpipe-recommender`, whose
`Recommender` the `dlpipe recommend` command gets from the registry. `recommend` reads the stage's
files instead, with titles from the fetched MovieLens data.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_path
from dlpipe.datasets import DatasetError
from dlpipe.datasets.movielens import load_ratings
from dlpipe.serving.errors import REPRO_ADVICE, ServingError, shown

log = logging.getLogger(__name__)

STORED_PER_USER = 50
TITLES_NAME = "titles.csv"


@dataclass(frozen=True, eq=False)
class Recommendations:
    """For each user (raw id), movies (raw ids) ranked by predicted score, seen ones excluded."""

    model: str
    users: np.ndarray
    items: np.ndarray  # (users, STORED_PER_USER) raw item ids, -1 where a user has none left
    scores: np.ndarray

    def for_user(self, user: int, n: int) -> list[tuple[int, float]]:
        hits = np.flatnonzero(self.users == user)
        if len(hits) == 0:
            raise KeyError(
                f"unknown user id {user}: ids run from {self.users.min()} to {self.users.max()}"
            )
        row = hits[0]
        keep = self.items[row] >= 0
        return list(
            zip(
                self.items[row][keep][:n].tolist(), self.scores[row][keep][:n].tolist(), strict=True
            )
        )


def top_unseen(
    model: str, scores: np.ndarray, seen: np.ndarray, users: np.ndarray, items: np.ndarray
) -> Recommendations:
    """Rank every movie per user by score with seen ones pushed out; keep the top few."""
    masked = np.where(seen, -np.inf, scores)
    k = min(STORED_PER_USER, masked.shape[1])
    top = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    top_scores = np.take_along_axis(masked, top, axis=1)
    valid = np.isfinite(top_scores)
    return Recommendations(
        model,
        users.copy(),
        np.where(valid, items[top], -1),
        np.where(valid, top_scores, np.nan),
    )


def save(recs: Recommendations, path: Path) -> None:
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.savez(handle, model=recs.model, users=recs.users, items=recs.items, scores=recs.scores)


def load(path: Path) -> Recommendations:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no recommendations yet; run `dvc repro train_recommender`"
        )
    with np.load(path, allow_pickle=False) as data:
        return Recommendations(str(data["model"]), data["users"], data["items"], data["scores"])


def titled(pairs: list[tuple[int, float]], titles: pd.Series) -> list[tuple[int, str, float]]:
    return [(item, str(titles.get(item, f"movie {item}")), score) for item, score in pairs]


def titles_path(recommendations_file: Path) -> Path:
    """Where the titles that go with a recommendations file are kept: beside it."""
    return recommendations_file.parent / TITLES_NAME


def save_titles(titles: pd.Series, path: Path) -> None:
    """Movie titles by raw item id as a CSV (`item,title`), atomically."""
    frame = pd.DataFrame({"item": titles.index.astype("int64"), "title": titles.astype(str)})
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")


def load_titles(path: Path) -> pd.Series:
    """The titles `save_titles` wrote, indexed by item id."""
    frame = pd.read_csv(path, dtype={"item": "int64", "title": str}, keep_default_na=False)
    return pd.Series(frame["title"].to_numpy(), index=frame["item"].to_numpy(), name="title")


@dataclass(frozen=True)
class UserRecommendations:
    """What `dlpipe recommend` prints: the model's best unseen movies for one user."""

    user: int
    model: str  # the autoencoder that made them (chosen on validation ratings)
    movies: list[tuple[int, str, float]]  # (movie id, title, predicted rating), best first


@dataclass(frozen=True, eq=False)
class Recommender:
    """Stored recommendations and the titles to show them with: what the registry serves."""

    recs: Recommendations
    titles: pd.Series

    def recommend(self, user: int, n: int) -> UserRecommendations:
        """The top `n` (at most STORED_PER_USER) unseen movies for `user`; KeyError naming the
        valid ids for an unknown user."""
        return UserRecommendations(
            user, self.recs.model, titled(self.recs.for_user(user, n), self.titles)
        )


def recommendations_path(root: Path) -> Path:
    return paths.models_dir(root) / "recommender" / "recommendations.npz"


def recommend(user: int, n: int, root: Path) -> UserRecommendations:
    """The top `n` (at most STORED_PER_USER) unseen movies for MovieLens user id `user`."""
    model_path, ratings_dir = recommendations_path(root), paths.data_raw(root) / "movielens"
    for needed in (model_path, ratings_dir):
        if not needed.exists():
            advice = REPRO_ADVICE.format(stage="train_recommender")
            raise ServingError(f"no recommender model yet ({shown(needed, root)}): {advice}")
    log.info("reading recommendations from %s", model_path)
    try:
        recs = load(model_path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ServingError(
            f"{shown(model_path, root)} is not a recommendations file ({exc}); delete it and "
            f"{REPRO_ADVICE.format(stage='train_recommender')}"
        ) from exc
    log.info("reading movie titles from %s", ratings_dir)
    try:
        titles = load_ratings(ratings_dir).titles
    except DatasetError as exc:
        raise ServingError(str(exc)) from exc
    try:
        pairs = recs.for_user(user, n)
    except KeyError as exc:
        raise ServingError(str(exc.args[0])) from None
    return UserRecommendations(user, recs.model, titled(pairs, titles))
