"""Issue 23: the evaluation CLIs are light, exact and N-independent."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from rvos_plugin.evaluation.functional import davis_reference as ref
from rvos_plugin.evaluation.functional.mask_io import write_mask_png
from rvos_plugin.evaluation.functional.rle import encode_rle
from rvos_plugin.testing import load_tool_module

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EVAL_MASKS = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_masks.py')
eval_masks = load_tool_module('analysis_tools', 'eval_masks')
HEAVY = ('torch', 'mmengine', 'mmcv', 'mmdet', 'transformers')


def _masks(rng, frames, shape):
    out = []
    for t in range(frames):
        m = np.zeros(shape, bool)
        y, x = rng.integers(0, shape[0] - 4), rng.integers(0, shape[1] - 4)
        m[y:y + rng.integers(2, shape[0] // 2),
          x:x + rng.integers(2, shape[1] // 2)] = True
        if t % 4 == 3:
            m[:] = False  # absent object
        out.append(m)
    return out


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    """5 videos of different sizes and lengths, with a missing frame."""
    root = tmp_path_factory.mktemp('jf')
    rng = np.random.default_rng(1)
    expected = {}
    for v, (shape, frames) in enumerate([((24, 40), 6), ((33, 21), 3),
                                         ((40, 64), 8), ((16, 16), 5),
                                         ((50, 30), 4)]):
        video = f'v{v}'
        gts, preds = _masks(rng, frames, shape), _masks(rng, frames, shape)
        preds[1] = np.roll(gts[1], 2, axis=0)
        js, fs = [], []
        for t, (gt, pred) in enumerate(zip(gts, preds)):
            write_mask_png(osp.join(root, 'gt', video, f'{t:05d}.png'), gt)
            if (v, t) == (2, 5):
                pred = np.zeros_like(gt)  # missing PNG = empty prediction
            else:
                write_mask_png(osp.join(root, 'pred', video, f'{t:05d}.png'),
                               pred)
            js.append(ref.reference_iou(gt, pred))
            fs.append(ref.reference_boundary(gt, pred))
        expected[video] = (np.mean(js), np.mean(fs))
    return str(root / 'gt'), str(root / 'pred'), expected


def test_folder_mode_exact_and_identical_for_every_nproc(folders):
    gt_dir, pred_dir, expected = folders
    outputs = [json.dumps(eval_masks.evaluate_folders(
        gt_dir, pred_dir, nproc=n), sort_keys=True) for n in (1, 2, 3)]
    assert outputs[0] == outputs[1] == outputs[2]
    result = json.loads(outputs[0])
    for video, (j, f) in expected.items():
        assert result['per_video'][video]['J'] == pytest.approx(j, abs=1e-12)
        assert result['per_video'][video]['F'] == pytest.approx(f, abs=1e-12)
    assert result['J'] == pytest.approx(
        np.mean([v[0] for v in expected.values()]), abs=1e-12)


@pytest.fixture(scope='module')
def mevis(tmp_path_factory):
    root = tmp_path_factory.mktemp('mevis')
    rng = np.random.default_rng(2)
    videos, mask_dict, anno = {}, {}, 0
    for v in range(4):
        shape, frames = ((20 + 3 * v, 30), 4 + v)
        names = [f'{i:05d}' for i in range(frames)]
        ids = []
        for _ in range(2):
            track = _masks(rng, frames, shape)
            mask_dict[str(anno)] = [None if not m.any() else encode_rle(m)
                                    for m in track]
            ids.append(anno)
            anno += 1
        videos[f'v{v}'] = {'frames': names, 'expressions': {
            '0': {'exp': 'a', 'anno_id': [ids[0]]},
            '1': {'exp': 'both', 'anno_id': ids}}}
        for exp in ('0', '1'):
            for name, m in zip(names, _masks(rng, frames, shape)):
                write_mask_png(osp.join(root, 'pred', f'v{v}', exp,
                                        f'{name}.png'), m)
    meta = osp.join(root, 'meta.json')
    masks = osp.join(root, 'mask_dict.json')
    with open(meta, 'w') as f:
        json.dump({'videos': videos}, f)
    with open(masks, 'w') as f:
        json.dump(mask_dict, f)
    return meta, masks, str(root / 'pred')


def test_mevis_mode_identical_for_every_nproc(mevis):
    meta, masks, pred = mevis
    outputs = [json.dumps(eval_masks.evaluate_mevis(meta, masks, pred,
                                                    nproc=n), sort_keys=True)
               for n in (1, 2, 3)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(json.loads(outputs[0])['per_expression']) == 8


def test_mevis_mode_short_rle_is_an_error(mevis, tmp_path):
    meta, masks, pred = mevis
    with open(masks) as f:
        mask_dict = json.load(f)
    rle = next(r for r in mask_dict['1'] if r is not None)
    rle['counts'] = rle['counts'][:-1]  # truncated: runs short of H*W
    bad = str(tmp_path / 'bad.json')
    with open(bad, 'w') as f:
        json.dump(mask_dict, f)
    with pytest.raises(ValueError, match=r'bad.json \(anno_id 1, video v0'):
        eval_masks.evaluate_mevis(meta, bad, pred, nproc=1)


def _run_and_list_heavy(argv, cwd):
    code = ('import runpy, sys\n'
            f'sys.argv = {[EVAL_MASKS] + list(argv)!r}\n'
            f'runpy.run_path({EVAL_MASKS!r}, run_name="__main__")\n'
            f'print("HEAVY", sorted(m for m in {HEAVY!r} '
            'if m in sys.modules))\n')
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=True, cwd=cwd).stdout


def test_eval_masks_imports_neither_torch_nor_mmengine(folders, mevis,
                                                      tmp_path):
    gt_dir, pred_dir, _ = folders
    out = str(tmp_path / 'jf.json')
    stdout = _run_and_list_heavy([gt_dir, pred_dir, '--out', out,
                                  '--nproc', '2'], str(tmp_path))
    assert 'HEAVY []' in stdout
    with open(out) as f:
        assert len(json.load(f)['per_video']) == 5
    meta, masks, pred = mevis
    stdout = _run_and_list_heavy([pred, '--mevis-meta', meta, '--mask-dict',
                                  masks, '--nproc', '1'], str(tmp_path))
    assert 'HEAVY []' in stdout


def test_functional_package_importable_alone(tmp_path):
    code = ('import sys\n'
            f'sys.path.insert(0, {osp.join(ROOT, "tools", "analysis_tools")!r})\n'
            'from light_eval_imports import import_functional\n'
            'functional = import_functional()\n'
            'from rvos_plugin.evaluation.functional import (davis, rle, '
            'mask_io, interrvos_official, parallel, referring_iou)\n'
            'import numpy as np\n'
            'print(davis.jf_per_frame(np.ones((4, 4)), np.ones((4, 4))))\n'
            f'print("HEAVY", sorted(m for m in {HEAVY!r} '
            'if m in sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True, cwd=str(tmp_path)).stdout
    assert 'HEAVY []' in out
