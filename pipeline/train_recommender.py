"""DVC stage train_recommender: autoencoders vs baselines on MovieLens, and recommendations.

Reads data/raw/movielens; a child MLflow run per autoencoder under the stage's run.
"""

from dlpipe.families.recommender.train import train_recommender
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_recommender",
    family="recommender",
    params=("seed", "training", "recommender"),
    outputs=(
        "models/recommender/",
        "reports/recommender/learning_curves.csv",
        "reports/recommender/details.json",
        "reports/recommender/report.md",
        "reports/recommender/metrics.json",
        "reports/recommender/learning_curves.png",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_recommender)
