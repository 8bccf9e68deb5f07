"""MovieLens file formats: bytes in, typed and checked frames out.

One parser per published layout: RecBole atomic files (`.inter` / `.item`: tab-separated with a
typed header such as `user_id:token`, UTF-8), GroupLens `u.data` + `u.item` (tabs; pipes, title
in field 2) and `ratings.dat` + `movies.dat` (`::`). GroupLens wrote these titles in Latin-1; a
file that is valid UTF-8 is read as UTF-8 instead, so a re-encoded copy works too.

RecBole stores the year apart from the title ("Toy Story" / "1995"); it is put back as
"Toy Story (1995)", so titles match the official files whichever source is used.

Each parser takes bytes and a source name. Ratings parsers return typed frames indexed by 1-based
line number, so that later checks (duplicates, unknown items) can still name lines; titles
parsers return str Series indexed by item id. Every problem is a `MovieLensError` naming the
file, the line and the value: ids are non-negative integers, ratings lie within `rating_range`,
timestamps are integers, titles are non-empty and one per item id.
"""

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from dlpipe.datasets import DatasetError

RatingRange = tuple[float, float]
DEFAULT_RATING_RANGE: RatingRange = (1.0, 5.0)
COLUMNS = ("user", "item", "rating", "timestamp")

_OFFICIAL_ENCODINGS = ("utf-8-sig", "latin-1")
AUTO_ENCODING = "auto"
"""Titles in UTF-8 when the file is valid UTF-8, else Latin-1 (GroupLens' own encoding)."""
_SET_ENCODING = (
    "set movielens.encoding in params.yaml to the file's encoding (utf-8, latin-1, cp1252, ...)"
)
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_ID = r"\d{1,18}"
_LINE_SHOWN = 200
_FIX_LINE = "correct or delete that line in the file"


class MovieLensError(DatasetError):
    """A MovieLens file is unreadable or breaks a rule; the message names file, line and value."""


def parse_recbole_inter(
    data: bytes, source: str, *, rating_range: RatingRange = DEFAULT_RATING_RANGE
) -> pd.DataFrame:
    """Ratings from a RecBole `.inter` file; columns found by header name, in any order."""
    lines = _lines(_decode(data, source, ("utf-8-sig",)), source)
    header = _recbole_header(lines)
    table = _split(lines.iloc[1:], "\t", len(header), source, "tab-separated like the header")
    wanted = {"user_id": "user", "item_id": "item", "rating": "rating", "timestamp": "timestamp"}
    cells = _pick(table, header, wanted, source, lines.index[0])
    return ratings_from_cells(cells, source, rating_range)


def parse_recbole_item(data: bytes, source: str) -> pd.Series:
    """Titles from a RecBole `.item` file, with `release_year` put back: "Toy Story (1995)".

    The year is appended when present and not the title itself (item 267 is "unkonwn" in both).
    """
    lines = _lines(_decode(data, source, ("utf-8-sig",)), source)
    header = _recbole_header(lines)
    table = _split(lines.iloc[1:], "\t", len(header), source, "tab-separated like the header")
    wanted = {"item_id": "item", "movie_title": "title"}
    if "release_year" in header:
        wanted["release_year"] = "year"
    cells = _pick(table, header, wanted, source, lines.index[0])
    titles = cells["title"].str.strip()
    if "year" in cells:
        year = cells["year"].str.strip()
        add = (year != "") & (year != titles)
        titles = titles.where(~add, titles + " (" + year + ")")
    return titles_from_cells(cells["item"], titles, source)


def parse_u_data(
    data: bytes, source: str, *, rating_range: RatingRange = DEFAULT_RATING_RANGE
) -> pd.DataFrame:
    """Ratings from GroupLens `u.data` (or u1.base ...): user, item, rating, timestamp, tabs."""
    lines = _lines(_decode(data, source, ("utf-8-sig",)), source)
    layout = "user<TAB>item<TAB>rating<TAB>timestamp"
    return ratings_from_cells(_split(lines, "\t", 4, source, layout, COLUMNS), source, rating_range)


def parse_u_item(data: bytes, source: str, *, encoding: str = AUTO_ENCODING) -> pd.Series:
    """Titles from GroupLens `u.item`: pipe-separated, id in field 1, title in field 2."""
    lines = _lines(decode_titles(data, source, encoding), source)
    table = lines.str.split("|", n=2, expand=True, regex=False).reindex(columns=[0, 1, 2])
    _require_fields(lines, table[1].isna(), source, "at least 2 fields: id|title|...")
    return titles_from_cells(table[0], table[1].str.strip(), source)


