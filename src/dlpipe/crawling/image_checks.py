"""Decide whether downloaded bytes are a usable photo, without trusting names or headers.

Order matters: the header is read first (format and size, no pixel decoding), so a
decompression bomb or a tiny icon is refused before any decoding work is spent on it. Pillow's
own global bomb limit (Image.MAX_IMAGE_PIXELS) is left alone; it only matters when it is
stricter than `max_pixels`, and then its refusal is reported the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from types import MappingProxyType

from PIL import Image, UnidentifiedImageError

# The extension a stored file gets, from the format Pillow detected (never from the URL).
FORMAT_EXTENSIONS = MappingProxyType(
    {
        "JPEG": ".jpg",
        "MPO": ".jpg",  # multi-picture JPEG from cameras; a plain JPEG viewer shows the first frame
        "PNG": ".png",
        "GIF": ".gif",
        "WEBP": ".webp",
        "BMP": ".bmp",
        "TIFF": ".tif",
    }
)


@dataclass(frozen=True)
class ImageCheck:
    """The verdict on one body: `reason` is "" when the image is accepted."""

    reason: str
    format: str = ""
    width: int = 0
    height: int = 0

    @property
    def ok(self) -> bool:
        return not self.reason


def extension_for(image_format: str) -> str:
    return FORMAT_EXTENSIONS.get(image_format, f".{image_format.lower()}")


def inspect_image(body: bytes, *, max_pixels: int, min_side: int) -> ImageCheck:
    """Header checks (identify, pixel count, min side) first, then a full verify and decode."""
    try:
        with Image.open(BytesIO(body)) as header:  # lazy: reads the header only
            image_format, (width, height) = header.format or "", header.size
    except Image.DecompressionBombError as exc:
        return ImageCheck(f"too many pixels (Pillow refused the header): {exc}")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return ImageCheck(f"not an image: Pillow cannot identify it ({exc})")

    found = {"format": image_format, "width": width, "height": height}
    if width * height > max_pixels:
        return ImageCheck(
            f"too many pixels: {width}x{height} = {width * height} > max_pixels {max_pixels}",
            **found,
        )
    if min(width, height) < min_side:
        return ImageCheck(f"too small: {width}x{height}, min_side is {min_side}", **found)
    try:
        with Image.open(BytesIO(body)) as image:
            image.verify()  # structure and checksums, without decoding
        with Image.open(BytesIO(body)) as image:
            image.load()  # verify() misses truncated pixel data; decoding does not
    except Exception as exc:  # any decoder error means the file is unusable
        return ImageCheck(f"corrupt or truncated image: {exc}", **found)
    return ImageCheck("", **found)
