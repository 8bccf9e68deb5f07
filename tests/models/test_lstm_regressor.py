"""The LSTM network's shapes and a short real training run through the Trainer factory."""

from __future__ import annotations

import math

import pytest
import torch

from dlpipe.data.tensor_data import TensorPairs, tensor_loader
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.regression_module import RegressionModule
from dlpipe.optim import optimizer_factory
from dlpipe.training import EpochHistory, build_trainer


@pytest.mark.parametrize(("layers", "head"), [(1, ()), (2, (8,)), (3, (16, 8))])
def test_output_is_one_number_per_sequence(layers: int, head: tuple[int, ...]) -> None:
    net = LSTMRegressor(
        n_features=3, hidden_size=12, num_layers=layers, dropout=0.1, head_sizes=head
    )
    assert net(torch.randn(5, 20, 3)).shape == (5,)
    assert net.lstm.num_layers == layers


def test_bad_shapes_and_settings_fail_clearly() -> None:
    net = LSTMRegressor(3, 8, 1, 0.0)
    with pytest.raises(ValueError, match=r"\(batch, window, features\)"):
        net(torch.randn(5, 3))
    with pytest.raises(ValueError, match="dropout"):
        LSTMRegressor(3, 8, 1, 1.5)


def _sine_windows(n: int, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.arange(n + window + 1, dtype=torch.float32) * 0.3
    series = torch.sin(t)
    x = torch.stack([series[i : i + window] for i in range(n)]).unsqueeze(-1)
    y = series[window : window + n]
    return x, y


def test_short_training_run_learns_a_sine(cpu_training) -> None:
    torch.manual_seed(0)
    x, y = _sine_windows(256, 12)
    data = TensorPairs(x, y)
    module = RegressionModule(LSTMRegressor(1, 16, 1, 0.0), optimizer_factory("adam", {"lr": 0.02}))
    history = EpochHistory(keys=("train/loss", "val/loss"))
    trainer = build_trainer(cpu_training, seed=0, max_epochs=15, callbacks=[history])
    trainer.fit(module, tensor_loader(data, 32, True, 0), tensor_loader(data, 64, False, 0))
    losses = history.history["val/loss"]
    assert len(losses) == 15 and all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.1 * losses[0]  # variance of sin is 0.5: this is real learning
