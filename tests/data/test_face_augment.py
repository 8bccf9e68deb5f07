"""Face batch augmentation: same shape and range, really random, identity when switched off."""

from __future__ import annotations

import torch

from dlpipe.config import FaceAugment
from dlpipe.data.face_augment import augment_active, augment_batch

ALL_ON = FaceAugment(flip=True, rotation_deg=10.0, shift=0.1, brightness=0.2)
OFF = FaceAugment(flip=False, rotation_deg=0.0, shift=0.0, brightness=0.0)


def _batch(n: int = 32, channels: int = 1, size: int = 24) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(0))


def _gen(seed: int = 1) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_keeps_shape_dtype_and_range() -> None:
    for channels in (1, 3):
        x = _batch(channels=channels)
        out = augment_batch(x, ALL_ON, _gen())
        assert out.shape == x.shape and out.dtype == x.dtype
        assert out.min() >= 0.0 and out.max() <= 1.0
        assert not torch.equal(out, x)


def test_identity_when_everything_is_off() -> None:
    x = _batch()
    assert not augment_active(OFF)
    assert augment_batch(x, OFF, _gen()) is x


def test_flip_mirrors_some_images_and_leaves_the_rest() -> None:
    x = _batch(n=64)
    out = augment_batch(x, FaceAugment(True, 0.0, 0.0, 0.0), _gen())
    flipped = torch.tensor([torch.equal(o, xi.flip(-1)) for o, xi in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, xi) for o, xi in zip(out, x, strict=True)])
    assert torch.all(flipped ^ kept)
    assert 16 <= int(flipped.sum()) <= 48  # about half of 64


def test_flip_moves_a_left_mark_to_the_right() -> None:
    x = torch.zeros(40, 1, 8, 8)
    x[..., 0] = 1.0  # bright left column
    out = augment_batch(x, FaceAugment(True, 0.0, 0.0, 0.0), _gen())
    right = out[..., 7].amax(dim=(1, 2)) == 1.0
    assert right.any() and (~right).any()
    assert torch.equal(out[right][..., 0], torch.zeros_like(out[right][..., 0]))


def test_brightness_scales_within_its_bounds() -> None:
    x = torch.full((200, 1, 4, 4), 0.5)
    out = augment_batch(x, FaceAugment(False, 0.0, 0.0, 0.2), _gen())
    factors = out[:, 0, 0, 0] / 0.5
    assert factors.min() >= 0.8 - 1e-6 and factors.max() <= 1.2 + 1e-6
    assert factors.std() > 0.05
    assert torch.allclose(out, factors[:, None, None, None] * 0.5)  # whole image, one factor


def test_rotation_and_shift_pad_with_the_border_not_black() -> None:
    x = torch.full((8, 1, 16, 16), 0.7)
    out = augment_batch(x, FaceAugment(False, 15.0, 0.2, 0.0), _gen())
    torch.testing.assert_close(out, x)


def test_shift_moves_content() -> None:
    x = torch.zeros(16, 1, 16, 16)
    x[:, :, 6:10, 6:10] = 1.0
    out = augment_batch(x, FaceAugment(False, 0.0, 0.15, 0.0), _gen())
    centres = [
        (o[0] * torch.arange(16.0)[None, :]).sum() / o[0].sum() for o in out
    ]  # column centre of mass
    assert max(abs(float(c) - 7.5) for c in centres) > 0.5
    assert all(abs(float(c) - 7.5) <= 0.15 * 16 + 0.5 for c in centres)


def test_successive_batches_differ_and_a_seed_repeats() -> None:
    x = _batch()
    gen = _gen(5)
    first, second = augment_batch(x, ALL_ON, gen), augment_batch(x, ALL_ON, gen)
    assert not torch.allclose(first, second)
    torch.testing.assert_close(augment_batch(x, ALL_ON, _gen(5)), first, rtol=0, atol=0)


def test_global_seed_drives_it_without_a_generator() -> None:
    x = _batch()
    torch.manual_seed(3)
    a = augment_batch(x, ALL_ON)
    torch.manual_seed(3)
    torch.testing.assert_close(augment_batch(x, ALL_ON), a, rtol=0, atol=0)
