"""Bad input for every ingest stage and every `dlpipe` command that reads a user's file.

One table of cases, shared by tests/test_bad_input.py (each case must fail with a message that
names the file, the row, column or key, and says what to do) and scripts/bad_input_table.py
(which prints the cases and their real messages as the Markdown table of docs/operations.md, so
the documentation cannot drift from the code).

A stage case calls the reader the stage calls and must raise `InputError` (the stage runner
prints such an error as one line and exits 1); a command case runs `dlpipe` in-process in the
case's folder and must exit non-zero with one `error: ...` line on stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import cli
from dlpipe.config import StockLargeMove
from dlpipe.config.sections_classifiers import TableCsvSource
from dlpipe.datasets.face_splits import read_splits_file
from dlpipe.datasets.mnist import checked_idx_folder, load_from_idx_files
from dlpipe.datasets.movielens import load_from_path
from dlpipe.datasets.stocks import load_from_csv
from dlpipe.datasets.tables import load_csv_table
from dlpipe.errors import InputError
from dlpipe.families.stocks.fetch import check_large_moves
from dlpipe.models.tabular_model_io import ModelCard, save_tabular_model

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """One bad input. `names`: what the message must contain (the file, then the row, column or
    key); `hint`: words of the advice it must give. A stage case has `call` (writes its files
    into the folder it gets, then reads them); a command case has `argv` and `files`."""

    where: str
    case: str
    names: tuple[str, ...]
    hint: str
    call: Callable[[Path], object] | None = None
    argv: tuple[str, ...] = ()
    files: Callable[[Path], object] = field(default=lambda folder: None)

    @property
    def id(self) -> str:
        return f"{self.where.split(' (')[0]}: {self.case}"


@dataclass(frozen=True)
class Outcome:
    message: str  # the error's text (a command's stderr, without "error: " and the newline)
    exit_code: int | None  # a command's exit status; None for a stage case
    stderr: str = ""  # a command's whole stderr
    stdout: str = ""


def run_case(case: Case, folder: Path) -> Outcome:
    """Run `case` in the empty `folder`; AssertionError when the bad input is not refused."""
    if case.call is not None:
        try:
            case.call(folder)
        except InputError as exc:
            return Outcome(str(exc).replace(f"{folder}{os.sep}", ""), None)
        raise AssertionError(f"{case.id}: no error")
    (folder / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")  # the project root
    case.files(folder)
    out, err = io.StringIO(), io.StringIO()
    with (
        _working_directory(folder),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = cli.main(list(case.argv))
    text = err.getvalue()
    return Outcome(text.removeprefix("error: ").rstrip("\n"), code, text, out.getvalue())


@contextlib.contextmanager
def _working_directory(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- fetch_stock_prices (stocks.source: csv) and dlpipe forecast --csv -----------------------

COURSE_HEADER = "Date,Open,High,Low,Close,Volume\n"
DAY1 = "2016-01-04,743,744,731,741.84,3272800\n"
DAY2 = "2016-01-05,746.45,752,738.64,742.58,1950700\n"
SAVED_HEADER = "date,open,high,low,close,volume\n"
SPLIT_DAYS = (  # as in the course's Google CSV: Close is not adjusted for the 2:1 split
    "2014-03-26,560,565,555,1120,1000\n2014-03-27,558,568,552,558.5,2000\n"
)


def _stocks(name: str, text: str, *, large_move: str | None = None) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        path = folder / name
        if text == "<dir>":
            path.mkdir()
        elif text != "<missing>":
            _write(path, text)
        series = load_from_csv(path, date_column="Date")
        if large_move is not None:
            check_large_moves(series, StockLargeMove(threshold=0.4, action=large_move))
        return series

    return call


STOCK_STAGE = "fetch_stock_prices (stocks.csv.path)"
FORECAST = "dlpipe forecast --csv FILE"


def _forecast(case: str, text: str, names: tuple[str, ...], hint: str) -> Case:
    def files(folder: Path) -> None:
        if text == "<dir>":
            (folder / "prices.csv").mkdir()
        elif text != "<missing>":
            _write(folder / "prices.csv", text)

    return Case(FORECAST, case, names, hint, argv=("forecast", "--csv", "prices.csv"), files=files)


STOCK_CASES = [
    Case(
        STOCK_STAGE,
        "truncated file",
        ("prices.csv", "line 3"),
        "To fix",
        _stocks("prices.csv", COURSE_HEADER + DAY1 + "2016-01-05,746.45,752"),
    ),
    Case(
        STOCK_STAGE,
        "wrong columns",
        ("prices.csv", "['date']"),
        "To fix",
        _stocks("prices.csv", "Day,Open,High,Low,Close,Volume\n" + DAY1),
    ),
    Case(
        STOCK_STAGE,
        "wrong types",
        ("prices.csv", "line 3", "close", "'n/a?'"),
        "To fix",
        _stocks("prices.csv", COURSE_HEADER + DAY1 + "2016-01-05,746.45,752,738.64,n/a?,1950700\n"),
    ),
    Case(
        STOCK_STAGE,
        "duplicates",
        ("prices.csv", "line 3", "2016-01-04"),
        "To fix",
        _stocks("prices.csv", COURSE_HEADER + DAY1 + DAY1.replace("741.84", "740")),
    ),
    Case(STOCK_STAGE, "empty file", ("prices.csv", "empty"), "To fix", _stocks("prices.csv", "")),
    Case(
        STOCK_STAGE,
        "missing file",
        ("prices.csv", "does not exist"),
        "To fix",
        _stocks("prices.csv", "<missing>"),
    ),
    Case(
        STOCK_STAGE,
        "a directory",
        ("prices.csv", "is a directory"),
        "To fix",
        _stocks("prices.csv", "<dir>"),
    ),
    Case(
        STOCK_STAGE,
        "unadjusted split (large_move.action: error)",
        ("prices.csv", "2014-03-27", "close", "-50%"),
        "split-adjusted",
        _stocks("prices.csv", COURSE_HEADER + SPLIT_DAYS, large_move="error"),
    ),
    _forecast(
        "truncated file",
        SAVED_HEADER + DAY1 + "2016-01-05,746.45,752",
        ("prices.csv", "line 3"),
        "To fix",
    ),
    _forecast(
        "wrong columns (the course CSV, not a fetched one)",
        COURSE_HEADER + DAY1,
        ("prices.csv", "header"),
        "To fix",
    ),
    _forecast(
        "wrong types",
        SAVED_HEADER + DAY1 + "2016-01-05,746.45,752,738.64,n/a?,1950700\n",
        ("prices.csv", "line 3", "close"),
        "To fix",
    ),
    _forecast(
        "duplicates",
        SAVED_HEADER + DAY1 + DAY1.replace("741.84", "740"),
        ("prices.csv", "line 3", "2016-01-04"),
        "To fix",
    ),
    _forecast("empty file", "", ("prices.csv", "empty"), "To fix"),
    _forecast("missing file", "<missing>", ("prices.csv", "no such file"), "give the price file"),
    _forecast("a directory", "<dir>", ("prices.csv", "is a directory"), "give the price file"),
]


# --- fetch_movielens (movielens.source: path) --------------------------------------------------

U_DATA = "1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t881250951\n"
U_ITEM = "1|Toy Story (1995)|01-Jan-1995||x|0\n2|GoldenEye (1995)|01-Jan-1995||x|0\n"
MOVIELENS_STAGE = "fetch_movielens (movielens.path)"


def _movielens(
    u_data: str | bytes | None = U_DATA,
    u_item: str | bytes | None = U_ITEM,
    *,
    target: str = "ml",
    **options: str,
) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        ml = _folder(folder / "ml")
        for name, content in (("u.data", u_data), ("u.item", u_item)):
            if content == "<dir>":
                _folder(ml / name)
            elif content is not None:
                _write(
                    ml / name, content.encode("latin-1") if isinstance(content, str) else content
                )
        return load_from_path(folder / target, **options)

    return call


MOVIELENS_CASES = [
    Case(
        MOVIELENS_STAGE,
        "truncated file",
        ("u.data", "line 3"),
        "To fix",
        _movielens(U_DATA[:-12]),
    ),
    Case(
        MOVIELENS_STAGE,
        "wrong columns",
        ("u.data", "line 1", "4 fields"),
        "To fix",
        _movielens(U_DATA.replace("\t", ",")),
    ),
    Case(
        MOVIELENS_STAGE,
        "wrong types",
        ("u.data", "line 2", "'five'"),
        "To fix",
        _movielens(U_DATA.replace("\t3\t", "\tfive\t")),
    ),
    Case(
        MOVIELENS_STAGE,
        "duplicates (duplicates: error)",
        ("u.data", "lines [1, 2]", "user 1", "item 1"),
        "duplicates: latest",
        _movielens(U_DATA.replace("\t2\t3\t", "\t1\t3\t"), duplicates="error"),
    ),
    Case(
        MOVIELENS_STAGE,
        "duplicates (one item id, two titles)",
        ("u.item", "lines [1, 2]", "item id 1"),
        "To fix",
        _movielens(u_item=U_ITEM.replace("2|Golden", "1|Golden")),
    ),
    Case(MOVIELENS_STAGE, "empty file", ("u.data", "empty"), "To fix", _movielens("")),
    Case(
        MOVIELENS_STAGE,
        "missing folder",
        ("nowhere", "does not exist"),
        "movielens.path",
        _movielens(target="nowhere"),
    ),
    Case(
        MOVIELENS_STAGE,
        "missing file (no u.item)",
        ("ml", "u.item"),
        "To fix",
        _movielens(u_item=None),
    ),
    Case(
        MOVIELENS_STAGE,
        "a file where the folder belongs",
        ("u.data", "not a folder"),
        "movielens.path",
        _movielens(target="ml/u.data"),
    ),
    Case(
        MOVIELENS_STAGE,
        "a directory named u.item",
        ("ml", "u.item"),
        "To fix",
        _movielens(u_item="<dir>"),
    ),
    Case(
        MOVIELENS_STAGE,
        "titles not in Latin-1 (Windows-1252 quotes)",
        ("u.item", "line 2", "cp1252"),
        "movielens.encoding",
        _movielens(u_item=U_ITEM.replace("GoldenEye", "Golden\u201ceye\u201d").encode("cp1252")),
    ),
    Case(
        MOVIELENS_STAGE,
        "titles not in the declared encoding (encoding: utf-8)",
        ("u.item", "line 2", "utf-8"),
        "movielens.encoding",
        _movielens(u_item=U_ITEM.replace("GoldenEye", "Goldenéye"), encoding="utf-8"),
    ),
    Case(
        MOVIELENS_STAGE,
        "titles in UTF-16",
        ("u.item", "line 1", "NUL"),
        "movielens.encoding",
        _movielens(u_item=U_ITEM.encode("utf-16-le")),
    ),
]


# --- fetch_mnist (mnist.source: folder) ------------------------------------------------------

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_STAGE = "fetch_mnist (mnist.folder)"


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: zero, zero, dtype code, rank, big-endian sizes, big-endian data."""
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.float32): 0x0D}[array.dtype]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _mnist(broken: str | bytes, *, pin_broken: bool = False) -> Callable[[Path], object]:
    """Four small IDX files pinned by sha256; train_images replaced by `broken` (bytes, or
    "<missing>" / "<dir>"), its pin updated when `pin_broken` (the user pinned the bad file)."""

    def call(folder: Path) -> object:
        rng = np.random.default_rng(0)
        arrays = {
            "train_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "train_labels": np.array([0, 1, 2], dtype=np.uint8),
            "test_images": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
            "test_labels": np.array([1, 0], dtype=np.uint8),
        }
        idx = _folder(folder / "idx")
        pins = {}
        for key, array in arrays.items():
            data = idx_bytes(array)
            _write(idx / IDX_NAMES[key], data)
            pins[key] = hashlib.sha256(data).hexdigest()
        target = idx / IDX_NAMES["train_images"]
        target.unlink()
        if broken == "<dir>":
            target.mkdir()
        elif broken != "<missing>":
            assert isinstance(broken, bytes)
            _write(target, broken)
            if pin_broken:
                pins["train_images"] = hashlib.sha256(broken).hexdigest()
        files = {key: (IDX_NAMES[key], pins[key]) for key in IDX_NAMES}
        local = checked_idx_folder(idx, files)
        return load_from_idx_files(local, val_size=1)

    return call


