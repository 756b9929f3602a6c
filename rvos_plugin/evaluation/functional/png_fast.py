"""Exact fast decoding of 8-bit grey / palette mask PNGs (bounding rows).

A mask PNG is mostly zero rows. This decoder, used by
:func:`~.mask_io.read_mask_png` before OpenCV/PIL, parses the chunks,
inflates the image data in one call (libdeflate through the ``deflate``
package when installed, ~10x faster than zlib on mask PNGs; else zlib)
and undoes the PNG row filters with numpy **only on the band of rows that
can be non-zero**. Which rows those are follows from the filtered bytes
alone (PNG spec, Sec. 9): a None/Sub row is zero iff its bytes are zero;
an Up row is zero iff its bytes and the row above are zero. So every row
before the first row with non-zero bytes is zero, and after the last one
only a run of Up rows (copies of it) can be non-zero. Within the band,
None rows are their bytes, Sub rows running sums along the row mod 256
(from an integral image, ``cv2.integral``: numpy's accumulate is ~10x
slower), Up rows with zero bytes copies of the row above. Exact by
construction; files outside the fast case (bit depth != 8, colour types
other than grey (0) / palette (3), interlaced, Average/Paeth rows, Up rows
that change the row above (PIL's adaptive filtering: libpng is faster
there), anything malformed) return None and are decoded by the libraries.

Foreground is "value != 0" for grey and "palette index != 0" for palette
PNGs, the convention of :func:`~.mask_io.read_mask_png`.
"""
import struct
import zlib
from typing import Optional

import cv2
import numpy as np

try:  # libdeflate (optional): the fastest exact inflate
    import deflate as _deflate
except ImportError:  # pragma: no cover - depends on the environment
    _deflate = None

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_FILTER_NONE, _FILTER_SUB, _FILTER_UP = 0, 1, 2


def _inflate(data: bytes, size: int) -> Optional[bytes]:
    """zlib stream -> exactly ``size`` bytes, or None if it is not that."""
    try:
        if _deflate is not None:
            raw = _deflate.zlib_decompress(data, size)
        else:
            raw = zlib.decompress(data)
    except Exception:  # malformed / truncated: let the libraries report it
        return None
    return raw if len(raw) == size else None


def _low_byte(sums: np.ndarray) -> np.ndarray:
    """Integer sums (int32, or exact float64) mod 256 as uint8."""
    if sums.dtype != np.int32:
        sums = sums.astype(np.int64)
    return sums.astype(np.uint8)  # wrapping cast keeps the low byte


def decode_png_mask(data: bytes) -> Optional[np.ndarray]:
    """Bool mask (H, W) of an 8-bit grey or palette PNG, or None.

    Args:
        data (bytes): The whole PNG file.

    Returns:
        np.ndarray | None: bool (H, W) (non-zero value / index =
        foreground), or None when the file is not in the fast case (the
        caller then decodes it with OpenCV / PIL, which also report
        corrupt files).
    """
    if data[:8] != PNG_SIGNATURE:
        return None
    pos, header, parts = 8, None, []
    end = len(data)
    while pos + 8 <= end:
        length, kind = struct.unpack_from('>I4s', data, pos)
        start = pos + 8
        if start + length + 4 > end:
            return None  # truncated chunk
        if kind == b'IHDR':
            header = struct.unpack_from('>IIBBBBB', data, start)
        elif kind == b'IDAT':
            parts.append(data[start:start + length])
        elif kind == b'IEND':
            break
        pos = start + length + 4  # skip the CRC
    if header is None or not parts:
        return None
    width, height, depth, colour, compression, filtering, interlace = header
    if (depth != 8 or colour not in (0, 3) or compression or filtering
            or interlace or not width or not height):
        return None
    stride = width + 1
    raw = _inflate(b''.join(parts), height * stride)
    if raw is None:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride)
    filters = rows[:, 0]
    if filters.max() > _FILTER_UP:
        return None  # Average / Paeth rows: the libraries decode them
    pixels = rows[:, 1:]
    mask = np.zeros((height, width), dtype=bool)
    nonzero_rows = pixels.any(axis=1)
    nonzero = np.flatnonzero(nonzero_rows)
    if not nonzero.size:
        return mask
    first, last = int(nonzero[0]), int(nonzero[-1])
    while last + 1 < height and filters[last + 1] == _FILTER_UP:
        last += 1  # Up rows after the last non-zero bytes copy that row
    band = pixels[first:last + 1]
    kinds = filters[first:last + 1]
    sub, up = kinds == _FILTER_SUB, kinds == _FILTER_UP
    if (up & nonzero_rows[first:last + 1]).any():
        # Up rows that change the row above need a running sum down the
        # columns: measured slower than libpng (PIL's adaptive filtering),
        # so the libraries decode those files.
        return None
    # Running sums by integral images (cv2.integral: ~10x faster than
    # np.cumsum on uint8); exact integers (int32 while they fit, else
    # float64 -> int64), reduced mod 256 by the wrapping cast to uint8.
    wide = band.size * 255 >= 2**31
    depth = cv2.CV_64F if wide else cv2.CV_32S
    if sub.any():  # Sub: running sum along the row, mod 256
        integral = cv2.integral(band, sdepth=depth)
        rows_sum = _low_byte(integral[1:, 1:] - integral[:-1, 1:])
        if sub.all():
            band = rows_sum
        else:
            band = band.copy()
            band[sub] = rows_sum[sub]
    if up.any():  # Up: the row above plus these bytes, mod 256
        # Up rows with zero bytes repeat the row above (never the first
        # band row: its bytes are non-zero).
        band = band[np.maximum.accumulate(
            np.where(up, 0, np.arange(len(kinds))))]
    mask[first:last + 1] = band != 0
    return mask
