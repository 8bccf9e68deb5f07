"""The face CNN's shapes for every input layout, and its refusal of too-small inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpipe.models.components.face_cnn import FaceCNN, pooled_side


def _cnn(in_channels: int = 1, size: int = 64, channels=(16, 32, 64), **kwargs) -> FaceCNN:
    options = {"kernel_size": 3, "dense": (32,), "dropout": 0.5, "batch_norm": True}
    options.update(kwargs)
    return FaceCNN(in_channels, size, 5, channels, **options)


@pytest.mark.parametrize("in_channels", [1, 3])
@pytest.mark.parametrize("size", [48, 64, 96])
@pytest.mark.parametrize("channels", [(16, 32, 64), (8, 16), (4, 8, 8, 16)])
def test_logits_have_one_column_per_class(in_channels, size, channels) -> None:
    net = _cnn(in_channels, size, channels).eval()
    out = net(torch.rand(2, in_channels, size, size))
    assert out.shape == (2, 5)
    assert out.dtype == torch.float32


def test_blocks_follow_the_config() -> None:
    net = _cnn(channels=(8, 16), kernel_size=5, dense=(32, 16), batch_norm=False)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16]
    assert all(c.kernel_size == (5, 5) and c.bias is not None for c in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 2
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [
        (16 * 16 * 16, 32),
        (32, 16),
        (16, 5),
    ]
    assert sum(isinstance(m, nn.Dropout) for m in net.modules()) == 2


def test_batch_norm_replaces_conv_bias() -> None:
    net = _cnn(batch_norm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 3
    assert all(m.bias is None for m in net.modules() if isinstance(m, nn.Conv2d))


def test_odd_sides_are_floored_by_pooling() -> None:
    assert pooled_side(50, 3) == 6
    assert _cnn(size=50).eval()(torch.rand(1, 1, 50, 50)).shape == (1, 5)


def test_too_small_input_is_refused_with_the_minimum() -> None:
    with pytest.raises(
        ValueError, match=r"4x4 input is too small for 3 pooling blocks.*at least 8"
    ):
        _cnn(size=4)


@pytest.mark.parametrize(
    "kwargs", [{"channels": ()}, {"dropout": 1.0}, {"dropout": -0.1}, {"in_channels": 0}]
)
def test_bad_settings_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        _cnn(**kwargs)