_IMAGES = np.zeros((3, 28, 28), dtype=np.uint8)
MNIST_CASES = [
    Case(
        MNIST_STAGE,
        "truncated file",
        ("train-images-idx3-ubyte", "truncated"),
        "complete copy",
        _mnist(idx_bytes(_IMAGES)[:-100]),
    ),
    Case(
        MNIST_STAGE,
        "wrong columns (labels where images belong, pinned)",
        ("train-images-idx3-ubyte", "train_images", "3-D"),
        "To fix",
        _mnist(idx_bytes(np.zeros(3, dtype=np.uint8)), pin_broken=True),
    ),
    Case(
        MNIST_STAGE,
        "wrong types (float32 images, pinned)",
        ("train-images-idx3-ubyte", "float32"),
        "To fix",
        _mnist(idx_bytes(_IMAGES.astype(np.float32)), pin_broken=True),
    ),
    Case(
        MNIST_STAGE,
        "changed file (sha256 differs)",
        ("train-images-idx3-ubyte", "sha256 mismatch", "mnist.folder.files.train_images.sha256"),
        "To fix",
        _mnist(idx_bytes(_IMAGES)),
    ),
    Case(
        MNIST_STAGE,
        "empty file",
        ("train-images-idx3-ubyte", "empty"),
        "To fix",
        _mnist(b""),
    ),
    Case(
        MNIST_STAGE,
        "missing file",
        ("train-images-idx3-ubyte", "does not exist", "mnist.folder.files.train_images.name"),
        "To fix",
        _mnist("<missing>"),
    ),
    Case(
        MNIST_STAGE,
        "a directory",
        ("train-images-idx3-ubyte", "is a directory"),
        "To fix",
        _mnist("<dir>"),
    ),
]


