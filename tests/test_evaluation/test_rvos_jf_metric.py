"""Tests of RVOSJFMetric: aggregation, breakdowns, errors, submission files."""
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

import rvos_plugin  # noqa: F401  (registers the metric)
from rvos_plugin.evaluation.functional.mask_io import (read_mask_png,
                                                       write_mask_png)
from rvos_plugin.evaluation.metrics.rvos_jf_metric import RVOSJFMetric
from rvos_plugin.registry import METRICS

S = 8  # 8x8 frames: radius ceil(0.008 * sqrt(128)) = 1


def _mask(*pixels, full=False, block=False):
    mask = np.full((S, S), full, dtype=bool)
    for y, x in pixels:
        mask[y, x] = True
    if block:
        mask[2:4, 2:4] = True
    return mask


# Expression A (caption 'single'): per frame (gt, pred) -> (J, F)
FRAMES_A = [
    (_mask((3, 3)), _mask((3, 5))),  # J 0, F 1/2 (hand-computed)
    (_mask(block=True), _mask(block=True)),  # J 1, F 1
    (_mask(), _mask((5, 5))),  # J 0, F 0 (only one has a boundary)
]
# Expression B (caption 'multi')
FRAMES_B = [
    (_mask(), _mask()),  # J 1, F 1
    (_mask((3, 3)), _mask((4, 4))),  # J 0, F 3/4 (hand-computed)
    (_mask(full=True), _mask()),  # J 0, F 1 (no boundary on either side)
]
J_A, F_A = 1 / 3, 1.5 / 3
J_B, F_B = 1 / 3, 2.75 / 3


def _track(video_id, exp_id, frames, frame_ids, caption_type,
           pred_key='pred_mask'):
    track = TrackDataSample(
        metainfo=dict(video_id=video_id, exp_id=exp_id,
                      caption_type=caption_type, expression_kind=None,
                      frame_names=[f'{i:05d}' for i in frame_ids]))
    samples = []
    for (gt, pred), frame_id in zip(frames, frame_ids):
        det = DetDataSample(metainfo=dict(frame_id=frame_id,
                                          frame_name=f'{frame_id:05d}'))
        det.gt_mask = PixelData(data=torch.from_numpy(gt)[None].to(
            torch.uint8))
        det.set_field(PixelData(data=torch.from_numpy(pred)[None]),
                      pred_key)
        samples.append(det)
    track.video_data_samples = samples
    return track


def _samples():
    return [
        _track('v1', '0', FRAMES_A, [0, 1, 2], 'single'),
        # expression B arrives in two clips, which the metric merges
        _track('v1', '1', FRAMES_B[:2], [0, 1], 'multi'),
        _track('v1', '1', FRAMES_B[2:], [2], 'multi'),
    ]


def _evaluate(metric, samples):
    evaluator = Evaluator(metric)
    evaluator.process(data_samples=samples)  # calls to_dict() like Runner
    return evaluator.evaluate(len(samples))


def test_frames_then_expressions_hand_computed():
    metrics = _evaluate(METRICS.build(dict(type='RVOSJFMetric')), _samples())
    j = (J_A + J_B) / 2
    f = (F_A + F_B) / 2
    assert metrics['J'] == pytest.approx(j)
    assert metrics['F'] == pytest.approx(f)
    assert metrics['J&F'] == pytest.approx((j + f) / 2)  # 0.5208333
    assert metrics['caption_type/single/J'] == pytest.approx(J_A)
    assert metrics['caption_type/single/F'] == pytest.approx(F_A)
    assert metrics['caption_type/multi/F'] == pytest.approx(F_B)
    assert metrics['caption_type/multi/J&F'] == pytest.approx(
        (J_B + F_B) / 2)
    assert not any(k.startswith('expression_kind') for k in metrics)
    assert all(0 <= v <= 1 for v in metrics.values())


def test_skip_first_last_and_prefix():
    metric = RVOSJFMetric(skip_first_last=True, prefix='mevis')
    metrics = _evaluate(metric, _samples())
    # only the middle frames remain: A -> (J 1, F 1), B -> (J 0, F 3/4)
    assert metrics['mevis/J'] == pytest.approx(0.5)
    assert metrics['mevis/F'] == pytest.approx(0.875)
    assert metrics['mevis/J&F'] == pytest.approx(0.6875)


def test_data_elements_and_small_records():
    metric = RVOSJFMetric()
    metric.process({}, _samples())  # data elements, not dicts
    assert len(metric.results) == 3
    record = metric.results[0]
    assert record['J'] == [0.0, 1.0, 0.0]
    assert record['F'] == [0.5, 1.0, 0.0]
    assert record['frame_ids'] == [0, 1, 2]
    assert all(isinstance(v, (str, list, type(None)))
               for v in record.values())  # no tensors in DDP collection
    assert metric.compute_metrics(metric.results)['J'] == pytest.approx(
        (J_A + J_B) / 2)


