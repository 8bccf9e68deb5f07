"""The registered models as MLflow pyfunc models: each carries its own pre- and post-processing.

`mlflow models serve` (or `mlflow.pyfunc.load_model`) answers a DataFrame with a DataFrame, with
the same code the `dlpipe` commands run:

- `FaceModel` (artifacts `model`: the embedding model's folder, `resnet` and `landmarks`: dlib's
  two model files; or, for the course's CNN, `model` alone: its model.pt): column `image` holds
  base64-encoded image file bytes (JPEG, PNG, ...); each row is answered with `person`,
  `probability` (the CNN's or the logistic classifier's; NaN for the linear SVM, which has no
  probabilities), the face box `box_x, box_y, box_w, box_h`, `no_face` (the reason when no usable
  face was found: `person` then empty, the rest 0), `distance` (to the nearest training face of
  the person named; NaN for the CNN) and `unknown` (True when that distance is above the stored
  threshold: `person` is then "unknown"). Detector and crop are the extraction stage's
  (`dlpipe.serving.face_embedding.EmbeddingFaceClassifier`, `dlpipe.serving.face.FaceClassifier`).
- `StockForecastModel` (artifact `model`: the stock LSTM's model.pt with its scalers): the recent
  daily prices, oldest first, at least `window` rows of the columns the model reads; answered
  with one row: `forecast` (the next day's price) and `persistence` (today's price, the forecast
  to beat).
- `RecommenderModel` (artifacts `recommendations` and `titles`): column `user` (MovieLens ids) and
  optionally `k` (how many, default DEFAULT_K, at most STORED_PER_USER); answered with rows
  `user, rank, item, title, score`: each user's top-k unseen movies.
- `VaeSamplerModel`, `GanSamplerModel` (artifact `checkpoint`: the trained module): column `n`
  (how many images) and optionally `seed`; answered with one row per image: `sample` (0-based)
  and `png` (the image as a base64-encoded PNG, grey, values 0-255).
- `TableClassifierModel` (artifact `model`: the folder with the chosen Pipeline and its card):
  rows of the table's feature columns (others are ignored); answered per row with `probability`
  (of the positive label) and `label` at the cost-sensitive threshold.

The classes import the rest of dlpipe only when a model is loaded, so a stock model never imports
OpenCV. This is the one module besides `dlpipe.tracking` that imports MLflow: a pyfunc model must
subclass its PythonModel (all logging and registering goes through `RunLogger`).

Registering, one call per family from its stage (`register_face_embedding_model`,
`register_stock_model`, `register_recommender`): the model answers its input example once
in-process (which checks that its artifacts load and gives the output half of the signature),
then is logged into the stage's run with the example, the signature, pinned requirements and
dlpipe's source, as the next version of `dlpipe-<family>`; the version is returned (None in a
DDP worker, which has no run).
"""

from __future__ import annotations

import base64
import binascii
import logging
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from dlpipe.serving.registry import CLASSIFIERS, FACES, GAN, RECOMMENDER, STOCKS, VAE
from dlpipe.tracking import RunLogger, pinned_requirements, registered_name

if TYPE_CHECKING:
    from dlpipe.vision.face_models import FaceModelPaths as FaceModelFiles

log = logging.getLogger(__name__)

FACE_COLUMNS = (
    "person", "probability", "box_x", "box_y", "box_w", "box_h", "no_face", "distance", "unknown",
)  # fmt: skip
UNKNOWN = "unknown"
FORECAST_COLUMNS = ("forecast", "persistence")
RECOMMENDATION_COLUMNS = ("user", "rank", "item", "title", "score")
DEFAULT_K = 10


class BadInput(MlflowException, ValueError):
    """A request the model cannot answer; the scoring server returns 400 with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


def encode_image(path: Path) -> str:
    """An image file as the `image` value FaceModel reads (base64 of its bytes)."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _frame(model_input: Any) -> pd.DataFrame:
    return model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise BadInput(f"the input needs a column {name!r} (it has {list(frame.columns)})")
    return frame[name]


