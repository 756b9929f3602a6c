"""The one checked COCO RLE decoder / encoder (rle.py)."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from rvos_plugin.evaluation.functional.rle import (decode_rle, encode_rle,
                                                   rle_runs)


def _coco(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': rle['size'], 'counts': rle['counts'].decode('ascii')}


def _masks():
    rng = np.random.default_rng(0)
    yield np.zeros((5, 7), bool)
    yield np.ones((5, 7), bool)
    yield np.zeros((0, 4), bool)
    for shape in ((1, 1), (3, 9), (37, 53), (120, 90)):
        for p in (0.02, 0.5, 0.97):
            yield rng.random(shape) < p
    big = np.zeros((480, 854), bool)
    big[100:300, 200:700] = True  # long runs: multi-character counts
    big[310, 5] = True
    yield big


@pytest.mark.parametrize('mask', list(_masks()))
def test_round_trip_equals_pycocotools(mask):
    rle = encode_rle(mask)
    assert rle == _coco(mask)  # one encoder, pycocotools' bytes
    decoded = decode_rle(rle, source='t')
    assert decoded.dtype == bool and decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, mask)
    if mask.size:
        np.testing.assert_array_equal(
            decoded, mask_utils.decode(dict(
                size=rle['size'], counts=rle['counts'].encode())) > 0)
    runs = rle_runs(rle, source='t')
    assert runs.sum() == mask.size
    uncompressed = {'size': rle['size'], 'counts': runs.tolist()}
    np.testing.assert_array_equal(decode_rle(uncompressed, source='t'), mask)
    as_bytes = {'size': rle['size'], 'counts': rle['counts'].encode()}
    np.testing.assert_array_equal(decode_rle(as_bytes, source='t'), mask)


def test_hand_made_runs_are_column_major():
    # 2x3, runs: 1 zero, 2 ones, 3 zeros -> pixels (1,0) and (0,1)
    mask = decode_rle({'size': [2, 3], 'counts': [1, 2, 3]}, source='t')
    np.testing.assert_array_equal(mask, [[0, 1, 0], [1, 0, 0]])


def _short_and_long():
    mask = np.zeros((6, 8), bool)
    mask[2:4, 3:6] = True
    good = encode_rle(mask)
    runs = rle_runs(good, source='t').tolist()
    short = {'size': [6, 8], 'counts': runs[:-1]}
    long = {'size': [6, 8], 'counts': runs[:-1] + [runs[-1] + 5]}
    short_str = dict(encode_rle(mask[:, :7]), size=[6, 8])
    long_str = dict(encode_rle(np.vstack([mask, mask[:1]])), size=[6, 8])
    return short, long, short_str, long_str


@pytest.mark.parametrize('rle,match', [
    (_short_and_long()[0], r'add up to 34 pixels.*48.*truncated'),
    (_short_and_long()[1], r'add up to 53 pixels.*48.*too long'),
    (_short_and_long()[2], r'add up to 42 pixels.*48'),
    (_short_and_long()[3], r'add up to 56 pixels.*48'),
    ({'size': [2, 2], 'counts': 'ab~'}, r"character '~'"),
    ({'size': [2, 2], 'counts': 'a b'}, r"character ' '"),
    ({'size': [2, 2], 'counts': '4p'}, r"character 'p'"),
    ({'size': [2, 2], 'counts': 'P'}, r'truncated'),  # continuation bit
    ({'size': [2, 2], 'counts': [1, -1, 4]}, r'negative run length -1'),
    ({'size': [2, 2], 'counts': [1.5, 2.5]}, r'list of integers'),
    ({'size': [2, 2], 'counts': ['1', '3']}, r'list of integers'),
    ({'size': [2, 2], 'counts': 7}, r'must be a str, bytes'),
    ({'size': [2], 'counts': '04'}, r'"size" must be \[H, W\]'),
    ({'size': [2, -2], 'counts': '04'}, r'"size" must be \[H, W\]'),
    ({'counts': '04'}, r'expected a dict with "size"'),
    (None, r'expected a dict with "size"'),
    ({'size': [2, 2], 'counts': 'é'}, r'non-ASCII'),
])
def test_bad_rles_raise_naming_the_source(rle, match):
    with pytest.raises(ValueError, match=match) as info:
        decode_rle(rle, source='masks.json (anno_id 7, frame 3)')
    assert 'masks.json (anno_id 7, frame 3)' in str(info.value)
    assert 'pycocotools.mask.encode' in str(info.value)  # the fix


def test_expected_size_mismatch():
    rle = encode_rle(np.ones((4, 6), bool))
    assert decode_rle(rle, source='t', expected_hw=(4, 6)).all()
    with pytest.raises(ValueError, match=r'4x6 \(HxW\) in pred.json .*'
                       r'expected 6x4.*original frame resolution'):
        decode_rle(rle, source='pred.json', expected_hw=(6, 4))


def test_negative_delta_counts_decode_like_pycocotools():
    # shrinking runs make the delta coding store negative differences
    mask = np.zeros((50, 40), bool)
    for x in range(40):
        mask[: max(1, 45 - x), x] = x % 2 == 0
    rle = encode_rle(mask)
    np.testing.assert_array_equal(decode_rle(rle, source='t'), mask)


def test_rle_module_imports_no_torch(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / 'rvos_plugin' / \
        'evaluation' / 'functional' / 'rle.py'
    code = ('import importlib.util, sys\n'
            f'spec = importlib.util.spec_from_file_location("rle", {str(path)!r})\n'
            'module = importlib.util.module_from_spec(spec)\n'
            'spec.loader.exec_module(module)\n'
            'import numpy as np\n'
            'module.encode_rle(np.ones((2, 2)))\n'
            'print(sorted(m for m in ("torch", "mmengine", "mmcv") '
            'if m in sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'
