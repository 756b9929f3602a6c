"""End-to-end tests of tools/analysis_tools/eval_masks.py."""
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
from rvos_plugin.testing import load_tool_module as tool_module
from pycocotools import mask as mask_utils

from rvos_plugin.evaluation.functional import davis_reference as ref
from rvos_plugin.evaluation.functional.mask_io import write_mask_png

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_masks.py')
S = 8  # 8x8 frames, radius 1


eval_masks = tool_module('analysis_tools', 'eval_masks')  # picklable


def _mask(*pixels, full=False, block=False):
    mask = np.full((S, S), full, dtype=bool)
    for y, x in pixels:
        mask[y, x] = True
    if block:
        mask[2:4, 2:4] = True
    return mask


# (gt, pred) per frame; hand-computed (J, F) in tests/test_evaluation
VIDEO_A = [(_mask((3, 3)), _mask((3, 5))),  # J 0, F 1/2
           (_mask(block=True), _mask(block=True)),  # J 1, F 1
           (_mask(), _mask((5, 5)))]  # J 0, F 0
VIDEO_B = [(_mask(), _mask()),  # J 1, F 1
           (_mask((3, 3)), _mask((4, 4))),  # J 0, F 3/4
           (_mask(full=True), None)]  # prediction missing: J 0, F 1
J_A, F_A, J_B, F_B = 1 / 3, 0.5, 1 / 3, 2.75 / 3


def _write_video(root, video, frames, which):
    for index, pair in enumerate(frames):
        mask = pair[which]
        if mask is not None:
            write_mask_png(osp.join(root, video, f'{index:05d}.png'), mask)


@pytest.fixture
def folders(tmp_path):
    gt_dir, pred_dir = str(tmp_path / 'gt'), str(tmp_path / 'pred')
    _write_video(gt_dir, 'a', VIDEO_A, 0)
    _write_video(pred_dir, 'a', VIDEO_A, 1)
    _write_video(gt_dir, 'b', VIDEO_B, 0)
    _write_video(pred_dir, 'b', VIDEO_B, 1)
    _write_video(gt_dir, 'c', VIDEO_A, 0)  # no prediction folder: 0
    return gt_dir, pred_dir


def test_folder_mode_means_frames_then_videos(folders, capsys):
    result = eval_masks.main(list(folders))
    messages = capsys.readouterr().err
    assert '1 GT frame(s) have no prediction PNG' in messages
    assert '1 video(s) have no prediction folder' in messages
    assert result['per_video']['a']['J'] == pytest.approx(J_A)
    assert result['per_video']['a']['F'] == pytest.approx(F_A)
    assert result['per_video']['b']['F'] == pytest.approx(F_B)
    assert result['per_video']['c'] == {'J': 0.0, 'F': 0.0, 'J&F': 0.0}
    assert result['J'] == pytest.approx((J_A + J_B) / 3)
    assert result['F'] == pytest.approx((F_A + F_B) / 3)
    assert result['J&F'] == pytest.approx((result['J'] + result['F']) / 2)
    skipped = eval_masks.evaluate_folders(*folders, skip_first_last=True)
    assert skipped['per_video']['a']['J'] == 1.0  # only the middle frame
    assert skipped['per_video']['b']['F'] == 0.75


def test_cli_end_to_end(folders, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'res' / 'jf.json')
    monkeypatch.setattr(
        sys, 'argv', [TOOL, *folders, '--out', out, '--nproc', '2'])
    runpy.run_path(TOOL, run_name='__main__')  # the shell entry point
    captured = capsys.readouterr()
    assert 'WARNING: 1 GT frame(s) have no prediction PNG' in captured.err
    assert 'WARNING: 1 video(s) have no prediction folder' in captured.err
    assert 'J&F 0.3472' in captured.out  # ((J_A+J_B)/3 + (F_A+F_B)/3) / 2
    with open(out) as f:
        result = json.load(f)
    assert set(result) == {'J', 'F', 'J&F', 'per_video'}
    assert result['J'] == pytest.approx((J_A + J_B) / 3)
    assert result['F'] == pytest.approx((F_A + F_B) / 3)
    assert sorted(result['per_video']) == ['a', 'b', 'c']


def test_size_mismatch_and_unreadable_png_name_the_file(folders):
    gt_dir, pred_dir = folders
    bad = osp.join(pred_dir, 'a', '00001.png')
    write_mask_png(bad, np.ones((S, S + 1), dtype=np.uint8))
    with pytest.raises(ValueError, match='size mismatch.*00001.png'):
        eval_masks.evaluate_folders(gt_dir, pred_dir)
    with open(bad, 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(ValueError, match='cannot read mask PNG.*00001.png'):
        eval_masks.evaluate_folders(gt_dir, pred_dir)
    with pytest.raises(SystemExit):
        eval_masks.parse_args([gt_dir])  # folder mode needs two folders


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


def test_mevis_mode_union_of_anno_ids(tmp_path, capsys):
    block, pixel = _mask(block=True), _mask((5, 5))
    meta = {'videos': {'v': {
        'frames': ['00000', '00001', '00002'],
        'expressions': {
            '0': {'exp': 'block', 'anno_id': [1], 'caption_type': 'single'},
            '1': {'exp': 'both', 'anno_id': [1, 2], 'caption_type': 'multi'},
            '2': {'exp': 'gone', 'anno_id': [2], 'caption_type': 'multi'},
        }}}}
    mask_dict = {'1': [_rle(block)] * 3, '2': [None, _rle(pixel), None]}
    meta_file, dict_file = tmp_path / 'meta.json', tmp_path / 'masks.json'
    meta_file.write_text(json.dumps(meta))
    dict_file.write_text(json.dumps(mask_dict))
    pred_dir = str(tmp_path / 'pred')
    for exp in ('0', '1'):  # expression 2 has no prediction folder: 0
        for frame in meta['videos']['v']['frames']:
            write_mask_png(osp.join(pred_dir, 'v', exp, f'{frame}.png'),
                           block)
    result = eval_masks.main([pred_dir, '--mevis-meta', str(meta_file),
                              '--mask-dict', str(dict_file)])
    assert '1 expression(s) have no prediction folder' in \
        capsys.readouterr().err
    # expression 1, frame 1: GT = block | pixel, prediction = block
    j1 = ref.reference_iou(block | pixel, block)
    f1 = ref.reference_boundary(block | pixel, block)
    assert j1 == 0.8
    per_exp = result['per_expression']
    assert per_exp['v/0'] == {'J': 1.0, 'F': 1.0, 'J&F': 1.0}
    assert per_exp['v/1']['J'] == pytest.approx((2 + j1) / 3)
    assert per_exp['v/1']['F'] == pytest.approx((2 + f1) / 3)
    assert per_exp['v/2']['J'] == 0.0
    assert result['J'] == pytest.approx((1 + (2 + j1) / 3) / 3)
    assert result['per_caption_type']['single']['J&F'] == 1.0
    assert result['per_caption_type']['multi']['num_expressions'] == 2
    parallel = eval_masks.evaluate_mevis(str(meta_file), str(dict_file),
                                         pred_dir, nproc=2)
    assert parallel == result
    mask_dict['2'] = [None]  # wrong length -> error naming the file
    dict_file.write_text(json.dumps(mask_dict))
    with pytest.raises(ValueError, match='masks.json.*3 frames'):
        eval_masks.evaluate_mevis(str(meta_file), str(dict_file), pred_dir)
