"""Reading photos as they come from the web: decoded by content, never trusted by extension.

Crawled photos include PNGs named .jpg, RGBA and greyscale files, 16-bit PNGs, truncated bytes
and the occasional decompression bomb. Everything readable comes back as 8-bit BGR plus a note
of what was converted; everything else raises ImageReadError naming the file and the problem.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

EXTENSIONS = {
    "JPEG": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "PNG": {".png"},
    "GIF": {".gif"},
    "BMP": {".bmp", ".dib"},
    "TIFF": {".tif", ".tiff"},
    "WEBP": {".webp"},
    "PPM": {".ppm", ".pgm", ".pbm", ".pnm"},
}
EXIF_ORIENTATION = 0x0112


class ImageReadError(ValueError):
    """The file cannot be turned into an image; the message names the file and the reason."""


class ImageTooLargeError(ImageReadError):
    """The header announces more pixels than allowed; width and height are from the header."""

    def __init__(self, message: str, width: int, height: int) -> None:
        super().__init__(message)
        self.width = width
        self.height = height


@dataclass(frozen=True)
class Header:
    """What the file says about itself, read without decoding the pixels."""

    format: str  # Pillow's name ("JPEG", "PNG", ...), "" when Pillow does not know the format
    mode: str  # Pillow's mode ("RGB", "RGBA", "L", "I;16", "P", ...)
    width: int
    height: int
    orientation: int  # EXIF orientation, 1 = as stored


def read_header(path: Path, data: bytes) -> Header:
    """Format, mode and size from the header; a decompression bomb is reported, not decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # Only JPEG keeps EXIF in the header; PNG's getexif() would decode the pixels.
                jpeg = image.format == "JPEG"
                orientation = image.getexif().get(EXIF_ORIENTATION, 1) if jpeg else 1
                return Header(image.format or "", image.mode, *image.size, int(orientation))
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{path}: too many pixels ({exc})", 0, 0) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return Header("", "", 0, 0, 1)  # maybe OpenCV knows the format; decoding will tell


@dataclass(frozen=True)
class LoadedImage:
    bgr: np.ndarray  # uint8, height x width x 3
    source_mode: str  # as stored, e.g. "JPEG RGB", "PNG RGBA", "PNG I;16"
    notes: str  # what was converted, "" if nothing


def read_image(path: Path, max_pixels: int) -> tuple[np.ndarray, str]:
    """The photo at `path` as 8-bit BGR, and notes on what was converted ("" if nothing).

    The pixel count is checked from the header before the full decode, so a huge or hostile
    file costs nothing. Raises ImageTooLargeError or ImageReadError.
    """
    loaded = load_image(path, max_pixels)
    return loaded.bgr, loaded.notes


def load_image(path: Path, max_pixels: int) -> LoadedImage:
    """read_image, plus the format and mode the file was stored in."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise ImageReadError(f"{path}: empty file")
    header = read_header(path, data)
    pixels = header.width * header.height
    if pixels > max_pixels:
        raise ImageTooLargeError(
            f"{path}: too many pixels: {header.width}x{header.height} = {pixels} > {max_pixels}",
            header.width,
            header.height,
        )
    notes = [note for note in (extension_note(path, header.format),) if note]
    image = decode(data, header)
    if image is None:
        raise ImageReadError(f"{path}: not a decodable image ({len(data)} bytes)")
    if header.width == 0 and image.shape[0] * image.shape[1] > max_pixels:
        height, width = image.shape[:2]
        raise ImageTooLargeError(
            f"{path}: too many pixels: {width}x{height} = {width * height} > {max_pixels}",
            width,
            height,
        )
    bgr, conversion = to_bgr8(image)
    notes += [conversion] if conversion else []
    if header.orientation != 1:
        notes.append(f"EXIF orientation {header.orientation} applied")
    source_mode = f"{header.format} {header.mode}".strip() or "unknown to Pillow"
    return LoadedImage(bgr, source_mode, "; ".join(notes))


def extension_note(path: Path, image_format: str) -> str:
    """A note when the content's format does not match the file name's extension."""
    known = EXTENSIONS.get(image_format)
    if known is None or path.suffix.lower() in known:
        return ""
    return f"content is {image_format}, extension {path.suffix or '(none)'}"


def decode(data: bytes, header: Header) -> np.ndarray | None:
    """Decode by content with OpenCV; Pillow as the fallback for formats OpenCV lacks.

    Alpha only survives IMREAD_UNCHANGED, which skips EXIF rotation, so that flag is used only
    for images that have alpha; the others keep their depth and channels and get rotated.
    """
    buffer = np.frombuffer(data, np.uint8)
    has_alpha = "A" in header.mode or (header.mode == "P" and header.format == "PNG")
    flags = cv2.IMREAD_UNCHANGED if has_alpha else cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error:
        image = None
    if image is not None or not header.format:
        return image
    try:
        with Image.open(io.BytesIO(data)) as pil:
            rgb = np.asarray(pil.convert("RGB"))
    except (OSError, SyntaxError, ValueError):
        return None
    return np.ascontiguousarray(rgb[:, :, ::-1])


def to_bgr8(image: np.ndarray) -> tuple[np.ndarray, str]:
    """8-bit, 3-channel BGR from whatever depth and channel count came out of the decoder."""
    notes = []
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
        notes.append("16-bit scaled to 8-bit")
    elif image.dtype != np.uint8:
        notes.append(f"{image.dtype} converted to 8-bit")
        scale = 255.0 if image.dtype.kind == "f" and float(image.max(initial=0)) <= 1.0 else 1.0
        image = np.clip(image.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        notes.append("greyscale expanded to BGR")
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR), "; ".join(notes)
    if image.shape[2] == 2:  # grey + alpha
        grey, alpha = image[:, :, 0], image[:, :, 1:2]
        image = np.concatenate([cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), alpha], axis=2)
        notes.append("greyscale expanded to BGR")
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4]
        if alpha.min() == 255:
            notes.append("alpha dropped (opaque)")
            return np.ascontiguousarray(image[:, :, :3]), "; ".join(notes)
        notes.append("alpha composited on white")
        weight = alpha.astype(np.float32) / 255.0
        over_white = image[:, :, :3] * weight + 255.0 * (1.0 - weight)
        return np.round(over_white).astype(np.uint8), "; ".join(notes)
    return image, "; ".join(notes)
