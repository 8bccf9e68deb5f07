"""Every family's registered model served by `mlflow models serve --env-manager local`.

One server per family on 127.0.0.1 (a free port), fed `{"dataframe_split": ...}` JSON at
/invocations; each answer must equal what dlpipe's own code gives in-process. The models are
registered through `dlpipe.serving.registry` (as the stages register theirs) in a temporary
sqlite store named by MLFLOW_TRACKING_URI.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from mlflow.tracking import MlflowClient
from PIL import Image
from serving_helpers import (
    EXTRACT,
    SHARED_GALLERY,
    cpu_training,
    random_walk_prices,
    register_in,
    scratch_project,
    small_recommendations,
    small_titles,
    stock_cfg,
)

from dlpipe.config import FaceAugment, FaceCnnConfig, FaceExtractConfig
from dlpipe.data.face_data import FaceSplits
from dlpipe.data.stock_windows import build_dataset
from dlpipe.models.components import MLP
from dlpipe.models.face_model_io import save_face_model
from dlpipe.models.stock_model_io import load_stock_model, save_stock_model
from dlpipe.serving.face import FaceClassifier
from dlpipe.serving.pyfunc import register_face_model, register_recommender, register_stock_model
from dlpipe.serving.recommendations import save, titled
from dlpipe.serving.registry import register_optimizer_model
from dlpipe.tracking import start_run
from dlpipe.training.face_cnn import train_face_cnn
from dlpipe.training.stock_forecast import forecast
from dlpipe.vision.extraction import Photo, extract_faces
from local_servers import free_port

pytestmark = pytest.mark.slow

READY_TIMEOUT_S = 120  # a cold start on a busy 2-core machine; about 6 s here
PEOPLE = ("ben_afflek", "mindy_kaling")  # two very different faces
PHOTOS_EACH = 8


# --- the store and the server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch project whose runs and registry live in its own sqlite store."""
    root = scratch_project(tmp_path_factory.mktemp("served"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        patch.chdir(root)  # the store's default artifact folder (./mlruns) lands here
        yield root


@contextmanager
def served(model_uri: str, root: Path) -> Iterator[str]:
    """`mlflow models serve` for `model_uri` until the block ends; yields its base URL."""
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # the scoring server runs `uvicorn` from PATH
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))
    log_path = root / f"serve-{port}.log"
    command = [
        *(str(Path(bin_dir) / "mlflow"), "models", "serve", "-m", model_uri),
        *("--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)),
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the server and its uvicorn child
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _ready(url):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"{model_uri} was not served within {READY_TIMEOUT_S} s:\n{tail}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(server)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)


def invoke(url: str, frame: pd.DataFrame) -> tuple[int, Any]:
    """POST `frame` as `{"dataframe_split": ...}`; (HTTP status, decoded JSON answer)."""
    body = json.dumps({"dataframe_split": frame.to_dict(orient="split", index=False)})
    request = urllib.request.Request(
        f"{url}/invocations", body.encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --- optimizers: the MLP with the best validation accuracy ------------------------------------


@pytest.fixture(scope="module")
def optimizer_model(store: Path) -> dict[str, Any]:
    torch.manual_seed(0)
    networks = {name: MLP(784, (16,), 10) for name in ("sgd", "adam", "rmsprop")}
    example = np.random.default_rng(0).random((2, 784), dtype=np.float32)
    with start_run(store, "optimizers", "compare_optimizers", {}) as parent:
        children = {}
        for name, network in networks.items():
            with start_run(store, "optimizers", "compare_optimizers", {}, name, parent) as run:
                run.log_model(network, example)
                children[name] = run.run_id
        version = register_optimizer_model(parent, "adam")
    return {"version": version, "network": networks["adam"].eval(), "run_id": children["adam"]}


def test_the_optimizer_mlp_answers_a_row_of_784_numbers(store: Path, optimizer_model) -> None:
    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    registered = client.get_model_version("dlpipe-optimizers", optimizer_model["version"])
    assert registered.run_id == optimizer_model["run_id"]
    assert registered.tags["dlpipe.chosen"] == "adam"
    row = np.random.default_rng(1).random((1, 784))
    with served("models:/dlpipe-optimizers/latest", store) as url:
        status, answer = invoke(url, pd.DataFrame(row))
        assert status == 200, answer
        logits = [answer["predictions"][0][str(i)] for i in range(10)]
        with torch.no_grad():
            expected = optimizer_model["network"](torch.from_numpy(row).float())[0]
        np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-5, atol=1e-6)
        status, answer = invoke(url, pd.DataFrame(row[:, :700]))
        assert status == 400  # a row of the wrong length is refused, not guessed at


# --- faces: a tiny CNN trained on real photos of two people -----------------------------------


@pytest.fixture(scope="module")
def face_model(store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tiny CNN fitted to the crops of a few gallery photos of two people (it memorises
    them), and the training photo it is surest about."""
    if not SHARED_GALLERY.is_dir():
        pytest.fail(f"the face test needs the shared gallery {SHARED_GALLERY}")
    folder = tmp_path_factory.mktemp("faces")
    photos = [
        Photo(path, person, path.stem)
        for person in PEOPLE
        for path in sorted((SHARED_GALLERY / person).glob("*.jp*g"))[:PHOTOS_EACH]
    ]
    extract = FaceExtractConfig(**EXTRACT)
    kept = [o for o in extract_faces(photos, extract) if o.crop is not None]
    crops = np.stack([o.crop for o in kept])
    labels = np.array([PEOPLE.index(o.person) for o in kept], dtype=np.int64)
    assert sorted(set(labels.tolist())) == [0, 1], "need crops of both people"
    splits = {"train": (crops, labels), "val": (crops, labels)}  # it is meant to memorise them
    data = FaceSplits(
        x={split: x for split, (x, _) in splits.items()},
        y={split: y for split, (_, y) in splits.items()},
        classes=PEOPLE,
    )
    cfg = FaceCnnConfig(
        channels=(8, 16),
        kernel_size=3,
        dense=(32,),
        dropout=0.0,
        batch_norm=False,
        augment=FaceAugment(flip=False, rotation_deg=0.0, shift=0.0, brightness=0.0),
        balance="none",
        optimizer="adam",
        optimizer_hyper={"lr": 0.01},
        batch_size=8,
        max_epochs=40,
        patience=40,
    )
    result = train_face_cnn(data, cfg, cpu_training(), 0, None, folder / "checkpoints")
    model_file = folder / "model.pt"
    save_face_model(
        model_file, result.network, PEOPLE, cfg, in_channels=1, size=crops.shape[1],
        extract=EXTRACT,
    )  # fmt: skip
    classifier = FaceClassifier.load(model_file)
    scored = []
    for outcome in kept:
        prediction = classifier.predict(outcome.path)
        best, probability = prediction.ranked[0]
        if best == outcome.person:
            scored.append((probability, outcome.path, outcome.person, prediction))
    assert scored, "the tiny face model names none of its own training photos"
    _, photo, person, prediction = max(scored, key=lambda item: item[0])
    version = register_in(store, "faces", lambda run: register_face_model(run, model_file, photo))
    return {"version": version, "photo": photo, "person": person, "prediction": prediction}


def test_the_face_model_names_the_person_in_a_gallery_photo(
    store: Path, face_model, tmp_path: Path
) -> None:
    photo, expected = face_model["photo"], face_model["prediction"]
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    images = [base64.b64encode(path.read_bytes()).decode() for path in (photo, blank)]
    request = pd.DataFrame({"image": [*images, "not base64!"]})
    with served(f"models:/dlpipe-faces/{face_model['version']}", store) as url:
        status, answer = invoke(url, request)
    assert status == 200, answer
    found, no_face, garbage = answer["predictions"]
    assert found["person"] == face_model["person"] and found["no_face"] == ""
    assert found["probability"] == pytest.approx(expected.ranked[0][1], abs=1e-6)
    boxes = [found[key] for key in ("box_x", "box_y", "box_w", "box_h")]
    assert tuple(boxes) == expected.box and min(boxes[2:]) >= 30
    assert no_face["person"] == "" and no_face["no_face"] == "no face found"
    assert garbage["no_face"] == "unreadable: the image is not base64-encoded"


# --- stock LSTM: recent prices -> the next day's forecast -------------------------------------


@pytest.fixture(scope="module")
def stock_model(store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("stock")
    cfg = stock_cfg(features=("open", "close", "volume"))
    frame = random_walk_prices()
    series = build_dataset(frame, cfg.features, cfg.target, cfg.window)
    result = forecast(series, cfg, cpu_training(), 0, None, folder / "checkpoints")
    model_file = folder / "model.pt"
    save_stock_model(model_file, result.network, result.x_scaler, result.y_scaler, cfg)
    version = register_in(
        store, "stock_lstm", lambda run: register_stock_model(run, model_file, frame)
    )
    return {"version": version, "frame": frame, "model": load_stock_model(model_file)}


def test_the_stock_model_forecasts_the_next_day_from_recent_prices(
    store: Path, stock_model
) -> None:
    model, frame = stock_model["model"], stock_model["frame"]
    recent = frame.iloc[-(model.window + 5) :]  # more days than it needs, every OHLCV column
    last = recent.iloc[-model.window :]
    windows = np.column_stack([last[name].to_numpy() for name in model.features])[None]
    expected = model.predict(windows, np.array([last["close"].iloc[-1]]))[0]
    with served("models:/dlpipe-stock_lstm/latest", store) as url:
        status, answer = invoke(url, recent.reset_index(drop=True))
        assert status == 200, answer
        (row,) = answer["predictions"]
        assert np.isfinite(row["forecast"])
        assert row["forecast"] == pytest.approx(expected, rel=1e-9)
        assert row["persistence"] == pytest.approx(last["close"].iloc[-1], rel=1e-12)
        status, answer = invoke(url, recent.iloc[-3:].reset_index(drop=True))
        assert status == 400 and f"the model needs the last {model.window}" in answer["message"]


# --- recommender: a user id -> its top unseen titles ------------------------------------------


@pytest.fixture(scope="module")
def recommender_model(store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    npz = tmp_path_factory.mktemp("recommender") / "recommendations.npz"
    recs = small_recommendations()
    save(recs, npz)
    version = register_in(
        store, "recommender", lambda run: register_recommender(run, npz, small_titles(), [10])
    )
    return {"version": version, "recs": recs}


def test_the_recommender_answers_a_user_with_its_titles(store: Path, recommender_model) -> None:
    recs = recommender_model["recs"]
    with served("models:/dlpipe-recommender/latest", store) as url:
        status, answer = invoke(url, pd.DataFrame({"user": [10]}))
        assert status == 200, answer
        expected = titled(recs.for_user(10, 10), small_titles())
        assert [(r["rank"], r["item"], r["title"], r["score"]) for r in answer["predictions"]] == [
            (rank, item, title, score) for rank, (item, title, score) in enumerate(expected, 1)
        ]
        assert {r["user"] for r in answer["predictions"]} == {10}
        status, answer = invoke(url, pd.DataFrame({"user": [20, 10], "k": [1, 1]}))
        assert status == 200, answer
        assert [(r["user"], r["item"]) for r in answer["predictions"]] == [(20, 101), (10, 103)]
        status, answer = invoke(url, pd.DataFrame({"user": [7]}))
        assert status == 400 and "unknown user id 7" in answer["message"]
