"""eval_masks.py (MeViS mode) and mask_dict_png.py on damaged inputs."""
import os
import os.path as osp

import numpy as np
import pytest
from _robust_utils import names, read_json, write_json

from rvos_plugin.testing import load_tool_module as tool_module
from rvos_plugin.testing.official_formats import box_mask, write_mask_dict

eval_masks = tool_module('analysis_tools', 'eval_masks')
mask_dict_png = tool_module('dataset_converters', 'mask_dict_png')


def _mevis(split_copy, tmp_path):
    _, split = split_copy
    pred = tmp_path / 'pred'
    pred.mkdir()
    return (osp.join(split, 'meta_expressions.json'),
            osp.join(split, 'mask_dict.json'), str(pred))


MEVIS_CASES = {
    'meta_not_json': ('meta', lambda p: open(p, 'w').write('{"videos": ')),
    'meta_empty': ('meta', lambda p: open(p, 'w').write('')),
    'meta_list': ('meta', lambda p: write_json(p, [])),
    'meta_frames_string': ('meta', lambda p: write_json(p, {'videos': {
        'video0': dict(read_json(p)['videos']['video0'],
                       frames='00000')}})),
    'meta_frames_int': ('meta', lambda p: write_json(p, {'videos': {
        'video0': dict(read_json(p)['videos']['video0'], frames=4)}})),
    'meta_no_expressions': ('meta', lambda p: write_json(
        p, {'videos': {'video0': {'frames': ['00000']}}})),
    'mask_not_json': ('mask', lambda p: open(p, 'w').write('{"1": [')),
    'mask_list': ('mask', lambda p: write_json(p, [1])),
}


@pytest.mark.parametrize('case', sorted(MEVIS_CASES))
def test_eval_masks_mevis_mode_names_the_file(split_copy, tmp_path, case):
    meta, mask, pred = _mevis(split_copy, tmp_path)
    which, damage = MEVIS_CASES[case]
    target = meta if which == 'meta' else mask
    damage(target)
    with pytest.raises(ValueError, match=names(target)):
        eval_masks.evaluate_mevis(meta, mask, pred)


def _dict_file(tmp_path, masks):
    path = str(tmp_path / 'md.json')
    write_mask_dict(path, masks)
    return path


def test_mask_dict_png_bad_json_names_the_file(tmp_path):
    path = tmp_path / 'broken_mask_dict.json'
    path.write_text('{"3": [null, {"size": [4, 4]')
    with pytest.raises(ValueError, match=names(path)):
        mask_dict_png.mask_dict_to_png(str(path), str(tmp_path / 'out'))


@pytest.mark.parametrize('rle', [5, 'abc', {'size': [4, 4]},
                                 {'counts': 'x', 'size': 4}],
                         ids=['int', 'string', 'no_counts', 'size_not_list'])
def test_mask_dict_png_non_rle_entry_names_file_and_frame(tmp_path, rle):
    path = str(tmp_path / 'odd_mask_dict.json')
    write_json(path, {'3': [None, rle]})
    with pytest.raises(ValueError, match=r'odd_mask_dict.json: anno id 3, '
                       r'frame 1'):
        mask_dict_png.mask_dict_to_png(path, str(tmp_path / 'out'))


def test_size_mismatch_blames_the_odd_frame(tmp_path):
    # frame 0 is the odd one: the message must name frame 0, not 1 and 2
    path = _dict_file(tmp_path, {3: [box_mask((9, 12), 1, 1, 2, 2),
                                     box_mask((10, 12), 1, 1, 3, 4),
                                     box_mask((10, 12), 5, 5, 2, 2)]})
    with pytest.raises(ValueError, match=r'9x12.*anno id 3, frame 0 differs '
                       r'from the expected 10x12'):
        mask_dict_png.mask_dict_to_png(path, str(tmp_path / 'out'))


def _png_dir(tmp_path, files):
    import cv2
    root = tmp_path / 'pngs'
    for name, shape in files.items():
        path = root / '3' / name
        os.makedirs(path.parent, exist_ok=True)
        cv2.imwrite(str(path), np.full(shape, 255, np.uint8))
    return str(root)


@pytest.mark.parametrize('files,bad,what', [
    ({'00000.png': (4, 4), 'frame_a.png': (4, 4)}, 'frame_a.png',
     'frame indices'),
    ({'00000.png': (4, 4), '00001.png': (4, 4), '00002.png': (6, 6)},
     '00002.png', 'sizes'),
    ({'00000.png': (4, 4), '00009.png': (4, 4)}, '00009.png',
     'beyond --num-frames'),
], ids=['non_index_name', 'mixed_sizes', 'index_beyond_num_frames'])
def test_png_to_dict_names_the_bad_png(tmp_path, files, bad, what):
    root = _png_dir(tmp_path, files)
    with pytest.raises(ValueError, match=f'{bad}.*{what}|{what}.*{bad}'):
        mask_dict_png.png_to_mask_dict(root, str(tmp_path / 'o.json'), 3)


def test_unreadable_png_names_it(tmp_path):
    root = tmp_path / 'pngs' / '3'
    root.mkdir(parents=True)
    (root / '00000.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match='00000.png'):
        mask_dict_png.png_to_mask_dict(str(tmp_path / 'pngs'),
                                       str(tmp_path / 'o.json'), 2)
