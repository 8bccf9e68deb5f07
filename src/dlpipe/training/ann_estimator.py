"""The Lightning ANN as a scikit-learn classifier, so `clone`, `cross_validate`, pipelines and
every search treat it exactly like logistic regression or a random forest.

Training always runs on the CPU: a 30-feature MLP on a few hundred rows is faster there than
with a GPU round trip per batch, and ~250 such fits make up the evaluation stage. Torch's thread
count is left to the caller (the stage sets it from params).
"""

from __future__ import annotations

import functools
import logging
import numbers
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from scipy.sparse import issparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, check_scalar, column_or_1d, validate_data

from dlpipe.data.tensor_data import TensorPairs, tensor_loader
from dlpipe.models.components.tabular_mlp import TabularMLP
from dlpipe.models.tabular_module import TabularModule
from dlpipe.training.callbacks import StopOnNonFiniteLoss

# Lightning announces the devices, a tip and the end of every fit at INFO on its own handler.
_CHATTY_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
# Warnings about choices made on purpose: the CPU beside an idle GPU, in-memory batches without
# loader workers, no validation set; and Lightning's own use of a deprecated torch call.
_EXPECTED_WARNINGS = (
    r".*(GPU|TPU|HPU) available but not used",
    r".*does not have many workers",
    r".*validation_step.*but have no .val_dataloader",
    r".*isinstance\(treespec, LeafSpec\).*deprecated",
)


