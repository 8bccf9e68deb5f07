from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from dlpipe.vision.images import ImageReadError, ImageTooLargeError, load_image, read_image

MAX = 40_000_000


def gradient(height: int = 60, width: int = 80) -> np.ndarray:
    row = np.linspace(0, 255, width, dtype=np.uint8)
    return np.dstack([np.tile(row, (height, 1))] * 3)


def test_jpeg_reads_as_bgr_without_notes(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    cv2.imwrite(str(path), gradient())
    image, notes = read_image(path, MAX)
    assert image.shape == (60, 80, 3) and image.dtype == np.uint8
    assert notes == ""
    assert load_image(path, MAX).source_mode == "JPEG RGB"


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"0" * 40])
def test_unreadable_bytes_raise_with_the_file_name(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=r"broken\.jpg"):
        read_image(path, MAX)


def test_missing_file_raises_image_read_error(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="cannot read"):
        read_image(tmp_path / "absent.png", MAX)


def test_png_named_jpg_is_decoded_by_content(write_png) -> None:
    path = write_png("photo.jpg", gradient())
    image, notes = read_image(path, MAX)
    assert np.array_equal(image, gradient())
    assert "content is PNG, extension .jpg" in notes


def test_rgba_is_composited_on_white(write_png) -> None:
    bgra = np.zeros((10, 10, 4), np.uint8)
    bgra[:, :, 2] = 200  # red
    bgra[:, :5, 3] = 255  # left half opaque, right half transparent
    image, notes = read_image(write_png("rgba.png", bgra), MAX)
    assert image.shape == (10, 10, 3)
    assert tuple(image[0, 0]) == (0, 0, 200)
    assert tuple(image[0, 9]) == (255, 255, 255)
    assert "alpha composited" in notes


def test_opaque_alpha_is_dropped(write_png) -> None:
    bgra = np.dstack([gradient(), np.full((60, 80), 255, np.uint8)])
    image, notes = read_image(write_png("opaque.png", bgra), MAX)
    assert np.array_equal(image, gradient()) and "alpha dropped" in notes


def test_greyscale_becomes_three_equal_channels(write_png) -> None:
    grey = gradient()[:, :, 0]
    loaded = load_image(write_png("grey.png", grey), MAX)
    assert loaded.bgr.shape == (60, 80, 3)
    assert all(np.array_equal(loaded.bgr[:, :, c], grey) for c in range(3))
    assert "greyscale" in loaded.notes and loaded.source_mode == "PNG L"


def test_sixteen_bit_png_is_scaled_to_eight_bits(write_png) -> None:
    wide = np.linspace(0, 65535, 80).astype(np.uint16)
    image16 = np.dstack([np.tile(wide, (60, 1))] * 3)
    image, notes = read_image(write_png("deep.png", image16), MAX)
    assert image.dtype == np.uint8
    assert image[0, 0, 0] == 0 and image[0, -1, 0] == 255
    assert "16-bit" in notes


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height pixels, with (almost) no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_too_many_pixels_are_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(20_000, 20_000))  # 400 Mpx, 100 bytes
    with pytest.raises(ImageTooLargeError, match="too many pixels") as caught:
        read_image(path, MAX)
    assert isinstance(caught.value, ImageReadError)


def test_max_pixels_is_checked_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(png_claiming(5_000, 3_000))
    with pytest.raises(ImageTooLargeError) as caught:
        read_image(path, 1_000_000)
    assert (caught.value.width, caught.value.height) == (5_000, 3_000)


def test_format_opencv_lacks_falls_back_to_pillow(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    Image.fromarray(gradient()[:, :, ::-1]).save(path)
    image, _ = read_image(path, MAX)
    assert image.shape == (60, 80, 3)
