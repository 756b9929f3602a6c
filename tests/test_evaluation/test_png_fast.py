"""The bounding-rows PNG mask decoder equals the libraries, bit for bit."""
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from rvos_plugin.evaluation.functional.mask_io import read_mask_png
from rvos_plugin.evaluation.functional.png_fast import decode_png_mask


def _chunk(kind, payload):
    body = kind + payload
    return struct.pack('>I', len(payload)) + body + struct.pack(
        '>I', zlib.crc32(body) & 0xffffffff)


def _png_with_filters(image, filters, colour=0):
    """Hand-filtered 8-bit PNG (filter per row: 0 None, 1 Sub, 2 Up)."""
    h, w = image.shape
    rows, prev = [], np.zeros(w, np.uint8)
    for y in range(h):
        row = image[y]
        if filters[y] == 1:
            out = row - np.concatenate(([0], row[:-1])).astype(np.uint8)
        elif filters[y] == 2:
            out = row - prev
        else:
            out = row.copy()
        rows.append(bytes([filters[y]]) + out.astype(np.uint8).tobytes())
        prev = row
    data = b'\x89PNG\r\n\x1a\n' + _chunk(
        b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0))
    if colour == 3:
        data += _chunk(b'PLTE', bytes(range(256)) * 3)
    data += _chunk(b'IDAT', zlib.compress(b''.join(rows)))
    return data + _chunk(b'IEND', b'')


def _pil_truth(data):
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image) != 0


def _images(rng):
    for shape in ((1, 1), (5, 9), (37, 64), (120, 211)):
        yield np.zeros(shape, np.uint8)
        yield np.full(shape, 255, np.uint8)
        yield (rng.random(shape) < 0.3).astype(np.uint8) * rng.integers(
            1, 256, shape).astype(np.uint8)
        m = np.zeros(shape, np.uint8)
        m[shape[0] // 3: 2 * shape[0] // 3 + 1, shape[1] // 4:] = 255
        yield m


@pytest.mark.parametrize('colour', [0, 3])
def test_hand_filtered_rows_equal_pil(colour):
    rng = np.random.default_rng(0)
    for image in _images(rng):
        for pattern in ('none', 'sub', 'up', 'mixed'):
            h = image.shape[0]
            filters = {'none': [0] * h, 'sub': [1] * h, 'up': [2] * h,
                       "mixed": list(rng.integers(0, 3, h))}[pattern]
            data = _png_with_filters(image, filters, colour)
            fast = decode_png_mask(data)
            if pattern in ('none', 'sub'):
                assert fast is not None
            elif fast is None:  # Up rows that change the row above
                above = np.vstack([np.zeros_like(image[:1]), image[:-1]])
                assert any(f == 2 and (image[y] != above[y]).any()
                           for y, f in enumerate(filters))
                continue
            np.testing.assert_array_equal(fast, _pil_truth(data))


def test_library_written_pngs(tmp_path):
    rng = np.random.default_rng(1)
    for i, image in enumerate(_images(rng)):
        ok, cv2_png = cv2.imencode('.png', image)
        pil = io.BytesIO()
        Image.fromarray(image).save(pil, format='PNG')
        palette = io.BytesIO()
        p = Image.fromarray((image > 0).astype(np.uint8), mode='L').convert(
            'P')
        p.putpalette([0, 0, 0, 0, 0, 0] + [7] * 762)  # index 1 is black too
        p.save(palette, format='PNG')
        for data in (cv2_png.tobytes(), pil.getvalue(), palette.getvalue()):
            path = str(tmp_path / f'{i}.png')
            with open(path, 'wb') as f:
                f.write(data)
            expected = _pil_truth(data)
            got = read_mask_png(path)  # fast path or library fallback
            np.testing.assert_array_equal(got, expected)
            fast = decode_png_mask(data)
            if fast is not None:
                np.testing.assert_array_equal(fast, expected)


def test_out_of_scope_and_broken_files_fall_back():
    image = (np.arange(48).reshape(6, 8) % 3 == 0).astype(np.uint8) * 255
    rgb = io.BytesIO()
    Image.fromarray(np.dstack([image] * 3)).save(rgb, format='PNG')
    assert decode_png_mask(rgb.getvalue()) is None  # RGB: OpenCV decodes
    one_bit = io.BytesIO()
    Image.fromarray(image > 0).save(one_bit, format='PNG')
    assert decode_png_mask(one_bit.getvalue()) is None  # 1-bit: PIL
    good = _png_with_filters(image, [1] * 6)
    assert decode_png_mask(good[:-40]) is None  # truncated IDAT
    assert decode_png_mask(b'not a png') is None
    zero_paeth_rows = b''.join(b'\x04' + bytes(8) for _ in range(6))
    paeth = good[:33] + _chunk(b'IDAT', zlib.compress(zero_paeth_rows)) + \
        _chunk(b'IEND', b'')
    assert _pil_truth(paeth).shape == (6, 8)  # a valid PNG ...
    assert decode_png_mask(paeth) is None  # ... whose Paeth rows fall back


def test_up_rows_repeating_the_row_above_stay_on_the_fast_path():
    image = np.zeros((12, 10), np.uint8)
    image[3:9, 2:7] = 255
    filters = [0, 0, 0, 1, 2, 2, 2, 2, 2, 1, 2, 2]  # Up = same row again
    data = _png_with_filters(image, filters)
    fast = decode_png_mask(data)
    assert fast is not None
    np.testing.assert_array_equal(fast, image > 0)
