"""The trained stock LSTM as one file: weights, scalers and the preprocessing they belong to.

A plain `torch.save` of tensors and JSON-safe values, so loading uses `weights_only=True` and
never runs pickled code from the file. `StockModel.predict` repeats the training preprocessing
exactly (price features relative to today's reference price, the feature scaler; then the
inverse target scaler, the residual and the target's price), so a saved model forecasts from raw
prices alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlpipe.config import StockLstmConfig
from dlpipe.data.stock_windows import (
    Scaler,
    from_residual,
    inverse_transform,
    price_column,
    to_price,
    transform,
)
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.model_file import read_model_file, write_model_file

FORMAT = "dlpipe.stock_lstm"
VERSION = 1
PRICE_COLUMNS = frozenset({"open", "high", "low", "close"})


class StockModelError(ValueError):
    """A stock model file is missing, unreadable, or not a stock model this code can rebuild."""


def relative_to_reference(
    x: np.ndarray, feature_names: Sequence[str], reference: np.ndarray
) -> np.ndarray:
    """Windows (N, window, F) as float64 with each price column divided by the sample's
    reference price minus 1 (scale-free: a price level never seen in training is no
    extrapolation); other columns (volume) unchanged. Windows are float32 first, as
    `build_dataset` stores them, so raw float64 prices give the numbers training saw."""
    x = np.asarray(x).astype(np.float32).astype(np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    for j, name in enumerate(feature_names):
        if name in PRICE_COLUMNS:
            x[..., j] = x[..., j] / reference[:, None] - 1.0
    return x


@dataclass(frozen=True, eq=False)
class StockModel:
    """A loaded stock LSTM: the network (CPU, eval mode) and everything its inputs need."""

    network: LSTMRegressor
    x_scaler: Scaler
    y_scaler: Scaler
    window: int
    features: tuple[str, ...]
    target: str
    residual: bool

    @property
    def price_column(self) -> str:
        """The price column the reference ("today") price comes from."""
        return price_column(self.target)

    def predict(self, windows: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Next-day prices (N,) from raw feature windows (N, window, F), columns in `features`
        order, and each window's reference price: the price of its last day (N,)."""
        windows = np.asarray(windows)
        expected = (self.window, len(self.features))
        if windows.ndim != 3 or windows.shape[1:] != expected:
            raise ValueError(
                f"expected windows of shape (N, {expected[0]}, {expected[1]}), got {windows.shape}"
            )
        reference = np.asarray(reference, dtype=np.float64)
        x = relative_to_reference(windows, self.features, reference)
        scaled_x = transform(self.x_scaler, x).astype(np.float32)
        with torch.no_grad():
            scaled = self.network(torch.from_numpy(scaled_x)).numpy()
        values = inverse_transform(self.y_scaler, scaled.astype(np.float64))
        if self.residual:
            values = from_residual(self.target, values, reference)
        return to_price(self.target, values, reference)


def _scaler_tensors(scaler: Scaler) -> dict[str, torch.Tensor]:
    return {
        "mean": torch.from_numpy(np.array(scaler.mean, dtype=np.float64)),
        "std": torch.from_numpy(np.array(scaler.std, dtype=np.float64)),
    }


def save_stock_model(
    path: Path,
    network: LSTMRegressor,
    x_scaler: Scaler,
    y_scaler: Scaler,
    cfg: StockLstmConfig,
) -> None:
    """Write the network's constructor arguments and weights (on CPU), both scalers (float64
    mean/std) and the preprocessing settings (window, features, target, residual) atomically."""
    n_features = int(network.lstm.input_size)
    if len(cfg.features) != n_features:
        raise ValueError(
            f"{len(cfg.features)} features in the config for a network with {n_features} inputs"
        )
    if np.shape(x_scaler.mean) != (n_features,):
        raise ValueError(
            f"feature scaler has shape {np.shape(x_scaler.mean)}, expected ({n_features},)"
        )
    if np.ndim(y_scaler.mean) != 0:
        raise ValueError(f"target scaler must be scalar, got shape {np.shape(y_scaler.mean)}")
    arch = {
        "n_features": n_features,
        "hidden_size": int(network.lstm.hidden_size),
        "num_layers": int(network.lstm.num_layers),
        "dropout": float(cfg.dropout),
        "head_sizes": [int(size) for size in cfg.head_sizes],
    }
    configured = (int(cfg.hidden_size), int(cfg.num_layers))
    if (arch["hidden_size"], arch["num_layers"]) != configured:
        raise ValueError(
            f"network has hidden_size {arch['hidden_size']} and {arch['num_layers']} layers; "
            f"the config says {configured[0]} and {configured[1]}"
        )
    meta: dict[str, Any] = {
        "network": arch,
        "window": int(cfg.window),
        "features": [str(name) for name in cfg.features],
        "target": str(cfg.target),
        "residual": bool(cfg.residual),
    }
    meta = json.loads(json.dumps(meta, allow_nan=False))
    state = {key: value.detach().cpu() for key, value in network.state_dict().items()}
    payload = {
        "meta": meta,
        "state_dict": state,
        "x_scaler": _scaler_tensors(x_scaler),
        "y_scaler": _scaler_tensors(y_scaler),
    }
    write_model_file(path, FORMAT, VERSION, payload)


def load_stock_model(path: Path) -> StockModel:
    """The model written by `save_stock_model`, network in eval mode on CPU."""
    payload = read_model_file(path, FORMAT, VERSION, "stock model", StockModelError)
    try:
        meta = payload["meta"]
        arch = meta["network"]
        network = LSTMRegressor(
            arch["n_features"],
            arch["hidden_size"],
            arch["num_layers"],
            arch["dropout"],
            tuple(arch["head_sizes"]),
        )
        network.load_state_dict(payload["state_dict"])
        scalers = [
            Scaler(
                mean=payload[key]["mean"].numpy().astype(np.float64),
                std=payload[key]["std"].numpy().astype(np.float64),
            )
            for key in ("x_scaler", "y_scaler")
        ]
        model = StockModel(
            network=network.eval(),
            x_scaler=scalers[0],
            y_scaler=scalers[1],
            window=int(meta["window"]),
            features=tuple(meta["features"]),
            target=str(meta["target"]),
            residual=bool(meta["residual"]),
        )
        price_column(model.target)  # an unknown target fails here, not at the first forecast
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise StockModelError(f"{path}: not a complete stock model: {exc!r}") from exc
    return model
