"""Top unseen movies: ranking, exclusion, storage, and the command's messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe import recommend
from dlpipe.datasets.movielens import Ratings, save_ratings
from dlpipe.recommendations import load, save, titled, top_unseen


def _recs():
    scores = np.array([[5.0, 1.0, 4.0, 3.0], [2.0, 4.5, 1.0, 3.5]])
    seen = np.array([[True, False, False, False], [False, True, True, True]])
    return top_unseen("stacked", scores, seen, np.array([10, 20]), np.array([101, 102, 103, 104]))


def test_ranks_by_score_and_never_returns_seen_movies() -> None:
    recs = _recs()
    assert recs.for_user(10, 3) == [(103, 4.0), (104, 3.0), (102, 1.0)]
    assert recs.for_user(20, 10) == [(101, 2.0)]  # only one unseen movie left


def test_unknown_user_names_the_valid_range() -> None:
    with pytest.raises(KeyError, match="unknown user id 7: ids run from 10 to 20"):
        _recs().for_user(7, 3)


def test_round_trip_and_titles(tmp_path: Path) -> None:
    save(_recs(), tmp_path / "r.npz")
    back = load(tmp_path / "r.npz")
    assert back.model == "stacked" and back.for_user(10, 2) == [(103, 4.0), (104, 3.0)]
    titles = pd.Series({103: "Heat (1995)"})
    assert titled([(103, 4.0), (999, 3.0)], titles) == [
        (103, "Heat (1995)", 4.0),
        (999, "movie 999", 3.0),
    ]
    with pytest.raises(FileNotFoundError, match="dvc repro train_recommender"):
        load(tmp_path / "missing.npz")


def test_command_prints_titles_and_rejects_unknown_users(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    save(_recs(), tmp_path / "models" / "recommender" / "recommendations.npz")
    ratings = pd.DataFrame(
        {"user": [10, 20], "item": [101, 102], "rating": [4.0, 3.0], "timestamp": [1, 2]}
    )
    titles = pd.Series({i: f"Movie {i}" for i in (101, 102, 103, 104)}, name="title")
    titles.index.name = "item"
    save_ratings(Ratings(ratings, titles, "test", {}), tmp_path / "data" / "raw" / "movielens")
    monkeypatch.chdir(tmp_path)
    assert recommend.main(["10", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "1. Movie 103" in out and "2. Movie 104" in out and "stacked" in out
    assert recommend.main(["5"]) == 2
    assert "unknown user id 5" in capsys.readouterr().err
