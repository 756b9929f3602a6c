"""ReVIOsAActorTargetMetric on a hand-computed case."""
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData

from rvos_plugin.evaluation.metrics.reviosa_actor_target_metric import \
    ReVIOsAActorTargetMetric

H = W = 32


def _box(y0, y1, x0, x1):
    m = torch.zeros(H, W, dtype=torch.bool)
    m[y0:y1, x0:x1] = True
    return m


EMPTY = torch.zeros(H, W, dtype=torch.bool)
BOX = _box(8, 24, 8, 24)


def _sample(exp_id, caption_type, gts, preds, has_target=False,
            gt_targets=None, pred_targets=None, kind=None):
    track = TrackDataSample()
    frames = []
    for t in range(len(gts)):
        f = DetDataSample()
        f.gt_mask = PixelData(data=gts[t][None])
        f.pred_mask = PixelData(data=preds[t][None])
        if gt_targets is not None:
            f.gt_target_mask = PixelData(data=gt_targets[t][None])
        if pred_targets is not None:
            f.pred_target_mask = PixelData(data=pred_targets[t][None])
        frames.append(f)
    track.video_data_samples = frames
    track.set_metainfo(dict(video_id='v', exp_id=exp_id,
                            caption_type=caption_type, has_target=has_target,
                            expression_kind=kind))
    return track.to_dict()  # what mmengine's Evaluator passes