# --- compare_classifiers (classifier_data.source: csv) and dlpipe classify ------------------

TABLE = "Age,City,Exited\n40,Paris,1\n31,Rome,0\n52,Oslo,1\n"
TABLE_STAGE = "compare_classifiers (classifier_data.csv)"


def _table(text: str, **changes: object) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        path = folder / "churn.csv"
        if text == "<dir>":
            path.mkdir()
        elif text != "<missing>":
            _write(path, text)
        settings = {"path": "churn.csv", "target": "Exited", "positive_label": 1}
        cfg = TableCsvSource(**{**settings, "drop": (), "categorical": ("City",), **changes})
        return load_csv_table(cfg, folder)

    return call


TABLE_CASES = [
    Case(
        TABLE_STAGE,
        "truncated file",
        ("churn.csv", "line 4"),
        "To fix",
        _table(TABLE[:-8]),
    ),
    Case(
        TABLE_STAGE,
        "wrong columns",
        ("churn.csv", "'Exited'", "classifier_data.csv.target"),
        "set classifier_data.csv.target",
        _table(TABLE.replace("Exited", "Churned")),
    ),
    Case(
        TABLE_STAGE,
        "wrong types",
        ("churn.csv", "'Age'", "data row 2", "'n.a.'"),
        "classifier_data.csv.categorical",
        _table(TABLE.replace("31,", "n.a.,")),
    ),
    Case(
        TABLE_STAGE,
        "duplicates (a column name twice)",
        ("churn.csv", "line 1", "['Age']"),
        "To fix",
        _table(TABLE.replace("City", "Age")),
    ),
    Case(TABLE_STAGE, "empty file", ("churn.csv", "empty"), "To fix", _table("")),
    Case(
        TABLE_STAGE,
        "missing file",
        ("churn.csv", "does not exist"),
        "classifier_data.csv.path",
        _table("<missing>"),
    ),
    Case(TABLE_STAGE, "a directory", ("churn.csv", "is a directory"), "To fix", _table("<dir>")),
]

