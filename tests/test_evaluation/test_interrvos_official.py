"""The official InterRVOS protocol (eval_interrvos.py CLI + functional).

The reference below re-implements, independently and the plain per-frame
way, what the authors' ``eval_interrvos.py`` / ``eval_interrvos_target.py``
/ ``eval_mevis.py`` do: pycocotools ``decode`` summed into uint8
(T, h, w) stacks with (h, w) from the first predicted RLE, the literal
full-frame DAVIS per-frame J and F (``davis_reference``), mean over frames,
then plain means over expressions; a video without prediction is skipped.
"""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from pycocotools import mask as cocomask

from rvos_plugin.evaluation.functional import davis_reference as ref
from rvos_plugin.testing import load_tool_module

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_interrvos.py')
eval_interrvos = load_tool_module('analysis_tools', 'eval_interrvos')


def _rle(mask):
    rle = cocomask.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


def _blob(rng, shape, t):
    h, w = shape
    mask = np.zeros(shape, bool)
    cy, cx = rng.integers(2, h - 2), rng.integers(2, w - 2) + t % 3
    ry, rx = rng.integers(1, h // 3), rng.integers(1, w // 3)
    yy, xx = np.mgrid[:h, :w]
    mask[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = True
    return mask


def _noisy(rng, mask):
    out = mask.copy()
    flip = rng.random(mask.shape) < 0.05
    out[flip] = ~out[flip]
    return np.roll(out, int(rng.integers(-2, 3)), axis=1)


def make_split(root):
    """A hand-made InterRVOS val folder and an official results.json."""
    rng = np.random.default_rng(0)
    meta, masks, new_meta, new_masks, results = {}, {}, {}, {}, {}
    gt_tracks = {}
    anno = 0
    for v, (shape, frames) in enumerate([((24, 32), 5), ((30, 41), 4),
                                         ((17, 23), 6)]):
        video = f'vid{v}'
        names = [f'{i:05d}' for i in range(frames)]
        ids = []
        for _ in range(3):
            track = [_blob(rng, shape, t) if rng.random() > 0.2 else None
                     for t in range(frames)]
            gt_tracks[anno] = track
            masks[str(anno)] = [None if m is None else _rle(m) for m in track]
            ids.append(anno)
            anno += 1
        a, b, c = ids
        expressions = {
            '0': {'exp': 'single', 'anno_id': [a], 'caption_type': 'single'},
            '1': {'exp': 'multi', 'anno_id': [a, b], 'caption_type': 'multi'},
            '2': {'exp': 'a pushes c', 'anno_id': [a],
                  'caption_type': 'unidirectional',
                  'subject/object': {'obj_id': {'subject': [0],
                                                'object': [2]},
                                     'anno_id': {'subject': [a],
                                                 'object': [c]}}},
            '3': {'exp': 'b and c pulled by a', 'anno_id': [b, c],
                  'caption_type': 'unidirectional',
                  'subject/object': {'obj_id': {'subject': [1, 2],
                                                'object': [0]},
                                     'anno_id': {'subject': [b, c],
                                                 'object': [a]}}},
        }
        meta[video] = {'vid_id': v, 'frames': names,
                       'expressions': expressions}
        # the actor-target subset, with its own anno ids (new_mask_dict)
        remap = {i: 1000 + i for i in ids}
        new_expressions = {}
        for exp_id in ('2', '3'):
            e = json.loads(json.dumps(expressions[exp_id]))
            e['anno_id'] = [remap[i] for i in e['anno_id']]
            e['subject/object']['anno_id'] = {
                k: [remap[i] for i in val]
                for k, val in e['subject/object']['anno_id'].items()}
            new_expressions[exp_id] = e
        new_meta[video] = {'vid_id': v, 'frames': names,
                           'expressions': new_expressions}
        for i in ids:
            new_masks[str(remap[i])] = masks[str(i)]
        if v == 2:
            continue  # no prediction for this video: skipped officially
        results[video] = {}
        for exp_id, e in expressions.items():
            def union(anno_ids, t):
                m = np.zeros(shape, bool)
                for i in anno_ids:
                    if gt_tracks[i][t] is not None:
                        m |= gt_tracks[i][t]
                return m
            act = [_noisy(rng, union(e['anno_id'], t)) for t in range(frames)]
            tar_ids = e.get('subject/object', {}).get('anno_id', {}).get(
                'object', [])
            tar = [_noisy(rng, union(tar_ids, t)) if tar_ids else
                   np.zeros(shape, bool) for t in range(frames)]
            results[video][exp_id] = {
                'video_id': video, 'exp_id': exp_id, 'frames': names,
                'exp': e['exp'], 'text_prediction': 'Sure, [SEG].',
                'prediction_masks_act': [_rle(m) for m in act],
                'prediction_masks_tar': [_rle(m) for m in tar]}
    files = {'meta_expressions.json': {'videos': meta},
             'mask_dict.json': masks,
             'new_meta_expressions.json': {'videos': new_meta},
             'new_mask_dict.json': new_masks,
             'results.json': results}
    for name, content in files.items():
        with open(osp.join(root, name), 'w') as f:
            json.dump(content, f)
    return files


def reference_scores(meta, mask_dict, preds, key, target=False):
    """The authors' per-expression loop, literally and per frame."""
    out = {}
    for vid_name, vid in meta['videos'].items():
        for exp in vid['expressions']:
            if vid_name not in preds:
                continue
            pred = preds[vid_name][exp]
            h, w = pred[key][0]['size']
            vid_len = len(vid['frames'])
            gt_masks = np.zeros((vid_len, h, w), dtype=np.uint8)
            pred_masks = np.zeros((vid_len, h, w), dtype=np.uint8)
            expression = vid['expressions'][exp]
            anno_ids = (expression['subject/object']['anno_id']['object']
                        if target else expression['anno_id'])
            assert len(anno_ids) >= 1
            for frame_idx in range(vid_len):
                for anno_id in anno_ids:
                    mask_rle = mask_dict[str(anno_id)][frame_idx]
                    if mask_rle:
                        gt_masks[frame_idx] += cocomask.decode(mask_rle)
                pred_masks[frame_idx] += cocomask.decode(
                    pred[key][frame_idx])
            j = np.mean([ref.reference_iou(g, p)
                         for g, p in zip(gt_masks, pred_masks)])
            f = np.mean([ref.reference_boundary(g, p)
                         for g, p in zip(gt_masks, pred_masks)])
            out[f'{vid_name}_{exp}'] = [j, f]
    return out


def _final(scores):
    j = np.mean([v[0] for v in scores.values()])
    f = np.mean([v[1] for v in scores.values()])
    return j, f, (j + f) / 2


@pytest.fixture
def split(tmp_path):
    return str(tmp_path), make_split(str(tmp_path))


def test_groups_equal_the_authors_logic(split):
    root, files = split
    preds = files['results.json']
    overall = reference_scores(files['meta_expressions.json'],
                               files['mask_dict.json'], preds,
                               'prediction_masks_act')
    actor_target = reference_scores(files['new_meta_expressions.json'],
                                    files['new_mask_dict.json'], preds,
                                    'prediction_masks_act')
    target = reference_scores(files['new_meta_expressions.json'],
                              files['new_mask_dict.json'], preds,
                              'prediction_masks_tar', target=True)
    referring = {k: v for k, v in overall.items() if k not in actor_target}
    assert len(overall) == 8 and len(actor_target) == len(target) == 4
    result = eval_interrvos.main([osp.join(root, 'results.json'),
                                  '--data-dir', root, '--nproc', '1',
                                  '--no-progress'])
    for group, expected in (('Overall', overall),
                            ('Actor-Target', actor_target),
                            ('Target', target), ('Referring', referring)):
        j, f, jf = _final(expected)
        assert result[group]['J'] == pytest.approx(j, abs=1e-9)
        assert result[group]['F'] == pytest.approx(f, abs=1e-9)
        assert result[group]['J&F'] == pytest.approx(jf, abs=1e-9)
        assert result[group]['num_expressions'] == len(expected)
        assert result['final'][group]['J&F'] == round(100 * jf, 2)
        for name, (ej, ef) in expected.items():
            got = result['per_expression'][group][name]
            assert got == pytest.approx([ej, ef], abs=1e-12)
    assert result['missing']['Overall'] == [f'vid2_{e}' for e in '0123']
    assert 0 < result['Target']['J'] < 1  # a real, non-trivial case
    # every N gives the identical output
    parallel = eval_interrvos.evaluate(
        [osp.join(root, 'results.json')], osp.join(root,
                                                   'meta_expressions.json'),
        osp.join(root, 'mask_dict.json'),
        osp.join(root, 'new_meta_expressions.json'),
        osp.join(root, 'new_mask_dict.json'), nproc=3)
    for key in ('timing',):
        parallel.pop(key), result.pop(key)
    assert json.dumps(parallel, sort_keys=True) == json.dumps(
        result, sort_keys=True)


def test_missing_policies_and_overall_only(split, capsys):
    root, files = split
    args = [osp.join(root, 'results.json'), '--meta',
            osp.join(root, 'meta_expressions.json'), '--mask-dict',
            osp.join(root, 'mask_dict.json'), '--nproc', '1',
            '--no-progress']
    skipped = eval_interrvos.main(args)
    err = capsys.readouterr().err
    assert 'only Overall is computed' in err
    assert 'Overall: 4 expression(s) have no prediction' in err
    assert set(skipped) & set(eval_interrvos.protocol.GROUPS) == {'Overall'}
    zero = eval_interrvos.main(args + ['--missing', 'zero'])
    assert zero['Overall']['num_expressions'] == 12
    assert zero['Overall']['J'] == pytest.approx(
        skipped['Overall']['J'] * 8 / 12)
    with pytest.raises(KeyError, match='vid2.*--missing'):
        eval_interrvos.main(args + ['--missing', 'error'])


def test_bad_predictions_name_the_item(split):
    root, files = split
    preds = files['results.json']
    preds['vid0']['1']['prediction_masks_act'].pop()
    path = osp.join(root, 'short.json')
    with open(path, 'w') as f:
        json.dump(preds, f)
    with pytest.raises(ValueError, match='vid0/1 "prediction_masks_act" has '
                       '4 masks.*5 frames'):
        eval_interrvos.main([path, '--data-dir', root, '--nproc', '1'])
    preds['vid0']['1']['prediction_masks_act'].append(
        _rle(np.zeros((25, 32), bool)))
    with open(path, 'w') as f:
        json.dump(preds, f)
    with pytest.raises(ValueError, match=r'25x32 \(HxW\) in results.json '
                       r'vid0/1 "prediction_masks_act" frame 4'):
        eval_interrvos.main([path, '--data-dir', root, '--nproc', '1'])
    with pytest.raises(ValueError, match='also in an earlier results file'):
        eval_interrvos.main([osp.join(root, 'results.json')] * 2 +
                            ['--data-dir', root])


def test_cli_imports_neither_torch_nor_mmengine(split, tmp_path):
    root, _ = split
    out = str(tmp_path / 'eval.json')
    code = ('import runpy, sys\n'
            f'sys.argv = [{TOOL!r}, {osp.join(root, "results.json")!r}, '
            f'"--data-dir", {root!r}, "--out", {out!r}, "--nproc", "2"]\n'
            f'runpy.run_path({TOOL!r}, run_name="__main__")\n'
            'print("HEAVY", sorted(m for m in ("torch", "mmengine", "mmcv", '
            '"mmdet") if m in sys.modules))\n')
    run = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True, cwd=str(tmp_path))
    assert 'HEAVY []' in run.stdout
    with open(out) as f:
        assert set(json.load(f)['final']) == {
            'Referring', 'Actor-Target', 'Overall', 'Target'}


def test_write_subset_reproduces_the_actor_target_files(split, tmp_path):
    root, files = split
    meta = files['meta_expressions.json']
    for video in meta['videos'].values():  # the subset rule's input
        for exp_id, expression in video['expressions'].items():
            expression['caption_type'] = (
                'unidirectional' if exp_id in ('2', '3') else 'single')
    with open(osp.join(root, 'meta_expressions.json'), 'w') as f:
        json.dump(meta, f)
    out = str(tmp_path / 'subset')
    args = [osp.join(root, 'results.json'), '--meta',
            osp.join(root, 'meta_expressions.json'), '--mask-dict',
            osp.join(root, 'mask_dict.json'), '--nproc', '1',
            '--no-progress']
    made = eval_interrvos.main(args + ['--write-subset', out])
    given = eval_interrvos.main(args + [
        '--new-meta', osp.join(root, 'new_meta_expressions.json'),
        '--new-mask-dict', osp.join(root, 'new_mask_dict.json')])
    for group in ('Referring', 'Actor-Target', 'Overall', 'Target'):
        assert made[group] == given[group]  # remapped anno ids, same masks
    with open(osp.join(out, 'new_meta_expressions.json')) as f:
        subset = json.load(f)['videos']
    assert {v: sorted(i['expressions']) for v, i in subset.items()} == {
        f'vid{v}': ['2', '3'] for v in range(3)}
