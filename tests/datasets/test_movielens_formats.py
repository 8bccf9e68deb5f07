"""MovieLens file parsers and their per-file rules on tiny samples.

The samples are written by hand in the published formats (RecBole atomic files, GroupLens u.data /
u.item in Latin-1, ratings.dat / movies.dat with `::`); test_movielens.py reuses them.
"""

import numpy as np
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.movielens_formats import (
    MovieLensError,
    parse_dat_movies,
    parse_dat_ratings,
    parse_recbole_inter,
    parse_recbole_item,
    parse_u_data,
    parse_u_item,
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
    titles = parse_u_item(data, "u.item", encoding="latin-1")
    assert titles.to_dict() == {7: "Caf\x85 (1990)", 8: "Next (1991)"}


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
        (b"1\t2\t3\t4\n\xe9\t2\t3\t4\n", "u.data, line 2: byte b'\\xe9' is not valid utf-8"),
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