def parse_dat_ratings(
    data: bytes, source: str, *, rating_range: RatingRange = DEFAULT_RATING_RANGE
) -> pd.DataFrame:
    """Ratings from GroupLens `ratings.dat` (ml-1m, ml-10m): `user::item::rating::timestamp`."""
    lines = _lines(_decode(data, source, ("utf-8-sig",)), source)
    layout = "user::item::rating::timestamp"
    return ratings_from_cells(_split(lines, "::", 4, source, layout, COLUMNS), source, rating_range)


def parse_dat_movies(data: bytes, source: str, *, encoding: str = AUTO_ENCODING) -> pd.Series:
    """Titles from GroupLens `movies.dat`: `id::title::genres`; a title may contain ':'."""
    lines = _lines(decode_titles(data, source, encoding), source)
    table = lines.str.extract(r"^([^:]*)::(.*)::([^:]*)$")
    _require_fields(lines, table[0].isna(), source, "3 fields: id::title::genres")
    return titles_from_cells(table[0], table[1].str.strip(), source)


def ratings_from_cells(cells: pd.DataFrame, source: str, rating_range: RatingRange) -> pd.DataFrame:
    """Typed, checked ratings from string cells indexed by line; `load_ratings` reuses it."""
    low, high = _check_range(rating_range)
    return pd.DataFrame(
        {
            "user": _integers(cells["user"], "user id", source),
            "item": _integers(cells["item"], "item id", source),
            "rating": _ratings(cells["rating"], source, low, high),
            "timestamp": _timestamps(cells["timestamp"], source),
        }
    )


def titles_from_cells(ids: pd.Series, titles: pd.Series, source: str) -> pd.Series:
    """Titles indexed by unique integer item id, sorted; an empty title is an error.

    Public because `load_ratings` checks a saved titles.csv with the same rules.
    """
    items = _integers(ids, "item id", source)
    blank = titles.str.strip() == ""
    if blank.any():
        line = titles.index[blank.to_numpy().argmax()]
        raise MovieLensError(
            f"{source}, line {line}: item {items[line]} has an empty title. To fix: {_FIX_LINE}"
        )
    twice = items.duplicated(keep=False)
    if twice.any():
        item = items[twice].iloc[0]
        lines = items.index[items == item].tolist()
        raise MovieLensError(
            f"{source}, lines {lines}: item id {item} has more than one title. To fix: keep "
            "one of those lines"
        )
    index = pd.Index(items.to_numpy(), name="item", dtype=np.int64)
    return pd.Series(titles.to_numpy(), index=index, name="title", dtype=str).sort_index()


def decode_titles(data: bytes, source: str, encoding: str = AUTO_ENCODING) -> str:
    """Text of a titles file in `encoding`, or with `auto` in UTF-8 else Latin-1.

    Latin-1 maps every byte to some character, so a file in another encoding would decode
    "successfully" into wrong titles. Bytes 0x80-0x9f are control characters in Latin-1 that no
    title holds, but they are the curly quotes, dashes and accented letters of Windows-1252
    (and they appear in UTF-8 mis-saved files): under `auto` they are refused, naming the line.
    """
    if encoding != AUTO_ENCODING:
        return _decode(data, source, (encoding,), _SET_ENCODING)
    text = _decode(data, source, _OFFICIAL_ENCODINGS, _SET_ENCODING)
    control = _C1_CONTROLS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise MovieLensError(
            f"{source}, line {line}: character {control.group()!r} is a control code in "
            "Latin-1, so the file is in another encoding (Windows files: cp1252). To fix: "
            f"{_SET_ENCODING}"
        )
    return text


def _decode(data: bytes, source: str, encodings: tuple[str, ...], fix: str = "") -> str:
    """Text in the first encoding that fits; the error names the line of the offending byte.

    NUL characters are refused too: UTF-16 text decodes as "valid" UTF-8 full of them.
    """
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError as err:
            failure = err
        except LookupError as err:
            raise MovieLensError(
                f"{source}: {encoding!r} is not an encoding Python knows. To fix: {_SET_ENCODING}"
            ) from err
    else:
        line = data.count(b"\n", 0, failure.start) + 1
        raise MovieLensError(
            f"{source}, line {line}: byte {data[failure.start : failure.start + 1]!r} is not "
            f"valid {failure.encoding}. To fix: {fix or f'save the file as {failure.encoding}'}"
        )
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise MovieLensError(
            f"{source}, line {line}: NUL characters, so the file is not {encoding} text (UTF-16?). "
            f"To fix: save it as UTF-8{', or ' + fix if fix else ''}"
        )
    return text