class LightningANNClassifier(ClassifierMixin, BaseEstimator):
    """A binary classifier: `TabularMLP` trained by a Lightning Trainer (Adam, BCE-with-logits).

    Parameters are only stored here (scikit-learn's rule, so `clone` and `set_params` work); the
    network is built in `fit`. The same `random_state` gives the same weights, batch order and
    dropout masks, hence the same `predict_proba`.

    Fitted attributes: `classes_` (the two labels, sorted; `classes_[1]` is the positive class,
    column 1 of `predict_proba`), `n_features_in_`, `network_` (the TabularMLP in eval mode) and
    `history_` ({"train_loss": per-epoch mean BCE, "val_loss": the same on `X_val`, if given}).
    """

    def __init__(
        self,
        hidden_units: int = 32,
        hidden_layers: int = 1,
        dropout: float = 0.0,
        lr: float = 0.01,
        weight_decay: float = 0.0,
        batch_size: int = 64,
        max_epochs: int = 40,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.hidden_units = hidden_units
        self.hidden_layers = hidden_layers
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # one logit: binary problems only
        tags.non_deterministic = False  # a fixed random_state repeats a fit exactly
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    def fit(
        self,
        X: Any,
        y: Any,
        X_val: Any | None = None,
        y_val: Any | None = None,
    ) -> LightningANNClassifier:
        """Train for `max_epochs` epochs; `X_val`/`y_val` (both or neither) only add
        `history_["val_loss"]`, they never steer training."""
        self._check_params()
        _refuse_sparse(X, "X")
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        _check_two_classes(y, classes)
        train = TensorPairs(torch.tensor(X), torch.tensor(y_index, dtype=torch.float32))
        val = self._validation_pairs(X_val, y_val, classes)
        module = self._train(train, val, _seed(self.random_state))
        self.classes_ = classes
        self.network_ = module.network.eval()
        self.history_ = {"train_loss": list(module.history["train/loss"])}
        if val is not None:
            self.history_["val_loss"] = list(module.history["val/loss"])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The logit of `classes_[1]`, shape (n,)."""
        check_is_fitted(self)
        _refuse_sparse(X, "X")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        with torch.inference_mode():
            logits = self.network_(torch.tensor(X))
        return logits.numpy().astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of `classes_[0]` and `classes_[1]`, shape (n, 2)."""
        positive = expit(self.decision_function(X))  # in float64: fewer ties than float32
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """`classes_[1]` where its logit is above 0 (probability above 0.5), else `classes_[0]`."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.intp)]

    def _check_params(self) -> None:
        for name in ("hidden_units", "hidden_layers", "batch_size", "max_epochs"):
            check_scalar(getattr(self, name), name, numbers.Integral, min_val=1)
        check_scalar(
            self.dropout, "dropout", numbers.Real, min_val=0, max_val=1, include_boundaries="left"
        )
        check_scalar(self.lr, "lr", numbers.Real, min_val=0, include_boundaries="neither")
        check_scalar(self.weight_decay, "weight_decay", numbers.Real, min_val=0)

    def _train(self, train: TensorPairs, val: TensorPairs | None, seed: int) -> TabularModule:
        """One Lightning fit from `seed` (weights, batch order, dropout masks), leaving torch's
        global random state as it was."""
        with torch.random.fork_rng(devices=[]), _contained_lightning():
            torch.manual_seed(seed)
            network = TabularMLP(
                train.x.shape[1], int(self.hidden_units), int(self.hidden_layers), self.dropout
            )
            module = TabularModule(network, self._optimizer_factory())
            trainer = pl.Trainer(
                accelerator="cpu",
                devices=1,
                max_epochs=int(self.max_epochs),
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=False,
                enable_model_summary=False,
                deterministic=True,
                num_sanity_val_steps=0,
                callbacks=[StopOnNonFiniteLoss("lower lr")],
            )
            trainer.fit(
                module,
                train_dataloaders=tensor_loader(train, int(self.batch_size), True, seed),
                val_dataloaders=None if val is None else tensor_loader(val, len(val), False, seed),
            )
        return module

    def _optimizer_factory(self) -> functools.partial[torch.optim.Adam]:
        # torch's Adam: the course's Adam (dlpipe.optim) has no weight decay.
        return functools.partial(
            torch.optim.Adam, lr=float(self.lr), weight_decay=float(self.weight_decay)
        )

    def _validation_pairs(self, X_val: Any, y_val: Any, classes: np.ndarray) -> TensorPairs | None:
        """`X_val`/`y_val` checked like the training data, labels coded as in `classes_`."""
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        if X_val is None:
            return None
        _refuse_sparse(X_val, "X_val")
        X_val = validate_data(self, X_val, dtype=np.float32, reset=False)
        y_val = column_or_1d(np.asarray(y_val), warn=True)
        if len(y_val) != len(X_val):
            raise ValueError(f"X_val has {len(X_val)} rows but y_val has {len(y_val)}")
        unknown = np.setdiff1d(y_val, classes)
        if len(unknown):
            raise ValueError(
                f"y_val has labels {unknown.tolist()} that are not in y's classes "
                f"{classes.tolist()}"
            )
        y_index = np.searchsorted(classes, y_val).astype(np.float32)
        return TensorPairs(torch.tensor(X_val), torch.tensor(y_index))


def _check_two_classes(y: np.ndarray, classes: np.ndarray) -> None:
    """One logit separates two classes: refuse one class, or more than two, in plain words."""
    shown = ", ".join(repr(c) for c in classes[:5].tolist())
    if len(classes) > 2:
        more = ", ..." if len(classes) > 5 else ""
        # scikit-learn's checks look for this first sentence in binary-only classifiers.
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{type_of_target(y, input_name='y')}: y has {len(classes)} classes "
            f"({shown}{more}); LightningANNClassifier is binary only"
        )
    if len(classes) < 2:
        raise ValueError(f"y has 1 class only ({shown}): a classifier needs two classes to train")


def _refuse_sparse(X: Any, name: str) -> None:
    if issparse(X):
        raise ValueError(
            f"{name} is a sparse matrix: LightningANNClassifier needs dense input (the network "
            "takes dense float32 tensors); convert it with .toarray()"
        )


def _seed(random_state: int | np.random.RandomState | None) -> int:
    """An int random_state is the seed itself; None or a RandomState draws one."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def _contained_lightning() -> Iterator[None]:
    """A Trainer that prints nothing per fit and leaves torch's global flags as it found them.

    `deterministic=True` switches torch's deterministic algorithms, cuDNN benchmark and the
    cuBLAS workspace variable for the whole process; they are put back afterwards.
    """
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    cublas = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    try:
        for logger in loggers:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        with warnings.catch_warnings():
            for message in _EXPECTED_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.benchmark = benchmark
        if cublas is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = cublas
