"""The `folder` source: IDX files on disk (Fashion-MNIST as Debian ships it, or any other set),
pinned by sha256 and named by params, through the fetch stage's own `fetch`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from dlpipe.config import MnistConfig
from dlpipe.config.loading import load_params
from dlpipe.datasets import DatasetError
from dlpipe.families.mnist import fetch

REPO = Path(__file__).resolve().parents[2]
NAMES = ["T-shirt/top", "Trouser", "Pullover"]


def _config(tmp_path: Path, folder: Path, files: dict[str, Path], **mnist: object) -> MnistConfig:
    """params.yaml's mnist section with the folder source pointed at `files`."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    section = raw["mnist"]
    section.update(source="folder", class_names=NAMES, **mnist)
    section["folder"].update(path=str(folder) if str(folder) != "." else "", val_size=10)
    for key, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        section["folder"]["files"][key] = {"name": path.name, "sha256": digest}
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_params(params_file).mnist


@pytest.fixture
def three_class_files(official: dict[str, np.ndarray], idx_files: dict[str, Path], write_idx):
    """The stand-in files with labels folded onto three classes."""
    for key in ("train_labels", "test_labels"):
        write_idx(official[key] % 3, idx_files[key])
    return idx_files


def test_folder_source_reads_pinned_files_with_their_class_names(
    tmp_path: Path, three_class_files: dict[str, Path], official: dict[str, np.ndarray]
) -> None:
    folder = three_class_files["train_images"].parent
    cfg = _config(tmp_path, folder, three_class_files)
    splits = fetch(cfg, tmp_path)
    assert splits.class_names == tuple(NAMES)
    assert len(splits.train_y) == 20 and len(splits.val_y) == 10 and len(splits.test_y) == 12
    np.testing.assert_array_equal(splits.test_x, official["test_images"])
    np.testing.assert_array_equal(splits.val_y, official["train_labels"][20:] % 3)


def test_a_changed_file_is_refused_with_its_digest_and_key(
    tmp_path: Path, three_class_files: dict[str, Path], write_idx
) -> None:
    folder = three_class_files["train_images"].parent
    cfg = _config(tmp_path, folder, three_class_files)
    changed = write_idx(np.zeros((12,), np.uint8), three_class_files["test_labels"])
    actual = hashlib.sha256(changed.read_bytes()).hexdigest()
    with pytest.raises(DatasetError) as caught:
        fetch(cfg, tmp_path)
    message = str(caught.value)
    assert str(changed) in message and actual in message
    assert "mnist.folder.files.test_labels.sha256" in message


def test_missing_folder_file_and_path_are_named(
    tmp_path: Path, three_class_files: dict[str, Path]
) -> None:
    folder = three_class_files["train_images"].parent
    cfg = _config(tmp_path, folder, three_class_files)
    three_class_files["train_labels"].unlink()
    with pytest.raises(DatasetError, match=r"train_labels.gz: does not exist.*files\.train_labels"):
        fetch(cfg, tmp_path)
    nowhere = _config(tmp_path, tmp_path / "nowhere", {})
    with pytest.raises(DatasetError, match=r"nowhere is not a folder.*mnist\.folder\.path"):
        fetch(nowhere, tmp_path)
    with pytest.raises(DatasetError, match=r"mnist\.folder\.path is empty"):
        fetch(_config(tmp_path, Path(""), {}), tmp_path)


def test_labels_beyond_the_class_names_are_refused(
    tmp_path: Path, idx_files: dict[str, Path]
) -> None:
    """Ten-class labels with three names: the error says how many names there are."""
    folder = idx_files["train_images"].parent
    cfg = _config(tmp_path, folder, idx_files)
    with pytest.raises(DatasetError, match=r"outside 0\.\.2 \(one per class name: 3 names\)"):
        fetch(cfg, tmp_path)
