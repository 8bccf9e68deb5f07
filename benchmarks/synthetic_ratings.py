"""A synthetic MovieLens of any shape (ml-1m's by default), in the layout the `path` source reads.

Why synthetic: the benchmark must run offline and be committed without GroupLens's files. The
ratings have ml-1m's statistics that matter for speed and memory (users, movies, ratings, the
density of item rows) and a structure that autoencoders can learn:

- every user rates at least `min_per_user` movies; activity beyond that is heavy-tailed
  (lognormal), scaled so the total is exactly `n_ratings`;
- movie popularity follows a power law (Zipf weight (rank + 1) ** -alpha); each user's movies
  are drawn without replacement with those weights (the Gumbel top-k trick, one vectorised op);
- rating = global mean + user bias + movie bias + a rank-`rank` taste term + noise, rounded and
  clipped to 1..5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ML_1M = {"n_users": 6040, "n_movies": 3706, "n_ratings": 1_000_209}


@dataclass(frozen=True)
class RatingModel:
    """The generating model's scales (ratings on 1..5)."""

    mean: float = 3.58
    user_sd: float = 0.35
    movie_sd: float = 0.45
    rank: int = 10
    taste_sd: float = 0.6
    noise_sd: float = 0.75
    popularity_alpha: float = 0.9


def user_activity(
    n_users: int, n_movies: int, n_ratings: int, min_per_user: int, rng
) -> np.ndarray:
    """Ratings per user: >= min_per_user, <= n_movies, heavy-tailed, summing to n_ratings."""
    if not min_per_user * n_users <= n_ratings <= n_movies * n_users:
        raise ValueError(
            f"{n_ratings} ratings cannot give {n_users} users between {min_per_user} and "
            f"{n_movies} movies each"
        )
    extra = rng.lognormal(mean=0.0, sigma=1.1, size=n_users)
    spare = n_ratings - min_per_user * n_users
    counts = min_per_user + np.floor(extra / extra.sum() * spare).astype(np.int64)
    counts = np.minimum(counts, n_movies)
    # Hand out what flooring (and the cap) left, one rating each to users with room.
    while (missing := n_ratings - int(counts.sum())) > 0:
        room = np.flatnonzero(counts < n_movies)
        chosen = rng.choice(room, size=min(missing, len(room)), replace=False)
        counts[chosen] += 1
    return counts


def synthetic_ratings(
    n_users: int = ML_1M["n_users"],
    n_movies: int = ML_1M["n_movies"],
    n_ratings: int = ML_1M["n_ratings"],
    min_per_user: int = 20,
    seed: int = 0,
    model: RatingModel | None = None,
) -> pd.DataFrame:
    """Columns user, item (1-based ids), rating (1..5 ints), timestamp; one row per pair."""
    model = model or RatingModel()
    rng = np.random.default_rng(seed)
    counts = user_activity(n_users, n_movies, n_ratings, min_per_user, rng)
    popularity = np.log(np.arange(1, n_movies + 1, dtype=np.float64) ** -model.popularity_alpha)
    popularity = popularity[rng.permutation(n_movies)]  # popular ids scattered, as in MovieLens
    user_bias = rng.normal(0.0, model.user_sd, n_users)
    movie_bias = rng.normal(0.0, model.movie_sd, n_movies)
    scale = np.sqrt(model.taste_sd / np.sqrt(model.rank))  # dot product's sd = taste_sd
    user_taste = rng.normal(0.0, scale, (n_users, model.rank))
    movie_taste = rng.normal(0.0, scale, (n_movies, model.rank))
    users, items = [], []
    for start in range(0, n_users, 512):  # Gumbel keys in blocks: a few MB at a time
        block = slice(start, min(start + 512, n_users))
        keys = popularity + rng.gumbel(size=(block.stop - block.start, n_movies))
        order = np.argsort(-keys, axis=1)
        for row, count in enumerate(counts[block]):
            users.append(np.full(count, block.start + row))
            items.append(order[row, :count])
    user = np.concatenate(users)
    item = np.concatenate(items)
    raw = (
        model.mean
        + user_bias[user]
        + movie_bias[item]
        + np.einsum("ij,ij->i", user_taste[user], movie_taste[item])
        + rng.normal(0.0, model.noise_sd, len(user))
    )
    rating = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    timestamp = 956_703_932 + rng.permutation(len(user))
    return pd.DataFrame(
        {"user": user + 1, "item": item + 1, "rating": rating, "timestamp": timestamp}
    )


def write_dat(ratings: pd.DataFrame, folder: Path) -> Path:
    """ratings.dat + movies.dat (GroupLens ml-1m layout, `::`-separated) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = (
        ratings["user"].astype(str)
        + "::"
        + ratings["item"].astype(str)
        + "::"
        + ratings["rating"].astype(str)
        + "::"
        + ratings["timestamp"].astype(str)
    )
    (folder / "ratings.dat").write_text("\n".join(lines) + "\n", encoding="latin-1")
    movies = sorted(ratings["item"].unique())
    titles = [f"{movie}::Synthetic Movie {movie} (2000)::Drama" for movie in movies]
    (folder / "movies.dat").write_text("\n".join(titles) + "\n", encoding="latin-1")
    return folder
