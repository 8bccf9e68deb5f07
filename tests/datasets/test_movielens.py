"""MovieLens parsers, validation rules and the wheel / url / folder / saved routes on tiny samples.

The samples are written by hand in the published formats (RecBole atomic files, GroupLens u.data /
u.item in Latin-1, ratings.dat / movies.dat with `::`); nothing touches the network.
"""

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.movielens import (
    MovieLensError,
    combine,
    load_from_path,
    load_from_url,
    load_from_wheel,
    load_ratings,
    parse_dat_movies,
    parse_dat_ratings,
    parse_recbole_inter,
    parse_recbole_item,
    parse_u_data,
    parse_u_item,
    save_ratings,
)

INTER = (
    b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    b"196\t242\t3\t881250949\n"
    b"186\t302\t3\t891717742\n"
    b"22\t543\t1.0\t878887116.0\n"
)
ITEM = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "242\tKolya\t1996\tComedy\n"
    "267\tunkonwn\tunkonwn\tunknown\n"
    "302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery Thriller\n"
    "543\tMisérables, Les\t1995\tDrama Musical\n"
).encode()
U_DATA = b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t543\t1\t878887116\n"
U_ITEM = (
    "242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|0|0|0\n"
    "302|L.A. Confidential (1997)|01-Jan-1997||http://us.imdb.com/x|0|0|0\n"
    "543|Misérables, Les (1995)|01-Jan-1995||http://us.imdb.com/y|0|0|0\n"
).encode("latin-1")
DAT_RATINGS = b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
DAT_MOVIES = (
    "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
    "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
    "2571::Matrix, The (1999)::Action|Sci-Fi|Thriller\n"
    "3000::Princess Mononoke, The (Mononoke Hime) (1997)::Action|Adventure|Animation\n"
    "3780::Rocketship X-M (1950)::Sci-Fi\n"
    "1::Star Wars: Episode IV - A New Hope (1977)::Action\n"
    "3::Misérables, Les (1995)::Drama|Musical\n"
).encode("latin-1")
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


# --- parsers ---------------------------------------------------------------------------------


def test_recbole_inter_types_columns_and_line_index() -> None:
    frame = parse_recbole_inter(INTER, "x.inter")
    assert frame.to_dict("list") == {
        "user": [196, 186, 22],
        "item": [242, 302, 543],
        "rating": [3.0, 3.0, 1.0],
        "timestamp": [881250949, 891717742, 878887116],
    }
    assert frame.index.tolist() == [2, 3, 4]
    assert frame.dtypes.astype(str).tolist() == ["int64", "int64", "float64", "int64"]


def test_recbole_inter_reads_columns_by_header_name() -> None:
    data = b"timestamp:float\trating:float\titem_id:token\tuser_id:token\n5\t4\t3\t2\n"
    assert parse_recbole_inter(data, "x").iloc[0].tolist() == [2, 3, 4.0, 5]


def test_recbole_item_puts_the_year_back_and_decodes_utf8() -> None:
    titles = parse_recbole_item(ITEM, "x.item")
    assert titles.to_dict() == {
        242: "Kolya (1996)",
        267: "unkonwn",
        302: "L.A. Confidential (1997)",
        543: "Misérables, Les (1995)",
    }
    assert titles.index.dtype == np.int64 and titles.index.name == "item"


def test_u_data_and_u_item_latin1() -> None:
    frame = parse_u_data(U_DATA, "u.data")
    assert frame["rating"].tolist() == [3.0, 3.0, 1.0]
    assert frame.index.tolist() == [1, 2, 3]
    titles = parse_u_item(U_ITEM, "u.item")
    assert titles[543] == "Misérables, Les (1995)"
    assert titles[242] == "Kolya (1996)"


def test_u_item_as_utf8_is_read_as_utf8() -> None:
    assert parse_u_item(U_ITEM.decode("latin-1").encode("utf-8"), "x")[543].startswith("Misé")


def test_latin1_byte_that_ends_lines_elsewhere_stays_in_the_title() -> None:
    data = "7|Caf\x85 (1990)|x\n8|Next (1991)|y\n".encode("latin-1")
    assert parse_u_item(data, "u.item").to_dict() == {7: "Caf\x85 (1990)", 8: "Next (1991)"}


