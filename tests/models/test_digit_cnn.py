"""The digit CNN: every input layout, the feature width, the blocks, and bad settings."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpipe.models.components.digit_cnn import DigitCNN


def _cnn(**kwargs) -> DigitCNN:
    options = {"n_classes": 10, "channels": (4, 8), "dense": 16, "dropout": 0.25}
    options.update(kwargs)
    return DigitCNN(**options)


@pytest.mark.parametrize("shape", [(3, 784), (3, 28, 28), (3, 1, 28, 28)])
def test_every_layout_gives_the_same_logits(shape) -> None:
    torch.manual_seed(0)
    net = _cnn().eval()
    images = torch.rand(3, 784)
    logits = net(images.reshape(shape))
    assert logits.shape == (3, 10)
    torch.testing.assert_close(logits, net(images))


def test_features_are_the_dense_layer_and_feed_the_logits() -> None:
    torch.manual_seed(0)
    net = _cnn(dense=24, n_classes=7).eval()
    x = torch.rand(5, 784)
    features = net.features(x)
    assert features.shape == (5, 24)
    assert (features >= 0).all()  # after the ReLU
    torch.testing.assert_close(net(x), net.classify(features))


def test_blocks_follow_the_config() -> None:
    net = _cnn(channels=(4, 8, 16), dense=32)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 16]
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 3
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    # 28 -> 14 -> 7 -> 3 after three poolings
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(16 * 3 * 3, 32), (32, 10)]


def test_other_image_sizes() -> None:
    net = _cnn(size=16).eval()
    assert net(torch.rand(2, 256)).shape == (2, 10)


def test_wrong_image_size_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 28x28"):
        _cnn()(torch.rand(2, 30, 30))


def test_init_kwargs_rebuild_the_same_network() -> None:
    torch.manual_seed(0)
    net = _cnn(size=20).eval()
    copy = DigitCNN(**net.init_kwargs)
    copy.load_state_dict(net.state_dict())
    x = torch.rand(2, 400)
    torch.testing.assert_close(copy.eval()(x), net(x))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channels": ()},
        {"channels": (4, 0)},
        {"n_classes": 1},
        {"dense": 0},
        {"dropout": 1.0},
        {"size": 4, "channels": (2, 2, 2)},  # 4 -> 2 -> 1 -> 0
    ],
)
def test_bad_settings_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        _cnn(**kwargs)