def _run(samples, **kwargs):
    metric = ReVIOsAActorTargetMetric(**kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_hand_computed_groups():
    samples = [
        # referring, perfect: (J, F) = (1, 1)
        _sample('0', 'single', [BOX], [BOX], kind='appearance'),
        # referring, frame 0 perfect, frame 1 missed: (0.5, 0.5)
        _sample('1', 'multi', [BOX, BOX], [BOX, EMPTY], kind='multi'),
        # actor-target: actor perfect (1, 1), target missed (0, 0)
        _sample('2', 'unidirectional', [BOX], [BOX], has_target=True,
                gt_targets=[BOX], pred_targets=[EMPTY],
                kind='unidirectional_active'),
    ]
    m = _run(samples, protocol='pooled')
    assert m['Referring/J'] == pytest.approx(0.75)
    assert m['Referring/F'] == pytest.approx(0.75)
    assert m['Referring/J&F'] == pytest.approx(0.75)
    assert m['Actor-Target/J&F'] == pytest.approx(0.5)
    assert m['Actor-Target/actor_J&F'] == pytest.approx(1.0)
    assert m['Actor-Target/target_J&F'] == pytest.approx(0.0)
    # Overall: item mean over (1, .5, 1, 0)
    assert m['Overall/J'] == pytest.approx(0.625)
    assert m['Overall/J&F'] == pytest.approx(0.625)
    assert m['caption_type/single/J&F'] == pytest.approx(1.0)
    assert m['caption_type/multi/J&F'] == pytest.approx(0.5)
    assert m['caption_type/unidirectional/J&F'] == pytest.approx(1.0)
    assert m['expression_kind/multi/J&F'] == pytest.approx(0.5)
    assert m['num_expressions'] == 3 and m['num_actor_target'] == 1
    # the official protocol (default): actor items only in every group
    official = _run(samples)
    assert official['Referring/J&F'] == pytest.approx(0.75)
    assert official['Actor-Target/J&F'] == pytest.approx(1.0)  # actor only
    assert official['Target/J&F'] == pytest.approx(0.0)
    assert official['Overall/J&F'] == pytest.approx((1 + 0.5 + 1) / 3)
    assert official['Actor-Target/target_J&F'] == pytest.approx(0.0)
    with pytest.raises(ValueError, match='protocol'):
        ReVIOsAActorTargetMetric(protocol='mixed')


def test_partial_overlap_j_and_missing_target_prediction():
    half = _box(8, 24, 8, 16)  # left half of BOX: J = 128 / 256
    m = _run([
        _sample('0', 'unidirectional', [BOX], [half], has_target=True,
                gt_targets=[BOX], pred_targets=None)
    ])
    assert m['Actor-Target/actor_J'] == pytest.approx(0.5)
    # no pred_target_mask written -> scored as an empty target
    assert m['Actor-Target/target_J'] == 0.0
    assert 'Referring/J' not in m  # empty group omitted


def test_errors_name_the_sample():
    bad = _sample('7', 'single', [BOX], [BOX])
    del bad['video_data_samples'][0]['pred_mask']
    with pytest.raises(KeyError, match='v/7'):
        _run([bad])
    bad = _sample('8', 'unidirectional', [BOX], [BOX], has_target=True)
    with pytest.raises(KeyError, match='gt_target_mask'):
        _run([bad])


def test_results_file_is_the_official_format_and_scores_the_same(tmp_path):
    """results.json written in-loop, scored by eval_interrvos.py."""
    import json

    import numpy as np

    from rvos_plugin.evaluation.functional.rle import encode_rle
    from rvos_plugin.testing import load_tool_module
    half = _box(8, 24, 8, 16)
    samples = [
        _sample('0', 'single', [BOX, BOX], [BOX, half]),
        _sample('1', 'unidirectional', [BOX, EMPTY], [half, EMPTY],
                has_target=True, gt_targets=[half, BOX],
                pred_targets=[BOX, BOX]),
        _sample('2', 'unidirectional', [half, BOX], [half, BOX],
                has_target=True, gt_targets=[BOX, BOX]),  # no target pred
    ]
    for sample in samples:
        sample['frame_names'] = ['00000', '00001']
        sample['num_video_frames'] = 2
    out = str(tmp_path / 'work' / 'results.json')
    metrics = _run(samples, results_file=out)
    with open(out) as f:
        results = json.load(f)
    assert sorted(results['v']) == ['0', '1', '2']
    item = results['v']['1']
    assert item['frames'] == ['00000', '00001']
    assert item['prediction_masks_act'] == [encode_rle(half.numpy()),
                                            encode_rle(EMPTY.numpy())]
    assert results['v']['2']['prediction_masks_tar'] == [
        encode_rle(np.zeros((H, W), bool))] * 2  # zeros, as released
    # the split files these samples came from
    rles = {'1': [encode_rle(m.numpy()) for m in (BOX, BOX)],
            '2': [encode_rle(BOX.numpy()), None],
            '3': [encode_rle(m.numpy()) for m in (half, BOX)],
            '4': [encode_rle(half.numpy()), encode_rle(BOX.numpy())],
            '5': [encode_rle(m.numpy()) for m in (BOX, BOX)]}
    target = {'1': ['4'], '2': ['5']}
    expressions = {
        '0': {'exp': 'a', 'anno_id': ['1']},
        '1': {'exp': 'b', 'anno_id': ['2'], 'subject/object': {
            'anno_id': {'subject': ['2'], 'object': target['1']}}},
        '2': {'exp': 'c', 'anno_id': ['3'], 'subject/object': {
            'anno_id': {'subject': ['3'], 'object': target['2']}}}}
    meta = {'videos': {'v': {'frames': ['00000', '00001'],
                             'expressions': expressions}}}
    new_meta = {'videos': {'v': {'frames': ['00000', '00001'],
                                 'expressions': {k: expressions[k]
                                                 for k in ('1', '2')}}}}
    for name, content in (('meta_expressions.json', meta),
                          ('mask_dict.json', rles),
                          ('new_meta_expressions.json', new_meta),
                          ('new_mask_dict.json', rles)):
        with open(tmp_path / name, 'w') as f:
            json.dump(content, f)
    tool = load_tool_module('analysis_tools', 'eval_interrvos')
    official = tool.main([out, '--data-dir', str(tmp_path), '--nproc', '1',
                          '--no-progress'])
    for group in ('Referring', 'Actor-Target', 'Overall', 'Target'):
        for key in ('J', 'F', 'J&F'):
            assert official[group][key] == pytest.approx(
                metrics[f'{group}/{key}'], abs=1e-12), (group, key)
    fmt = ReVIOsAActorTargetMetric(results_file=str(tmp_path / 'f.json'),
                                   format_only=True)
    for sample in samples:
        for frame in sample['video_data_samples']:
            frame.pop('gt_mask')
    fmt.process({}, samples)
    assert fmt.compute_metrics(fmt.results) == {}
    with open(tmp_path / 'f.json') as f:
        assert json.load(f) == results
