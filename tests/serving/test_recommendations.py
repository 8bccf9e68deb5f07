"""Top unseen movies: ranking, exclusion, storage, and `dlpipe recommend`'s messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import recommender_project, register_in, small_recommendations, small_titles

from dlpipe import cli
from dlpipe.serving import ServingError
from dlpipe.serving.pyfunc import RecommenderModel, register_recommender
from dlpipe.serving.recommendations import (
    load,
    load_titles,
    recommend,
    save,
    save_titles,
    titled,
    titles_path,
)


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


def test_titles_round_trip_any_text(tmp_path: Path) -> None:
    titles = pd.Series({3: 'Seven, "Se7en" (1995)', 1: "Amélie (2001)", 2: ""}, name="title")
    save_titles(titles, tmp_path / "titles.csv")
    back = load_titles(tmp_path / "titles.csv")
    assert back.to_dict() == titles.to_dict()
    assert titles_path(tmp_path / "r.npz") == tmp_path / "titles.csv"


def test_the_pyfunc_model_answers_rows_per_user(tmp_path: Path) -> None:
    save(small_recommendations(), tmp_path / "r.npz")
    save_titles(small_titles(), tmp_path / "titles.csv")
    model = RecommenderModel()
    model.load({"recommendations": str(tmp_path / "r.npz"), "titles": str(tmp_path / "titles.csv")})
    answer = model.predict(None, pd.DataFrame({"user": [10, 20], "k": [2, 5]}))
    assert answer.to_dict("records") == [
        {"user": 10, "rank": 1, "item": 103, "title": "Movie 103", "score": 4.0},
        {"user": 10, "rank": 2, "item": 104, "title": "Movie 104", "score": 3.0},
        {"user": 20, "rank": 1, "item": 101, "title": "Movie 101", "score": 2.0},
    ]
    assert len(model.predict(None, pd.DataFrame({"user": [10]}))) == 3  # k: the default 10
    with pytest.raises(ValueError, match="unknown user id 7: ids run from 10 to 20"):
        model.predict(None, pd.DataFrame({"user": [7]}))
    with pytest.raises(ValueError, match="k must be from 1 to 50, got 51"):
        model.predict(None, pd.DataFrame({"user": [10], "k": [51]}))


def test_command_reads_the_registered_model(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project = recommender_project(tmp_path)
    monkeypatch.chdir(project)
    assert cli.main(["recommend", "10"]) == 2
    assert capsys.readouterr().err == (
        "error: no registered model dlpipe-recommender yet: run `make repro` first\n"
    )
    npz = project / "models/recommender/recommendations.npz"
    renamed = small_titles().map(lambda title: f"{title} (v2)")
    for titles in (small_titles(), renamed):
        register_in(
            project, "recommender", lambda run, t=titles: register_recommender(run, npz, t, [10])
        )
    assert (npz.parent / "titles.csv").is_file()
    assert cli.main(["recommend", "10", "-n", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Top 2 unseen movies for user 10 (stacked):",
        " 1. Movie 103 (v2)  [movie 103, predicted 4.00]",
        " 2. Movie 104 (v2)  [movie 104, predicted 3.00]",
    ]
    assert cli.main(["recommend", "10", "-n", "1", "--version", "1"]) == 0
    assert " 1. Movie 103  [movie 103, predicted 4.00]" in capsys.readouterr().out
    assert cli.main(["recommend", "5"]) == 2
    assert capsys.readouterr().err == "error: unknown user id 5: ids run from 10 to 20\n"
    assert cli.main(["recommend", "10", "--version", "3"]) == 2
    assert capsys.readouterr().err == (
        "error: registered model dlpipe-recommender has no version 3 (it has versions 1 to 2)\n"
    )


@pytest.mark.parametrize(
    "missing", ["models/recommender/recommendations.npz", "data/raw/movielens"]
)
def test_no_files_yet_says_what_to_run(tmp_path, missing: str) -> None:
    recommender_project(tmp_path)
    target = tmp_path / missing
    if target.is_dir():
        for child in target.iterdir():
            child.unlink()
        target.rmdir()
    else:
        target.unlink()
    with pytest.raises(ServingError) as error:
        recommend(10, 2, tmp_path)
    assert str(error.value) == (
        f"no recommender model yet ({missing}): run `make repro` "
        "(or `dvc repro train_recommender`) first"
    )


def test_a_corrupt_recommendations_file_is_named(tmp_path) -> None:
    recommender_project(tmp_path)
    (tmp_path / "models/recommender/recommendations.npz").write_text("junk", encoding="utf-8")
    with pytest.raises(
        ServingError, match=r"^models/recommender/recommendations\.npz is not a rec"
    ):
        recommend(10, 2, tmp_path)
