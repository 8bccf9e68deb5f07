"""`python -m dlpipe.recommend USER_ID`: the movies the pipeline's best autoencoder suggests."""

from __future__ import annotations

import argparse
import sys

from dlpipe import paths
from dlpipe.datasets.movielens import load_ratings
from dlpipe.recommendations import load, titled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("user", type=int, help="a MovieLens user id")
    parser.add_argument("-n", type=int, default=10, help="how many movies (at most 50)")
    args = parser.parse_args(argv)
    root = paths.project_root()
    recs = load(paths.models_dir(root) / "recommender" / "recommendations.npz")
    titles = load_ratings(paths.data_raw(root) / "movielens").titles
    try:
        pairs = recs.for_user(args.user, args.n)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"Top {len(pairs)} unseen movies for user {args.user} ({recs.model}):")
    for rank, (item, title, score) in enumerate(titled(pairs, titles), start=1):
        print(f"{rank:2d}. {title}  [movie {item}, predicted {score:.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