class FaceModel(mlflow.pyfunc.PythonModel):
    """Who is in each photo: see the module docstring."""

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts)

    def load(self, artifacts: Mapping[str, str]) -> None:
        if "resnet" in artifacts:
            from dlpipe.serving.face_embedding import EmbeddingFaceClassifier
            from dlpipe.vision.face_models import FaceModelPaths

            files = FaceModelPaths(Path(artifacts["resnet"]), Path(artifacts["landmarks"]))
            self.classifier = EmbeddingFaceClassifier.load(Path(artifacts["model"]), files)
        else:
            from dlpipe.serving.face import FaceClassifier

            self.classifier = FaceClassifier.load(Path(artifacts["model"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        rows = [self._answer(value) for value in _column(_frame(model_input), "image")]
        types = {
            "probability": "float64",
            **dict.fromkeys(FACE_COLUMNS[2:6], "int64"),
            "distance": "float64",
            "unknown": "bool",
        }
        return pd.DataFrame(rows, columns=list(FACE_COLUMNS)).astype(types)

    def _answer(self, value: Any) -> tuple[Any, ...]:
        nothing = ("", 0.0, 0, 0, 0, 0)
        try:
            data = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            return (*nothing, "unreadable: the image is not base64-encoded", np.nan, False)
        if not data:
            return (*nothing, "unreadable: empty image", np.nan, False)
        result = self.classifier.predict_bytes(data)
        if not result.found or result.box is None:
            return (*nothing, result.reason or "no face found", np.nan, False)
        person, score = result.ranked[0]
        probability = float(score) if result.score_name == "probability" else np.nan
        distance = np.nan if result.distance is None else float(result.distance)
        named = UNKNOWN if result.unknown else person
        return (named, probability, *result.box, "", distance, bool(result.unknown))


class StockForecastModel(mlflow.pyfunc.PythonModel):
    """The next trading day's price from recent daily prices: see the module docstring."""

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts)

    def load(self, artifacts: Mapping[str, str]) -> None:
        from dlpipe.serving.forecast import load_model_file

        self.model = load_model_file(Path(artifacts["model"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        from dlpipe.serving.forecast import forecast_window, recent_window

        try:
            recent = recent_window(self.model, _frame(model_input).reset_index(drop=True))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        forecast, persistence = forecast_window(self.model, recent)
        return pd.DataFrame({"forecast": [forecast], "persistence": [persistence]})


class RecommenderModel(mlflow.pyfunc.PythonModel):
    """Each user's top-k unseen movies with titles: see the module docstring."""

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts)

    def load(self, artifacts: Mapping[str, str]) -> None:
        from dlpipe.serving.recommendations import Recommender, load, load_titles

        self.recommender = Recommender(
            load(Path(artifacts["recommendations"])), load_titles(Path(artifacts["titles"]))
        )

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        from dlpipe.serving.recommendations import STORED_PER_USER

        frame = _frame(model_input)
        users = _column(frame, "user")
        counts = frame["k"] if "k" in frame.columns else pd.Series(DEFAULT_K, index=frame.index)
        rows = []
        for user, k in zip(users, counts, strict=True):
            k = DEFAULT_K if pd.isna(k) else int(k)
            if not 1 <= k <= STORED_PER_USER:
                raise BadInput(f"k must be from 1 to {STORED_PER_USER}, got {k}")
            try:
                found = self.recommender.recommend(int(user), k)
            except KeyError as exc:
                raise BadInput(str(exc.args[0])) from None
            rows += [
                (found.user, rank, item, title, score)
                for rank, (item, title, score) in enumerate(found.movies, start=1)
            ]
        return pd.DataFrame(rows, columns=list(RECOMMENDATION_COLUMNS)).astype(
            {"user": "int64", "rank": "int64", "item": "int64", "title": "str", "score": "float64"}
        )


class TableClassifierModel(mlflow.pyfunc.PythonModel):
    """The evaluation chapter's chosen classifier: see the module docstring."""

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts)

    def load(self, artifacts: Mapping[str, str]) -> None:
        from dlpipe.models.tabular_model_io import load_tabular_model

        self.model = load_tabular_model(Path(artifacts["model"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        from dlpipe.models.tabular_model_io import TabularModelError

        try:
            return self.model.predict(_frame(model_input))
        except TabularModelError as exc:
            raise BadInput(str(exc)) from None


class _SamplerModel(mlflow.pyfunc.PythonModel):
    """New images from a generative model: see the module docstring."""

    KIND = ""

    def load_context(self, context: Any) -> None:
        self.load(context.artifacts)

    def load(self, artifacts: Mapping[str, str]) -> None:
        from dlpipe.serving.sampling import load_sampler

        self.sampler = load_sampler(self.KIND, Path(artifacts["checkpoint"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        import io

        from PIL import Image

        from dlpipe.serving.errors import ServingError

        frame = _frame(model_input)
        counts = _column(frame, "n")
        seeds = frame["seed"] if "seed" in frame.columns else pd.Series(0, index=frame.index)
        rows = []
        for n, seed in zip(counts, seeds, strict=True):
            try:
                images = self.sampler.sample(int(n), 0 if pd.isna(seed) else int(seed))
            except ServingError as exc:
                raise BadInput(str(exc)) from None
            for i, image in enumerate(images):
                buffer = io.BytesIO()
                Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, "PNG")
                rows.append((i, base64.b64encode(buffer.getvalue()).decode("ascii")))
        return pd.DataFrame(rows, columns=["sample", "png"]).astype({"sample": "int64"})


class VaeSamplerModel(_SamplerModel):
    KIND = VAE


class GanSamplerModel(_SamplerModel):
    KIND = GAN


# --- registering: one call per family, from its stage ------------------------------------------

# What each model imports (dlpipe's own source travels with it), pinned to the lock.
COMMON = ("numpy", "pandas", "pyarrow", "pydantic", "pyyaml")
REQUIREMENTS = {
    FACES: (
        *COMMON,
        "torch",
        "lightning",
        "opencv-python-headless",
        "pillow",
        "dlib-bin",
        "scikit-learn",
        "joblib",
    ),
    STOCKS: (*COMMON, "torch"),
    RECOMMENDER: COMMON,
    CLASSIFIERS: (*COMMON, "scikit-learn", "joblib", "torch", "lightning"),
    VAE: (*COMMON, "torch", "lightning", "pillow"),
    GAN: (*COMMON, "torch", "lightning", "pillow"),
}


def register_face_model(run: RunLogger, model_file: Path, example_image: Path) -> str | None:
    """The face CNN's model file as `dlpipe-faces` (the course's model; the pipeline registers
    the embedding model instead); `example_image` becomes the base64-encoded input example."""
    artifacts = {"model": model_file}
    example = pd.DataFrame({"image": [encode_image(example_image)]})
    return _log(run, FACES, FaceModel(), artifacts, example)


def register_face_embedding_model(
    run: RunLogger, folder: Path, model_files: FaceModelFiles, example_image: Path
) -> str | None:
    """The embedding model (its folder, copied under the name `face_embedding`, as MLflow keeps
    a folder artifact's own name) with dlib's two files as `dlpipe-faces`; `example_image` (a
    photo) becomes the input example, base64-encoded as requests send it."""
    example = pd.DataFrame({"image": [encode_image(example_image)]})
    with tempfile.TemporaryDirectory() as scratch:
        named = Path(scratch) / "face_embedding"
        shutil.copytree(folder, named)
        artifacts = {
            "model": named,
            "resnet": model_files.resnet,
            "landmarks": model_files.landmarks,
        }
        return _log(run, FACES, FaceModel(), artifacts, example)


def register_stock_model(
    run: RunLogger, model_file: Path, example_prices: pd.DataFrame
) -> str | None:
    """The stock LSTM's model file as `dlpipe-stock_lstm`; the input example is the last
    `window` rows of `example_prices` (daily prices as fetch_stock_prices writes them), in the
    columns the model reads."""
    from dlpipe.serving.forecast import load_model_file, needed_columns, recent_window

    model = load_model_file(model_file)
    recent = recent_window(model, example_prices)[needed_columns(model)]
    example = recent.astype("float64").reset_index(drop=True)
    return _log(run, STOCKS, StockForecastModel(), {"model": model_file}, example)


def register_recommender(
    run: RunLogger, recommendations_file: Path, titles: pd.Series, example_users: Iterable[int]
) -> str | None:
    """The stored recommendations as `dlpipe-recommender`, with `titles` (by item id) written
    beside them as titles.csv; the input example asks for the first two known `example_users`
    (else the first stored user)."""
    from dlpipe.serving.recommendations import load, save_titles, titles_path

    titles_file = titles_path(recommendations_file)
    save_titles(titles, titles_file)
    stored = load(recommendations_file).users.tolist()
    known = [int(user) for user in example_users if int(user) in set(stored)][:2]
    users = known or [int(stored[0])]
    example = pd.DataFrame(
        {"user": np.array(users, dtype=np.int64), "k": np.full(len(users), DEFAULT_K, np.int64)}
    )
    artifacts = {"recommendations": recommendations_file, "titles": titles_file}
    return _log(run, RECOMMENDER, RecommenderModel(), artifacts, example, optional=("k",))


def register_classifier(run: RunLogger, folder: Path, example_rows: pd.DataFrame) -> str | None:
    """The chosen table classifier (its folder: Pipeline and card) as `dlpipe-classifiers`;
    `example_rows` (a few rows of the feature columns) become the input example. MLflow keeps
    a folder artifact's own name, so the stage's temporary output folder is logged as a copy
    named `classifier`."""
    with tempfile.TemporaryDirectory() as scratch:
        named = Path(scratch) / "classifier"
        shutil.copytree(folder, named)
        return _log(run, CLASSIFIERS, TableClassifierModel(), {"model": named}, example_rows)


def register_sampler(run: RunLogger, kind: str, checkpoint: Path) -> str | None:
    """The trained VAE or GAN (its Lightning checkpoint) as `dlpipe-vae` / `dlpipe-gan`; the
    input example asks for 4 images with seed 0."""
    model = VaeSamplerModel() if kind == VAE else GanSamplerModel()
    example = pd.DataFrame({"n": np.array([4], np.int64), "seed": np.array([0], np.int64)})
    return _log(run, kind, model, {"checkpoint": checkpoint}, example, optional=("seed",))


def _log(
    run: RunLogger,
    family: str,
    model: Any,
    artifacts: Mapping[str, Path],
    example: pd.DataFrame,
    optional: Sequence[str] = (),
) -> str | None:
    """Answer the example with a freshly loaded copy (the output half of the signature; it also
    proves the artifacts load), then log `model` (unloaded: only its class is pickled)."""
    probe = type(model)()
    probe.load({key: str(path) for key, path in artifacts.items()})
    answer = probe.predict(None, example)
    version = run.log_pyfunc_model(
        model,
        artifacts=artifacts,
        input_example=example,
        output_example=answer,
        requirements=pinned_requirements(*REQUIREMENTS[family]),
        registered_model_name=registered_name(family),
        optional_inputs=optional,
    )
    log.info("registered %s version %s", registered_name(family), version)
    return version