def test_dat_formats_with_double_colons_and_colons_in_titles() -> None:
    frame = parse_dat_ratings(DAT_RATINGS, "ratings.dat")
    assert frame.to_dict("list") == {
        "user": [1, 1, 2],
        "item": [1193, 661, 1193],
        "rating": [5.0, 3.0, 4.0],
        "timestamp": [978300760, 978302109, 978298413],
    }
    titles = parse_dat_movies(DAT_MOVIES, "movies.dat")
    assert titles[1] == "Star Wars: Episode IV - A New Hope (1977)"
    assert titles[3] == "Misérables, Les (1995)"
    assert titles.index.is_monotonic_increasing


def test_crlf_and_blank_lines_keep_true_line_numbers() -> None:
    frame = parse_u_data(b"1\t2\t3\t4\r\n\r\n5\t6\t7\t8\r\n", "u.data", rating_range=(1, 10))
    assert frame.index.tolist() == [1, 3]
    assert frame["timestamp"].tolist() == [4, 8]


# --- validation errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"1\t2\t3\t4\n1\tx7\t3\t4\n",
            "u.data, line 2: item id 'x7' is not a non-negative integer",
        ),
        (b"1\t2\t3\t4\n-1\t2\t3\t4\n", "u.data, line 2: user id '-1' is not a non-negative"),
        (b"1\t2\t3\t4\n\n1\t3\t6\t4\n", "u.data, line 3: rating '6' is outside [1.0, 5.0]"),
        (b"1\t2\t0.5\t4\n", "u.data, line 1: rating '0.5' is outside [1.0, 5.0]"),
        (b"1\t2\tfive\t4\n", "u.data, line 1: rating 'five' is not a number"),
        (b"1\t2\tnan\t4\n", "u.data, line 1: rating 'nan' is not a number"),
        (b"1\t2\t3\t4.5\n", "u.data, line 1: timestamp '4.5' is not an integer"),
        (b"1\t2\t3\t4\n1\t2\t3\n", "u.data, line 2: '1\\t2\\t3' does not have 4 fields"),
        (b"1\t2\t3\t4\t5\n", "u.data, line 1: '1\\t2\\t3\\t4\\t5' does not have 4 fields"),
        (b"1\t2\t3\t4\n\xe9\t2\t3\t4\n", "u.data, line 2: byte b'\\xe9' is not utf-8"),
        (b"\n \n", "u.data is empty"),
    ],
)
def test_rating_errors_name_file_line_and_value(data: bytes, expected: str) -> None:
    with pytest.raises(MovieLensError, match="To fix") as err:
        parse_u_data(data, "u.data")
    assert expected in str(err.value)


def test_rating_range_is_a_parameter() -> None:
    frame = parse_dat_ratings(b"1::2::0.5::9\n", "r.dat", rating_range=(0.5, 5.0))
    assert frame["rating"].tolist() == [0.5]
    with pytest.raises(MovieLensError, match="rating_range"):
        parse_dat_ratings(b"1::2::3::9\n", "r.dat", rating_range=(5.0, 1.0))


def test_error_is_a_dataset_error() -> None:
    assert issubclass(MovieLensError, DatasetError)


@pytest.mark.parametrize(
    ("parse", "data", "expected"),
    [
        (parse_u_item, b"1|A (1990)|x\n1|B (1991)|y\n", "u.item, lines [1, 2]: item id 1"),
        (parse_u_item, b"1|A (1990)|x\n2\n", "u.item, line 2: '2' does not have at least 2"),
        (parse_u_item, b"1| |x\n", "u.item, line 1: item 1 has an empty title"),
        (parse_u_item, b"one|A (1990)|x\n", "u.item, line 1: item id 'one' is not"),
        (parse_dat_movies, b"1::A (1990)\n", "u.item, line 1: '1::A (1990)' does not have 3"),
    ],
)
def test_title_errors(parse: object, data: bytes, expected: str) -> None:
    with pytest.raises(MovieLensError) as err:
        parse(data, "u.item")  # type: ignore[operator]
    assert expected in str(err.value)


def test_recbole_header_without_a_needed_field() -> None:
    data = b"user_id:token\titem_id:token\trating:float\n1\t2\t3\n"
    with pytest.raises(MovieLensError, match=r"x.inter, line 1: header .* lacks \['timestamp'\]"):
        parse_recbole_inter(data, "x.inter")


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
    with pytest.raises(MovieLensError, match="is not a folder"):
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
