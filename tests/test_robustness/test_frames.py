"""Damaged frame files: every one is an error naming the path."""
import os.path as osp

import cv2
import numpy as np
import pytest
from _robust_utils import names

from rvos_plugin.datasets.transforms.loading import (LoadRVOSFrames,
                                                     RVOSDataError,
                                                     read_frame)


def _jpeg(path, size=(48, 64)):
    img = np.random.default_rng(0).integers(0, 255, (*size, 3), np.uint8)
    cv2.imwrite(str(path), img)
    return open(path, 'rb').read()


def _png(path):
    cv2.imwrite(str(path), np.full((16, 16, 3), 99, np.uint8))
    return open(path, 'rb').read()


DAMAGES = {
    'jpeg_cut_at_10pct': ('.jpg', lambda d: d[:len(d) // 10]),
    'jpeg_cut_at_half': ('.jpg', lambda d: d[:len(d) // 2]),
    'jpeg_cut_2_bytes_short': ('.jpg', lambda d: d[:-2]),
    'jpeg_header_only': ('.jpg', lambda d: d[:200]),
    'png_cut_at_half': ('.png', lambda d: d[:len(d) // 2]),
    'empty_file': ('.jpg', lambda d: b''),
    'garbage_bytes': ('.jpg', lambda d: bytes(range(256)) * 8),
    'text_file': ('.jpg', lambda d: b'<html>404 Not Found</html>'),
    'lfs_pointer': ('.jpg', lambda d: b'version https://git-lfs.github.com/'
                    b'spec/v1\noid sha256:abc\nsize 1234\n'),
}


@pytest.mark.parametrize('case', sorted(DAMAGES))
def test_damaged_frame_is_refused_naming_the_path(tmp_path, case):
    ext, damage = DAMAGES[case]
    good = tmp_path / f'good{ext}'
    data = _jpeg(good) if ext == '.jpg' else _png(good)
    bad = tmp_path / f'{case}{ext}'
    bad.write_bytes(damage(data))
    with pytest.raises(RVOSDataError, match=names(bad)):
        read_frame(str(bad))


def test_missing_frame_names_the_path(tmp_path):
    with pytest.raises(RVOSDataError, match='00007.jpg'):
        read_frame(str(tmp_path / '00007.jpg'))


def test_intact_frames_still_load(tmp_path):
    for ext, write in (('.jpg', _jpeg), ('.png', _png)):
        path = tmp_path / f'ok{ext}'
        write(path)
        assert read_frame(str(path)).dtype == np.uint8


def test_truncated_frame_inside_a_split_names_it(split_copy):
    root, split = split_copy
    path = osp.join(split, 'JPEGImages', 'video0', '00002.jpg')
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    results = dict(frame_inds=[0, 2], frame_names=['00000', '00001',
                                                   '00002', '00003'],
                   frame_dir=osp.dirname(path), frame_ext='.jpg')
    with pytest.raises(RVOSDataError, match=r'video0.*00002\.jpg'):
        LoadRVOSFrames(backend='frames')(results)
