"""DVC stage fetch_movielens: MovieLens ratings and titles, validated, into data/raw/movielens."""

from dlpipe.families.recommender.fetch import fetch_movielens
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="fetch_movielens",
    family="recommender",
    params=("movielens",),
    outputs=("data/raw/movielens/", "reports/data/movielens.json"),
    tracked=False,
)

if __name__ == "__main__":
    run_stage(SPEC, fetch_movielens)
