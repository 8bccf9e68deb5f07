"""Top unseen movies: ranking, exclusion, storage, and `dlpipe recommend`'s messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import recommender_project, small_recommendations

from dlpipe import cli
from dlpipe.serving import ServingError
from dlpipe.serving.recommendations import load, recommend, save, titled


def test_ranks_by_score_and_never_returns_seen_movies() -> None:
    recs = small_recommendations()
    assert recs.for_user(10, 3) == [(103, 4.0), (104, 3.0), (102, 1.0)]
    assert recs.for_user(20, 10) == [(101, 2.0)]  # only one unseen movie left


def test_unknown_user_names_the_valid_range() -> None:
    with pytest.raises(KeyError, match="unknown user id 7: ids run from 10 to 20"):
        small_recommendations().for_user(7, 3)


def test_round_trip_and_titles(tmp_path: Path) -> None:
    save(small_recommendations(), tmp_path / "r.npz")
    back = load(tmp_path / "r.npz")
    assert back.model == "stacked" and back.for_user(10, 2) == [(103, 4.0), (104, 3.0)]
    titles = pd.Series({103: "Heat (1995)"})
    assert titled([(103, 4.0), (999, 3.0)], titles) == [
        (103, "Heat (1995)", 4.0),
        (999, "movie 999", 3.0),
    ]
    with pytest.raises(FileNotFoundError, match="dvc repro train_recommender"):
        load(tmp_path / "missing.npz")


def test_recommend_returns_titled_movies(tmp_path: Path) -> None:
    result = recommend(10, 2, recommender_project(tmp_path))
    assert result.user == 10 and result.model == "stacked"
    assert result.movies == [(103, "Movie 103", 4.0), (104, "Movie 104", 3.0)]
    with pytest.raises(ServingError, match="unknown user id 5: ids run from 10 to 20"):
        recommend(5, 2, tmp_path)


def test_command_prints_titles_and_rejects_unknown_users(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(recommender_project(tmp_path))
    assert cli.main(["recommend", "10", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "1. Movie 103" in out and "2. Movie 104" in out and "stacked" in out
    assert cli.main(["recommend", "5"]) == 2
    assert capsys.readouterr().err == "error: unknown user id 5: ids run from 10 to 20\n"


@pytest.mark.parametrize(
    "missing", ["models/recommender/recommendations.npz", "data/raw/movielens"]
)
def test_no_model_yet_says_what_to_run(tmp_path, monkeypatch, capsys, missing: str) -> None:
    recommender_project(tmp_path)
    target = tmp_path / missing
    if target.is_dir():
        for child in target.iterdir():
            child.unlink()
        target.rmdir()
    else:
        target.unlink()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["recommend", "10"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: no recommender model yet ({missing}): run `make repro` "
        "(or `dvc repro train_recommender`) first\n"
    )


def test_a_corrupt_recommendations_file_is_named(tmp_path, monkeypatch, capsys) -> None:
    recommender_project(tmp_path)
    (tmp_path / "models/recommender/recommendations.npz").write_text("junk", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["recommend", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: models/recommender/recommendations.npz is not a recommend")
    assert "Traceback" not in err