def test_target_masks_via_keys():
    track = _track('v2', '0', FRAMES_A, [0, 1, 2], 'unidirectional',
                   pred_key='pred_target_mask')
    for det in track.video_data_samples:
        det.gt_target_mask = det.gt_mask
    metric = RVOSJFMetric(pred_key='pred_target_mask',
                          gt_key='gt_target_mask')
    metrics = _evaluate(metric, [track])
    assert metrics['J'] == pytest.approx(J_A)
    assert metrics['F'] == pytest.approx(F_A)


def test_errors_name_the_video_and_expression():
    bad = _track('vid_x', '7', FRAMES_A, [0, 1, 2], 'single')
    bad.video_data_samples[1].pred_mask = PixelData(
        data=torch.zeros(1, S, S + 1, dtype=torch.bool))
    with pytest.raises(ValueError, match="vid_x.*'7'.*differ in size"):
        RVOSJFMetric().process({}, [bad.to_dict()])
    shape = _track('vid_y', '3', FRAMES_A, [0, 1, 2], 'single')
    for det in shape.video_data_samples:
        det.pred_mask = PixelData(data=torch.zeros(1, S, S + 2))
    with pytest.raises(ValueError, match=r"vid_y.*'3'.*ori_shape"):
        RVOSJFMetric().process({}, [shape.to_dict()])
    missing = _track('vid_z', '1', FRAMES_A, [0, 1, 2], 'single')
    for det in missing.video_data_samples:
        del det.gt_mask
    with pytest.raises(KeyError, match='vid_z.*LoadRVOSMasks'):
        RVOSJFMetric().process({}, [missing.to_dict()])
    dup = _samples() + [_track('v1', '1', FRAMES_B[:1], [0], 'multi')]
    with pytest.raises(ValueError, match='frame 0 was evaluated twice'):
        _evaluate(RVOSJFMetric(), dup)
    with pytest.raises(ValueError, match='at least 3'):
        _evaluate(RVOSJFMetric(skip_first_last=True),
                  [_track('v1', '0', FRAMES_A[:2], [0, 1], 'single')])
    with pytest.raises(ValueError, match='outfile_prefix'):
        RVOSJFMetric(format_only=True)


def test_format_only_writes_mevis_layout_and_zip(tmp_path):
    out = str(tmp_path / 'submission')
    stale = osp.join(out, 'old_video', '0', '00000.png')  # earlier run
    write_mask_png(stale, np.ones((S, S), dtype=bool))
    samples = _samples()
    for track in samples:  # test split: no GT at all
        for det in track.video_data_samples:
            del det.gt_mask
    metrics = _evaluate(
        RVOSJFMetric(format_only=True, outfile_prefix=out), samples)
    assert metrics == {}
    png = osp.join(out, 'v1', '1', '00002.png')
    np.testing.assert_array_equal(read_mask_png(png), FRAMES_B[2][1])
    np.testing.assert_array_equal(
        read_mask_png(osp.join(out, 'v1', '0', '00000.png')),
        FRAMES_A[0][1])
    with zipfile.ZipFile(out + '.zip') as archive:
        names = sorted(archive.namelist())
    assert names == [f'v1/{e}/{i:05d}.png' for e in '01' for i in range(3)]


def test_outfile_prefix_with_evaluation(tmp_path):
    out = str(tmp_path / 'Annotations')
    metrics = _evaluate(
        RVOSJFMetric(outfile_prefix=out, zip_arc_prefix='Annotations'),
        _samples())
    assert metrics['J'] == pytest.approx((J_A + J_B) / 2)
    with zipfile.ZipFile(out + '.zip') as archive:
        assert 'Annotations/v1/0/00001.png' in archive.namelist()


def test_bf16_predictions():
    track = _track('v1', '0', FRAMES_A, [0, 1, 2], 'single')
    for det in track.video_data_samples:
        det.pred_mask = PixelData(data=det.pred_mask.data.to(torch.bfloat16))
    metrics = _evaluate(RVOSJFMetric(), [track])
    assert metrics['J'] == pytest.approx(J_A)
    assert metrics['F'] == pytest.approx(F_A)


def test_samples_packed_with_set_field_like_pack_rvos_inputs():
    """PackRVOSInputs stores frames with set_field('_video_data_samples'):
    to_dict() then keys them '_video_data_samples'."""
    packed = []
    for track in _samples():
        sample = TrackDataSample(metainfo=track.metainfo)
        sample.set_field(track.video_data_samples, '_video_data_samples',
                         dtype=list)
        packed.append(sample)
    assert '_video_data_samples' in packed[0].to_dict()
    metrics = _evaluate(RVOSJFMetric(), packed)
    assert metrics['J'] == pytest.approx((J_A + J_B) / 2)
    assert metrics['F'] == pytest.approx((F_A + F_B) / 2)
