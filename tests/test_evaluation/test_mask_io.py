"""Tests of mask PNG reading/writing, RLE unions and submission zips."""
import os.path as osp
import zipfile

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from rvos_plugin.evaluation.functional.mask_io import (decode_rle_union,
                                                       read_mask_png,
                                                       write_mask_png,
                                                       zip_folder)


def _expected():
    mask = np.zeros((5, 7), dtype=bool)
    mask[1:3, 2:6] = True
    return mask


def test_png_modes_non_zero_is_foreground(tmp_path):
    mask = _expected()
    gray = np.where(mask, 255, 0).astype(np.uint8)
    paths = {}
    paths['L'] = str(tmp_path / 'l.png')
    Image.fromarray(gray).save(paths['L'])
    paths['P'] = str(tmp_path / 'p.png')  # palette index 2, colour black
    palette = Image.fromarray(np.where(mask, 2, 0).astype(np.uint8), 'P')
    palette.putpalette([0, 0, 0] * 256)
    palette.save(paths['P'])
    paths['RGB'] = str(tmp_path / 'rgb.png')
    rgb = np.zeros((5, 7, 3), dtype=np.uint8)
    rgb[mask, 1] = 128
    Image.fromarray(rgb).save(paths['RGB'])
    paths['RGBA'] = str(tmp_path / 'rgba.png')  # alpha 255 everywhere
    Image.fromarray(np.dstack([rgb, np.full((5, 7), 255, np.uint8)]),
                    'RGBA').save(paths['RGBA'])
    for mode, path in paths.items():
        np.testing.assert_array_equal(read_mask_png(path), mask, err_msg=mode)


def test_write_then_read_roundtrip_is_0_255(tmp_path):
    path = str(tmp_path / 'a' / 'b' / '00000.png')
    write_mask_png(path, _expected().astype(np.uint8) * 7)
    raw = np.asarray(Image.open(path))
    assert raw.dtype == np.uint8 and set(np.unique(raw)) == {0, 255}
    np.testing.assert_array_equal(read_mask_png(path), _expected())
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        write_mask_png(path, np.zeros((2, 3, 4)))


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_mask_png(str(tmp_path / 'missing.png'))
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG garbage')
    with pytest.raises(ValueError, match='bad.png'):
        read_mask_png(str(bad))


def test_rle_union_and_errors():
    a, b = np.zeros((4, 6), np.uint8), np.zeros((4, 6), np.uint8)
    a[0, 0], b[3, 5] = 1, 1
    rle_a = mask_utils.encode(np.asfortranarray(a))
    rle_b = mask_utils.encode(np.asfortranarray(b))
    union = decode_rle_union([rle_a, None, rle_b])
    np.testing.assert_array_equal(union, (a | b).astype(bool))
    uncompressed = {'size': [4, 6], 'counts': [0, 1, 23]}  # column-major
    np.testing.assert_array_equal(decode_rle_union([uncompressed]),
                                  a.astype(bool))
    empty = decode_rle_union([None, None], shape=(4, 6))
    assert empty.shape == (4, 6) and not empty.any()
    with pytest.raises(ValueError, match='no frame shape'):
        decode_rle_union([None])
    with pytest.raises(ValueError, match='invalid COCO RLE in masks.json'):
        decode_rle_union([{'counts': 'x'}], source='masks.json')
    small = mask_utils.encode(np.asfortranarray(np.zeros((2, 2), np.uint8)))
    with pytest.raises(ValueError, match='differs from the expected 4x6'):
        decode_rle_union([rle_a, small])


def test_zip_folder_layouts(tmp_path):
    root = str(tmp_path / 'out')
    write_mask_png(osp.join(root, 'vid', '0', '00000.png'), _expected())
    mevis = zip_folder(root, str(tmp_path / 'mevis.zip'))
    ytvos = zip_folder(root, str(tmp_path / 'ytvos.zip'), 'Annotations')
    with zipfile.ZipFile(mevis) as archive:
        assert archive.namelist() == ['vid/0/00000.png']
    with zipfile.ZipFile(ytvos) as archive:
        assert archive.namelist() == ['Annotations/vid/0/00000.png']
