"""A2D IoU/mAP, Ref-DAVIS matching and the Ref-YTVOS submission writer."""
import zipfile

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData, PixelData

from rvos_plugin.evaluation.functional.davis_unsupervised import (
    match_objects, unsupervised_jf)
from rvos_plugin.evaluation.functional.referring_iou import (
    overall_iou, precision_at, sample_iou)
from rvos_plugin.evaluation.metrics.ref_davis_metric import merge_indexed
from rvos_plugin.registry import METRICS


def _box(y0, x0, h, w, size=(20, 20)):
    m = np.zeros(size, np.uint8)
    m[y0:y0 + h, x0:x0 + w] = 1
    return m


def _sample(preds, gts, meta, extra=None):
    frames = []
    for t, (p, g) in enumerate(zip(preds, gts)):
        f = DetDataSample(metainfo=dict(frame_id=t, frame_name=f'{t:05d}'))
        f.pred_mask = PixelData(data=torch.from_numpy(p.astype(bool))[None])
        f.gt_mask = PixelData(data=torch.from_numpy(g)[None])
        if extra:
            extra(t, f)
        frames.append(f)
    s = TrackDataSample()
    s.video_data_samples = frames
    s.set_metainfo(meta)
    return s


def test_referring_iou_functions_hand_computed():
    assert sample_iou(8, 24) == pytest.approx(1 / 3)
    assert sample_iou(0, 0) == 1.0  # empty vs empty
    assert overall_iou([8, 10], [24, 10]) == pytest.approx(18 / 34)
    p = precision_at([0.5, 0.95, 0.7])
    assert p[0.5] == pytest.approx(2 / 3)  # 0.5 itself is not > 0.5
    assert p[0.9] == pytest.approx(1 / 3)


def _a2d_samples(scores):
    gt1, pred1 = _box(0, 0, 4, 4), _box(0, 2, 4, 4)  # I=8, U=24
    gt2 = _box(10, 10, 2, 5)                        # exact, I=U=10
    out = []
    for k, (gt, pred, score) in enumerate(((gt1, pred1, scores[0]),
                                           (gt2, gt2, scores[1]))):
        def extra(t, f, score=score):
            f.set_metainfo(dict(pred_score=score))
        out.append(_sample([pred], [gt], dict(
            video_id=f'v{k}', exp_id='00001_1', annotated_frame_ind=0,
            coco_image_id=f'v_v{k}_f_1_i_1'), extra).to_dict())
    return out


@pytest.mark.parametrize('scores,expected_map', [
    ((0.8, 0.9), 51 / 101),        # TP ranked first: precision 1 to R=.5
    ((0.9, 0.8), 0.5 * 51 / 101),  # FP first: precision 0.5 to R=.5
])
def test_a2d_metric_hand_and_pycocotools(scores, expected_map):
    metric = METRICS.build(dict(type='RVOSA2DMetric', map_queries='top1'))
    metric.dataset_meta = {}
    metric.process({}, _a2d_samples(scores))
    res = metric.evaluate(2)
    assert res['a2d/overall_iou'] == pytest.approx(18 / 34)
    assert res['a2d/mean_iou'] == pytest.approx((1 / 3 + 1) / 2, abs=1e-6)
    assert res['a2d/P@0.5'] == 0.5 and res['a2d/P@0.9'] == 0.5
    assert res['a2d/mAP'] == pytest.approx(expected_map, abs=1e-4)
    assert res['a2d/AP50'] == pytest.approx(expected_map, abs=1e-4)


