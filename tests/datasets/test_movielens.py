"""MovieLens duplicates, unknown items and the wheel / url / folder / saved routes on tiny samples.

The file samples come from test_movielens_formats.py; nothing touches the network.
"""

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from test_movielens_formats import (
    DAT_MOVIES,
    DAT_RATINGS,
    INTER,
    ITEM,
    U_DATA,
    U_ITEM,
)

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.movielens import (
    MovieLensError,
    combine,
    load_from_path,
    load_from_url,
    load_from_wheel,
    load_ratings,
    save_ratings,
)
from dlpipe.datasets.movielens_formats import parse_u_data, parse_u_item

TITLES = pd.Series(["a", "b", "c"], index=pd.Index([10, 20, 30], name="item"), name="title")


def ratings_frame(rows: list[tuple[int, int, float, int]]) -> pd.DataFrame:
    """Parsed-style ratings, indexed by line number 1.."""
    frame = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    return frame.set_axis(pd.RangeIndex(1, len(rows) + 1, name="line"))


def official_zip(folder: str, ratings: bytes, titles: bytes, *, dat: bool = False) -> bytes:
    names = ("ratings.dat", "movies.dat") if dat else ("u.data", "u.item")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{folder}/", b"")
        archive.writestr(f"{folder}/README", b"readme")
        archive.writestr(f"{folder}/{names[0]}", ratings)
        archive.writestr(f"{folder}/{names[1]}", titles)
    return buffer.getvalue()


# --- unknown items -------------------------------------------------------------------------


def test_unknown_items_are_named() -> None:
    ratings = ratings_frame([(1, 10, 4.0, 5), (1, 99, 4.0, 6), (2, 77, 3.0, 7), (3, 99, 1.0, 8)])
    with pytest.raises(MovieLensError) as err:
        combine(ratings, TITLES, ratings_source="r.data", titles_source="r.item")
    message = str(err.value)
    assert "r.data: 2 rated item id(s) have no title in r.item: 77, 99 (first at line 2)" in message


# --- duplicates ------------------------------------------------------------------------------


def test_duplicates_keep_the_latest_by_timestamp_and_are_counted() -> None:
    ratings = ratings_frame(
        [
            (1, 10, 2.0, 300),  # later than line 3: kept
            (1, 20, 5.0, 100),
            (1, 10, 4.0, 200),
            (2, 10, 1.0, 50),
            (2, 10, 3.0, 50),  # tie on timestamp: the later line wins
        ]
    )
    result = combine(ratings, TITLES, ratings_source="r", titles_source="t")
    assert result.ratings.to_dict("list") == {
        "user": [1, 1, 2],
        "item": [10, 20, 10],
        "rating": [2.0, 5.0, 3.0],
        "timestamp": [300, 100, 50],
    }
    assert result.report["duplicates_dropped"] == 2
    assert result.report["ratings_read"] == 5 and result.report["ratings"] == 3
    assert result.ratings.index.tolist() == [0, 1, 2]


def test_duplicates_error_names_the_lines() -> None:
    ratings = ratings_frame([(1, 10, 2.0, 300), (1, 20, 5.0, 100), (1, 10, 4.0, 200)])
    with pytest.raises(MovieLensError) as err:
        combine(ratings, TITLES, ratings_source="r.data", titles_source="t", duplicates="error")
    assert "r.data, lines [1, 3]: user 1 rated item 10 more than once" in str(err.value)
    with pytest.raises(MovieLensError, match="'latest' or 'error'"):
        combine(ratings, TITLES, ratings_source="r", titles_source="t", duplicates="first")  # type: ignore[arg-type]


# --- routes ----------------------------------------------------------------------------------


def test_wheel_route_reads_members_without_installing(tmp_path: Path, make_wheel) -> None:
    members = {"recbole/d/ml.inter": INTER, "recbole/d/ml.item": ITEM}
    wheel = make_wheel(tmp_path / "cache", "recbole", "1.2.1", members)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    result = load_from_wheel(
        tmp_path / "cache", "recbole", "1.2.1", digest, "recbole/d/ml.inter", "recbole/d/ml.item"
    )
    assert result.source == f"{wheel}!recbole/d/ml.inter"
    assert len(result.ratings) == 3 and result.titles[543] == "Misérables, Les (1995)"
    assert result.report["format"] == "recbole"
    assert result.report["users"] == 3 and result.report["items_rated"] == 3
    assert result.report["titles"] == 4


