"""Every family's chosen model in the MLflow model registry, as `dlpipe-<family>`.

Registering is one call per family from the stage body, with values it already has; each makes
the model the next version of `dlpipe-<family>` and returns that version as a string (None in a
DDP worker, which has no run). The optimizer MLP is registered here (`register_optimizer_model`:
the PyTorch model its child run already logged); the pyfunc models with their classes, in
`dlpipe.serving.pyfunc` (`register_face_model`, `register_stock_model`, `register_recommender`),
so a stage that registers an MLP does not depend on the face or forecast code.

Loading: what the `dlpipe` commands serve, from `models:/dlpipe-<family>/latest` or a given
version, with a ServingError that says what to run when there is none.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dlpipe.serving.errors import ServingError
from dlpipe.tracking import (
    ModelIntegrityError,
    ModelNotRegisteredError,
    RunLogger,
    load_registered_model,
    registered_name,
)

log = logging.getLogger(__name__)

OPTIMIZERS, FACES, STOCKS, RECOMMENDER = "optimizers", "faces", "stock_lstm", "recommender"
CLASSIFIERS = "classifiers"
VAE, GAN = "vae", "gan"  # registered as dlpipe-vae and dlpipe-gan (experiment: generative)
REPRO = "run `make repro` first"


def register_optimizer_model(parent: RunLogger, chosen: str) -> str | None:
    """The MLP trained with optimizer `chosen` (the one with the best validation accuracy:
    test results play no part) as `dlpipe-optimizers`: the PyTorch model that `parent`'s child
    run named `chosen` logged (rows of 784 pixel values in [0, 1] -> 10 logits)."""
    log.info("registering the MLP trained with %s", chosen)
    return parent.register_child_model(chosen, registered_name(OPTIMIZERS))


# --- loading ----------------------------------------------------------------------------------


def load_face_classifier(root: Path, version: int | None = None) -> Any:
    """The registered face model's FaceClassifier (latest version unless `version`)."""
    return _python_model(root, FACES, version).classifier


def load_stock_model(root: Path, version: int | None = None) -> Any:
    """The registered stock LSTM's StockModel (latest version unless `version`)."""
    return _python_model(root, STOCKS, version).model


def load_recommender(root: Path, version: int | None = None) -> Any:
    """The registered recommender's Recommender (latest version unless `version`)."""
    return _python_model(root, RECOMMENDER, version).recommender


def load_table_classifier(root: Path, version: int | None = None) -> Any:
    """The registered table classifier's TabularModel (latest version unless `version`)."""
    return _python_model(root, CLASSIFIERS, version).model


def load_image_sampler(root: Path, kind: str, version: int | None = None) -> Any:
    """The registered VAE's or GAN's Sampler (latest version unless `version`)."""
    return _python_model(root, kind, version).sampler


def _python_model(root: Path, family: str, version: int | None) -> Any:
    name = registered_name(family)
    log.info("loading %s from the model registry", name)
    try:
        model, number = load_registered_model(root, name, version)
    except ModelNotRegisteredError as exc:
        raise ServingError(f"{exc}: {REPRO}" if not exc.versions else str(exc)) from None
    except ModelIntegrityError as exc:  # its files changed since registration: not unpickled
        raise ServingError(str(exc)) from None
    log.info("loaded %s version %s", name, number)
    return model.unwrap_python_model()