def test_a2d_metric_all_queries_uses_pred_instances():
    gt = _box(0, 0, 4, 4)

    def extra(t, f):
        f.pred_instances = InstanceData(
            masks=torch.from_numpy(np.stack([_box(10, 10, 3, 3), gt])).bool(),
            scores=torch.tensor([0.9, 0.3]))
    sample = _sample([_box(10, 10, 3, 3)], [gt], dict(
        video_id='v', exp_id='1', annotated_frame_ind=0,
        coco_image_id='v_v_f_1_i_1'), extra).to_dict()
    # all: FP (0.9) ranked before the TP (0.3) -> precision 0.5 at recall 1
    # top1: only the wrong mask -> no TP
    for mode, expected in (('all', 0.5), ('top1', 0.0)):
        metric = METRICS.build(dict(type='RVOSA2DMetric', map_queries=mode))
        metric.process({}, [sample])
        assert metric.evaluate(1)['a2d/mAP'] == pytest.approx(expected)


def test_match_objects_and_unsupervised_jf():
    rows, cols = match_objects(np.array([[0.1, 0.9], [0.8, 0.2]]))
    assert dict(zip(rows.tolist(), cols.tolist())) == {0: 1, 1: 0}
    gt = np.stack([_box(0, 0, 5, 5)[None], _box(10, 10, 5, 5)[None]]) > 0
    j, f = unsupervised_jf(gt, gt[::-1].copy())
    np.testing.assert_allclose(j, 1.0)
    np.testing.assert_allclose(f, 1.0)
    j, f = unsupervised_jf(gt, gt[:1].copy())  # fewer predictions: padded
    np.testing.assert_allclose(j.mean(-1), [1.0, 0.0])


def test_merge_indexed_lowest_id_wins():
    a = _box(0, 0, 4, 4)[None]
    b = _box(2, 2, 4, 4)[None]
    merged = merge_indexed(np.stack([a, b]))
    assert merged[0].sum() == 16 and merged[1].sum() == 16 - 4


def test_ref_davis_metric_permuted_ids_and_annotator_mean():
    objs = {1: _box(0, 0, 5, 5), 2: _box(10, 10, 6, 6)}
    samples = []
    for annotator in range(4):
        for obj_idx, obj in enumerate((1, 2)):
            # annotator 0 swaps the predictions of the two objects,
            # annotator 3 predicts nothing for object 2
            pred_obj = {1: 2, 2: 1}[obj] if annotator == 0 else obj
            pred = objs[pred_obj] if not (annotator == 3 and obj == 2) \
                else np.zeros((20, 20), np.uint8)
            samples.append(_sample([pred, pred], [objs[obj]] * 2, dict(
                video_id='v', exp_id=str(obj_idx * 4 + annotator),
                obj_ids=[obj], annotator=annotator)).to_dict())
    metric = METRICS.build(dict(type='RVOSRefDAVISMetric'))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['ref_davis/annotator0/J&F'] == pytest.approx(1.0)
    assert res['ref_davis/annotator3/J'] == pytest.approx(0.5)
    assert res['ref_davis/annotator3/F'] == pytest.approx(0.5)
    assert res['ref_davis/J&F'] == pytest.approx((1 + 1 + 1 + 0.5) / 4)


def test_ref_ytvos_submission_writes_every_frame(tmp_path):
    from PIL import Image
    masks = [_box(0, 0, 3, 3), _box(5, 5, 2, 2)]
    sample = _sample(masks, masks, dict(
        video_id='vid', exp_id='1', num_video_frames=2,
        frame_names=['00000', '00005'])).to_dict()
    prefix = str(tmp_path / 'sub')
    metric = METRICS.build(dict(type='RVOSRefYTVOSSubmission',
                                outfile_prefix=prefix))
    metric.process({}, [sample])
    assert metric.evaluate(1) == {}
    png = np.array(Image.open(tmp_path / 'sub/Annotations/vid/1/00005.png'))
    np.testing.assert_array_equal(png, masks[1] * 255)
    names = zipfile.ZipFile(prefix + '.zip').namelist()
    assert sorted(names) == ['Annotations/vid/1/00000.png',
                             'Annotations/vid/1/00005.png']
    short = dict(sample, num_video_frames=3)
    with pytest.raises(ValueError, match='2 of 3 frames'):
        metric.process({}, [short])