def test_wheel_route_names_a_wrong_member(tmp_path: Path, make_wheel) -> None:
    wheel = make_wheel(tmp_path, "recbole", "1.2.1", {"recbole/d/ml.inter": INTER})
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with pytest.raises(DatasetError, match=r"no member 'recbole/d/ml\.item'"):
        load_from_wheel(
            tmp_path, "recbole", "1.2.1", digest, "recbole/d/ml.inter", "recbole/d/ml.item"
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server on 127.0.0.1 for tmp_path/served: (base url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_url_route_downloads_a_pinned_zip_and_detects_ml100k(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    base, folder = served
    data = official_zip("ml-100k", U_DATA, U_ITEM)
    (folder / "ml-100k.zip").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    cache = tmp_path / "cache"
    result = load_from_url(cache, f"{base}ml-100k.zip", digest, timeout_s=10)
    assert (cache / "ml-100k.zip").read_bytes() == data
    assert result.source == f"{cache / 'ml-100k.zip'}/ml-100k/u.data"
    assert result.report["format"] == "u.data"
    assert result.titles[543] == "Misérables, Les (1995)"
    assert result.ratings["item"].tolist() == [242, 302, 543]


def test_url_route_detects_ml1m_and_checks_the_digest(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    base, folder = served
    data = official_zip("ml-1m", DAT_RATINGS, DAT_MOVIES, dat=True)
    (folder / "ml-1m.zip").write_bytes(data)
    with pytest.raises(ChecksumError):
        load_from_url(tmp_path / "cache", f"{base}ml-1m.zip", "0" * 64, timeout_s=10)
    assert not (tmp_path / "cache" / "ml-1m.zip").exists()
    digest = hashlib.sha256(data).hexdigest()
    result = load_from_url(tmp_path / "cache", f"{base}ml-1m.zip", digest, timeout_s=10)
    assert result.report["format"] == "dat" and len(result.ratings) == 3


@pytest.mark.parametrize("sha256", [None, "", "  "])
def test_url_route_refuses_an_unpinned_digest_before_downloading(
    tmp_path: Path, sha256: str | None
) -> None:
    with pytest.raises(MovieLensError, match=r"digest must be pinned in params\.yaml"):
        load_from_url(tmp_path / "cache", "http://127.0.0.1:9/ml-100k.zip", sha256)
    assert not (tmp_path / "cache").exists()


def test_url_route_zip_without_movielens_files(tmp_path: Path, served: tuple[str, Path]) -> None:
    base, folder = served
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-latest-small/ratings.csv", b"userId,movieId,rating,timestamp\n")
    (folder / "other.zip").write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    with pytest.raises(MovieLensError, match=r"holds no MovieLens files\. Expected exactly one"):
        load_from_url(tmp_path / "cache", f"{base}other.zip", digest, timeout_s=10)


def test_path_route_detects_the_format(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "u.data").write_bytes(U_DATA)
    (tmp_path / "a" / "u.item").write_bytes(U_ITEM)
    assert load_from_path(tmp_path / "a").report["format"] == "u.data"
    (tmp_path / "b" / "ml-1m").mkdir(parents=True)
    (tmp_path / "b" / "ml-1m" / "ratings.dat").write_bytes(DAT_RATINGS)
    (tmp_path / "b" / "ml-1m" / "movies.dat").write_bytes(DAT_MOVIES)
    result = load_from_path(tmp_path / "b")
    assert result.report["format"] == "dat"
    assert result.titles[1193] == "One Flew Over the Cuckoo's Nest (1975)"


def test_path_route_errors(tmp_path: Path) -> None:
    with pytest.raises(MovieLensError, match="absent: does not exist"):
        load_from_path(tmp_path / "absent")
    (tmp_path / "u.data").write_bytes(U_DATA)
    with pytest.raises(MovieLensError, match="holds no MovieLens files"):
        load_from_path(tmp_path)
    (tmp_path / "u.item").write_bytes(U_ITEM)
    (tmp_path / "ratings.dat").write_bytes(DAT_RATINGS)
    (tmp_path / "movies.dat").write_bytes(DAT_MOVIES)
    with pytest.raises(MovieLensError, match="several datasets"):
        load_from_path(tmp_path)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    titles = parse_u_item(U_ITEM + b'9|Quote "x", comma (2000)|z\n', "u.item")
    original = combine(
        parse_u_data(U_DATA, "u.data"), titles, ratings_source="u.data", titles_source="u.item"
    )
    save_ratings(original, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ratings.csv", "titles.csv"]
    loaded = load_ratings(tmp_path / "out")
    pd.testing.assert_frame_equal(loaded.ratings, original.ratings)
    pd.testing.assert_series_equal(loaded.titles, original.titles)
    assert loaded.titles[9] == 'Quote "x", comma (2000)'


def test_load_ratings_rejects_a_foreign_or_broken_file(tmp_path: Path) -> None:
    (tmp_path / "ratings.csv").write_text("user,item,rating\n1,2,3\n")
    (tmp_path / "titles.csv").write_text("item,title\n2,x\n")
    with pytest.raises(MovieLensError, match="not a file written by save_ratings"):
        load_ratings(tmp_path)
    (tmp_path / "ratings.csv").write_text("user,item,rating,timestamp\n1,2,3,4\n1,2,9,5\n")
    with pytest.raises(MovieLensError, match=r"ratings.csv, line 3: rating '9' is outside"):
        load_ratings(tmp_path)
    (tmp_path / "ratings.csv").write_text("user,item,rating,timestamp\n1,2,3,4\n1,2,4,5\n")
    with pytest.raises(MovieLensError, match=r"ratings.csv, lines \[2, 3\]: user 1 rated item 2"):
        load_ratings(tmp_path)