CLASSIFY = "dlpipe classify FILE"


def _classify(case: str, text: str | bytes, names: tuple[str, ...], hint: str) -> Case:
    def files(folder: Path) -> None:
        if text == "<dir>":
            (folder / "rows.csv").mkdir()
        elif text != "<missing>":
            _write(folder / "rows.csv", text)

    return Case(CLASSIFY, case, names, hint, argv=("classify", "rows.csv"), files=files)


def _tiny_model(folder: Path) -> None:
    """A model folder as compare_classifiers writes it, fitted on TABLE in milliseconds."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.read_csv(io.StringIO(TABLE))
    pipeline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["City"]), remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(frame[["Age", "City"]], frame["Exited"])
    card = ModelCard("logistic_regression", ("Age", "City"), ("City",), "1", "0", 0.5)
    save_tabular_model(folder / "model", pipeline, card)


def _classify_with_model(case: str, text: str, names: tuple[str, ...], hint: str) -> Case:
    def files(folder: Path) -> None:
        _tiny_model(folder)
        _write(folder / "rows.csv", text)

    argv = ("classify", "rows.csv", "--model", "model")
    return Case(CLASSIFY, case, names, hint, argv=argv, files=files)


CLASSIFY_CASES = [
    _classify_with_model(
        "wrong columns", TABLE.replace("City", "Town"), ("rows.csv", "'City'"), "model.json"
    ),
    _classify_with_model(
        "wrong types",
        TABLE.replace("31,", "n.a.,"),
        ("rows.csv", "'Age'", "data row 2", "'n.a.'"),
        "correct that cell",
    ),
    _classify("truncated file", TABLE[:-8], ("rows.csv", "line 4"), "To fix"),
    _classify(
        "wrong types (not UTF-8)",
        TABLE.replace("Oslo", "Z\xfcrich").encode("latin-1"),
        ("rows.csv", "line 4", "UTF-8"),
        "To fix",
    ),
    _classify("an extra field", TABLE + "1,2,3,4\n", ("rows.csv", "line 5"), "To fix"),
    _classify(
        "duplicates (a column name twice)",
        TABLE.replace("City", "Age"),
        ("rows.csv", "line 1", "['Age']"),
        "To fix",
    ),
    _classify("empty file", "", ("rows.csv", "empty"), "To fix"),
    _classify("header only", "Age,City\n", ("rows.csv", "no data rows"), "To fix"),
    _classify("missing file", "<missing>", ("rows.csv", "does not exist"), "To fix"),
    _classify("a directory", "<dir>", ("rows.csv", "is a directory"), "To fix"),
]


# --- split_faces (face_split.source: file) ---------------------------------------------------

SPLITS = "file,person,split\nada/1.jpg,ada,train\nada/2.jpg,ada,val\n"
SPLITS_STAGE = "split_faces (face_split.splits_file)"


def _splits(text: str) -> Callable[[Path], object]:
    def call(folder: Path) -> object:
        path = folder / "splits.csv"
        if text == "<dir>":
            path.mkdir()
        elif text != "<missing>":
            _write(path, text)
        return read_splits_file(path)

    return call


SPLITS_CASES = [
    Case(SPLITS_STAGE, "truncated file", ("splits.csv", "line 3"), "To fix", _splits(SPLITS[:-9])),
    Case(
        SPLITS_STAGE,
        "wrong columns",
        ("splits.csv", "line 1", "file and split"),
        "face_split",
        _splits(SPLITS.replace("file,", "photo,")),
    ),
    Case(
        SPLITS_STAGE,
        "wrong types (an unknown split)",
        ("splits.csv", "line 3", "'validation'"),
        "To fix",
        _splits(SPLITS.replace(",val", ",validation")),
    ),
    Case(
        SPLITS_STAGE,
        "duplicates",
        ("splits.csv", "lines 2 and 4", "'ada/1.jpg'"),
        "To fix",
        _splits(SPLITS + "ada/1.jpg,ada,test\n"),
    ),
    Case(SPLITS_STAGE, "empty file", ("splits.csv", "empty"), "To fix", _splits("")),
    Case(
        SPLITS_STAGE,
        "missing file",
        ("splits.csv", "does not exist"),
        "face_split.splits_file",
        _splits("<missing>"),
    ),
    Case(
        SPLITS_STAGE,
        "a directory",
        ("splits.csv", "is a directory"),
        "To fix",
        _splits("<dir>"),
    ),
]


# --- dlpipe predict-face, sample, params show ------------------------------------------------

PHOTO = "dlpipe predict-face PHOTO"
SAMPLE = "dlpipe sample --checkpoint FILE"
PARAMS = "dlpipe params show FILE"
CRAWL = "dlpipe crawl OUT --params FILE"


def _path_case(where: str, argv: tuple[str, ...], name: str, content: str | bytes) -> Case:
    """A command given a missing file ("<missing>"), a directory ("<dir>"), or a broken file
    holding the bytes `content`."""

    def files(folder: Path) -> None:
        if content == "<dir>":
            (folder / name).mkdir()
        elif content != "<missing>":
            _write(folder / name, content)

    if content == "<missing>":
        return Case(where, "missing file", (name, "no such file"), "give", argv=argv, files=files)
    if content == "<dir>":
        return Case(where, "a directory", (name, "is a directory"), "give", argv=argv, files=files)
    return Case(where, "truncated file", (name, "not a"), "checkpoint", argv=argv, files=files)


SAMPLE_ARGV = ("sample", "--model", "vae", "--checkpoint", "vae.ckpt")


def _params_file(edit: Callable[[str], str]) -> Callable[[Path], object]:
    def files(folder: Path) -> None:
        text = (REPO / "params.yaml").read_text(encoding="utf-8")
        _write(folder / "my.yaml", edit(text))

    return files


def _params(case: str, edit: Callable[[str], str], names: tuple[str, ...], hint: str) -> Case:
    argv = ("params", "show", "my.yaml")
    return Case(PARAMS, case, ("my.yaml", *names), hint, argv=argv, files=_params_file(edit))


COMMAND_CASES = [
    _path_case(PHOTO, ("predict-face", "face.jpg"), "face.jpg", "<missing>"),
    _path_case(PHOTO, ("predict-face", "face.jpg"), "face.jpg", "<dir>"),
    _path_case(SAMPLE, SAMPLE_ARGV, "vae.ckpt", "<missing>"),
    _path_case(SAMPLE, SAMPLE_ARGV, "vae.ckpt", "<dir>"),
    _path_case(SAMPLE, SAMPLE_ARGV, "vae.ckpt", b"PK\x03\x04 cut short"),
    _path_case(CRAWL, ("crawl", "out", "--params", "my.yaml"), "my.yaml", "<missing>"),
    _path_case(CRAWL, ("crawl", "out", "--params", "my.yaml"), "my.yaml", "<dir>"),
    _path_case(PARAMS, ("params", "show", "my.yaml"), "my.yaml", "<missing>"),
    _path_case(PARAMS, ("params", "show", "my.yaml"), "my.yaml", "<dir>"),
    _params("empty file", lambda text: "", ("<top level>",), "dlpipe params check"),
    _params(
        "truncated file",
        lambda text: text[: text.index("\nstocks:")] + "\nstocks:\n  pypi: [1,\n",
        ("line",),
        "dlpipe params check",
    ),
    _params(
        "wrong columns (a key misspelt)",
        lambda text: text.replace("\nseed:", "\nsede:", 1),
        ("seed",),
        "dlpipe params check",
    ),
    _params(
        "wrong types",
        lambda text: text.replace("  threshold: 0.4", "  threshold: forty", 1),
        ("stocks.large_move.threshold",),
        "dlpipe params check",
    ),
    _params(
        "duplicates (a key twice)",
        lambda text: text + "seed: 7\n",
        ("'seed'", "lines"),
        "delete one",
    ),
]

CASES = [
    *STOCK_CASES,
    *MOVIELENS_CASES,
    *MNIST_CASES,
    *TABLE_CASES,
    *SPLITS_CASES,
    *CLASSIFY_CASES,
    *COMMAND_CASES,
]


def fresh_folder(base: Path, index: int) -> Path:
    """An empty folder for case `index` under `base`."""
    folder = base / f"case{index:03d}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