def _lines(text: str, source: str) -> pd.Series:
    """Non-blank lines indexed by 1-based line number. Only '\\n' ends a line: str.splitlines
    would also split on '\\x85' and '\\x1c', which Latin-1 text may hold."""
    raw = text.split("\n")
    lines = pd.Series(raw, index=pd.RangeIndex(1, len(raw) + 1, name="line"), dtype=str)
    lines = lines.str.removesuffix("\r")
    lines = lines[lines.str.strip() != ""]
    if lines.empty:
        raise MovieLensError(f"{source} is empty. To fix: check that it is a MovieLens file")
    return lines


def _split(
    lines: pd.Series,
    sep: str,
    count: int,
    source: str,
    layout: str,
    names: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Exactly `count` fields per line, as string columns (0..count-1, or `names`)."""
    if lines.empty:
        raise MovieLensError(f"{source} has no data lines. To fix: check that it is the right file")
    fields = lines.str.count(re.escape(sep)) + 1
    _require_fields(lines, fields != count, source, f"{count} fields: {layout}")
    table = lines.str.split(sep, regex=False, expand=True)
    return table.set_axis(list(names or range(count)), axis=1)


def _require_fields(lines: pd.Series, bad: pd.Series, source: str, layout: str) -> None:
    """Raise for the first line flagged in `bad`."""
    if bad.any():
        line = lines.index[bad.to_numpy().argmax()]
        shown = lines[line][:_LINE_SHOWN]
        raise MovieLensError(
            f"{source}, line {line}: {shown!r} does not have {layout}. To fix: {_FIX_LINE}"
        )


def _recbole_header(lines: pd.Series) -> list[str]:
    """Field names of a RecBole header line, without their types: `user_id:token` -> user_id."""
    return [field.split(":", 1)[0].strip() for field in lines.iloc[0].split("\t")]


def _pick(
    table: pd.DataFrame, header: list[str], wanted: Mapping[str, str], source: str, line: int
) -> pd.DataFrame:
    """The `wanted` header fields of `table`, renamed."""
    absent = [name for name in wanted if name not in header]
    if absent:
        raise MovieLensError(
            f"{source}, line {line}: header {header} lacks {absent}. To fix: check that the "
            "member path in params.yaml names the right RecBole file"
        )
    return pd.DataFrame({new: table[header.index(old)] for old, new in wanted.items()})


def _integers(cells: pd.Series, what: str, source: str) -> pd.Series:
    text = cells.str.strip()
    ok = text.str.fullmatch(_ID).fillna(False).astype(bool)
    if not ok.all():
        line = cells.index[(~ok).to_numpy().argmax()]
        raise MovieLensError(
            f"{source}, line {line}: {what} {cells[line]!r} is not a non-negative integer. "
            f"To fix: {_FIX_LINE}"
        )
    return text.astype(np.int64)


def _ratings(cells: pd.Series, source: str, low: float, high: float) -> pd.Series:
    values = pd.to_numeric(cells.str.strip(), errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        line = cells.index[bad.to_numpy().argmax()]
        raise MovieLensError(
            f"{source}, line {line}: rating {cells[line]!r} is not a number. To fix: {_FIX_LINE}"
        )
    outside = (values < low) | (values > high)
    if outside.any():
        line = cells.index[outside.to_numpy().argmax()]
        raise MovieLensError(
            f"{source}, line {line}: rating {cells[line]!r} is outside [{low}, {high}]. To fix: "
            f"{_FIX_LINE}, or set rating_range in params.yaml if the scale differs"
        )
    return values


def _timestamps(cells: pd.Series, source: str) -> pd.Series:
    """int64 seconds; RecBole types them float, so "881250949.0" is accepted, 8.5 is not."""
    values = pd.to_numeric(cells.str.strip(), errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values.abs() >= 2.0**62)
    if bad.any():
        line = cells.index[bad.to_numpy().argmax()]
        raise MovieLensError(
            f"{source}, line {line}: timestamp {cells[line]!r} is not an integer. "
            f"To fix: {_FIX_LINE}"
        )
    return values.astype(np.int64)


def _check_range(rating_range: RatingRange) -> tuple[float, float]:
    low, high = (float(bound) for bound in rating_range)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise MovieLensError(
            f"rating_range {rating_range!r} is not (low, high) with low <= high: fix params.yaml"
        )
    return low, high
