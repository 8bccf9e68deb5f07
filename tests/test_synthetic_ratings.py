"""The ml-1m-scale benchmark's rating generator, on a scaled-down shape: exact counts, every user
above the minimum, skewed movie popularity, learnable ratings, and files the `path` source reads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from dlpipe.datasets.movielens import load_from_path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_ratings_module() -> ModuleType:
    """benchmarks/ is scripts, not a package: load the module from its file."""
    spec = importlib.util.spec_from_file_location(
        "synthetic_ratings", ROOT / "benchmarks" / "synthetic_ratings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("synthetic_ratings", module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_the_generator_makes_the_stated_shape_and_the_path_source_reads_it(tmp_path: Path) -> None:
    gen = synthetic_ratings_module()
    ratings = gen.synthetic_ratings(n_users=120, n_movies=80, n_ratings=4001, seed=3)
    assert len(ratings) == 4001
    assert ratings["user"].nunique() == 120 and ratings["item"].nunique() == 80
    assert not ratings.duplicated(["user", "item"]).any()
    assert ratings.groupby("user").size().min() >= 20
    assert set(ratings["rating"]) <= {1, 2, 3, 4, 5}
    per_movie = np.sort(ratings.groupby("item").size().to_numpy())[::-1]
    assert per_movie[:8].mean() > 2 * np.median(per_movie)  # power-law popularity: a head
    again = gen.synthetic_ratings(n_users=120, n_movies=80, n_ratings=4001, seed=3)
    assert again.equals(ratings)  # reproducible from the seed

    loaded = load_from_path(gen.write_dat(ratings, tmp_path / "ml"))
    assert len(loaded.ratings) == 4001 and loaded.ratings["rating"].sum() == ratings["rating"].sum()
